# The read run of bench/run.sh (sourced by it): getonlinekflist of
# READ_APPS apps, each with READ_KFS bound, online kf accounts serving
# READ_PER_KF open sessions each (10 x 100 x 147 = 147 000 open sessions by
# default), seeded beside what the other runs left. Uses run.sh's KEFU,
# DB_URL, TMP, PG, start_kefu, stop, pg and run_wrk.

READ_APPS=${READ_APPS:-10}
READ_KFS=${READ_KFS:-100}
READ_PER_KF=${READ_PER_KF:-147}

# Declares the apps with a seed file, then writes the followers and their
# sessions with the database's own tool while kefu is stopped.
seed_read() {
    log "seeding $READ_APPS apps x $READ_KFS online kf accounts x $READ_PER_KF open sessions"
    python3 "$BENCH_DIR/read_seed.py" seed "$READ_APPS" "$READ_KFS" >"$TMP/read_seed.json"
    start_kefu --seed "$TMP/read_seed.json"
    stop "$KEFU_PID"
    local now sql dialect=sqlite
    [ -z "$PG" ] || dialect=postgres
    now=$(date +%s)
    sql=$(python3 "$BENCH_DIR/read_seed.py" sql "$dialect" \
        "$READ_APPS" "$READ_KFS" "$READ_PER_KF" "$now")
    if [ -n "$PG" ]; then
        pg >/dev/null <<<"$sql"
        pg -c "ANALYZE sessions; ANALYZE fans" >/dev/null
    else
        sqlite3 -cmd '.timeout 5000' "$DB" >/dev/null <<<"$sql"
    fi
    start_kefu
}

# wrk over the apps' getonlinekflist, each with its own access token.
run_read() {
    local tokens=() a appid
    for a in $(seq "$READ_APPS"); do
        appid=$(printf 'wxbench%011d' "$a")
        tokens+=("$(curl -fsS "$KEFU_URL/cgi-bin/token?grant_type=client_credential&appid=$appid&secret=$(printf '%032d' "$a")" |
            json_field access_token)")
    done
    run_wrk online "$KEFU_PID" "$KEFU_URL/" "$BENCH_DIR/online_list.lua" "$READ_PER_KF" "${tokens[@]}"
}

rss_mib() { # PID: its resident memory now, in MiB
    awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}
