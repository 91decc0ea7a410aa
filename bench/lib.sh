# Shell helpers the benchmark scripts share (sourced by run.sh and
# pushes.sh, which define their own `log` and `die`).

stop() { # PID: SIGTERM, then wait for it to go
    local pid=$1
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || return 0
            sleep 0.05
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() { # URL: poll until it answers 200 (10 s at most)
    for _ in $(seq 1000); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.01
    done
    die "$1 did not answer"
}

json_field() { # FIELD: reads JSON on stdin, prints one field
    python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# Reads a wrk output file: prints "req/s p50_ms p99_ms bad socket_errors X",
# X the CHECK line's field named by the second argument (default `reused`).
parse_wrk() {
    awk -v last="${2:-reused}" '
        function ms(v) {
            if (v ~ /us$/) return v / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /s$/)  return v * 1000
            if (v ~ /m$/)  return v * 60000
            return v
        }
        /^Requests\/sec:/            { rps = $2 }
        /^ +50%/                     { p50 = ms($2) }
        /^ +99%/                     { p99 = ms($2) }
        /Non-2xx or 3xx responses:/  { non2xx = $NF }
        /Socket errors:/             { gsub(/,/, ""); sock = $4 + $6 + $8 + $10 }
        /^CHECK ok=/ {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); check[kv[1]] = kv[2] }
            checked = 1
        }
        END {
            bad = checked ? check["bad"] : non2xx + 0
            printf "%.0f %.3f %.3f %d %d %d\n", rps, p50, p99, bad, sock + 0, check[last] + 0
        }' "$1"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }
