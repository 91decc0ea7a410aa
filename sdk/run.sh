#!/usr/bin/env bash
# The SDK matrix: builds kefu, starts it on free loopback ports with fresh
# data, runs real, unmodified SDKs (pinned in sdk/python/requirements.txt and
# sdk/node/package-lock.json) through the kf flow against it, and writes
# docs/sdk-matrix.md. Exits non-zero when a row that passed in the matrix on
# disk (the committed one) no longer passes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/sdk
run=$work/run
matrix=docs/sdk-matrix.md

say() { printf '==> %s\n' "$*"; }

. .ci/kefu-bin.sh

say "wechatpy into $work/venv"
venv=$work/venv
if ! cmp -s sdk/python/requirements.txt "$venv/.requirements.txt" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r sdk/python/requirements.txt
    cp sdk/python/requirements.txt "$venv/.requirements.txt"
fi

say "node SDKs into sdk/node/node_modules (npm ci)"
if ! cmp -s sdk/node/package-lock.json sdk/node/node_modules/.kefu-lock.json 2>/dev/null; then
    (cd sdk/node && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
    cp sdk/node/package-lock.json sdk/node/node_modules/.kefu-lock.json
fi

rm -rf "$run"
mkdir -p "$run"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Proxy mode (CONNECT with TLS from kefu's own CA) is there when serve takes --ca-dir.
proxy_mode=no
if "$kefu" serve --help | grep -q -- '--ca-dir'; then
    proxy_mode=yes
fi

# start_kefu NAME [FLAGS...]: a kefu with a fresh store; sets $url and $port.
start_kefu() {
    local name=$1
    shift
    port=$(free_port)
    mkdir -p "$run/$name"
    local flags=(--listen "127.0.0.1:$port" --database "sqlite://$run/$name/kefu.db")
    if [ "$proxy_mode" = yes ]; then
        flags+=(--ca-dir "$run/$name/ca")
    fi
    (cd "$run/$name" && exec "$kefu" serve "${flags[@]}" "$@" >"$run/$name.log" 2>&1) &
    pids+=($!)
    url=http://127.0.0.1:$port
    for _ in $(seq 100); do
        if curl -fsS "$url/_kefu/health" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    echo "kefu ($name) did not start:" >&2
    cat "$run/$name.log" >&2
    return 1
}

say "starting kefu (strict, and --lenient for co-wechat-api's getRecords)"
tls_flags=()
if [ "$proxy_mode" = yes ]; then
    tls_port=$(free_port)
    tls_flags=(--tls-listen "127.0.0.1:$tls_port")
fi
start_kefu strict "${tls_flags[@]}"
strict_url=$url
strict_port=$port
start_kefu lenient --lenient
lenient_url=$url

# The flows talk to kefu on loopback: no proxy of the environment in between.
noproxy=(env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy -u ALL_PROXY -u all_proxy
    -u NO_PROXY -u no_proxy -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE)

failed_flows=()
flow() {
    local name=$1
    shift
    say "flow: $name"
    if ! "${noproxy[@]}" "$@" 2>"$run/$name.err"; then
        failed_flows+=("$name")
        tail -n 30 "$run/$name.err" >&2
    fi
}

py=$venv/bin/python
if [ "$proxy_mode" = yes ]; then
    ca=$run/strict/ca/ca.pem
    flow wechatpy-proxy env HTTPS_PROXY="http://127.0.0.1:$strict_port" REQUESTS_CA_BUNDLE="$ca" \
        "$py" sdk/python/wechatpy_flow.py --kefu "$strict_url" --mode proxy --out "$run/1-wechatpy-proxy.json"
else
    flow wechatpy-proxy "$py" sdk/python/wechatpy_flow.py --kefu "$strict_url" --mode proxy \
        --out "$run/1-wechatpy-proxy.json" --not-run "proxy mode missing"
fi
flow wechatpy-session "$py" sdk/python/wechatpy_flow.py --kefu "$strict_url" --mode session \
    --out "$run/2-wechatpy-session.json"
flow wechat-api node sdk/node/wechat_api_flow.js "$strict_url" "$run/3-wechat-api.json"
if [ "$proxy_mode" = yes ]; then
    flow wechat-api-hosts env NODE_EXTRA_CA_CERTS="$ca" node sdk/node/wechat_api_flow.js "$strict_url" \
        "$run/3b-wechat-api-hosts.json" "127.0.0.1:$tls_port"
fi
flow co-wechat-api node sdk/node/co_wechat_api_flow.js "$strict_url" "$lenient_url" "$run/4-co-wechat-api.json"

status=0
if [ ${#failed_flows[@]} -gt 0 ]; then
    echo "sdk matrix: flows that stopped early: ${failed_flows[*]} (logs in $run)" >&2
    status=1
fi
results=("$run"/*.json)
python3 sdk/matrix.py "$matrix" "${results[@]}" || status=1
echo "sdk matrix: written to $matrix in $(($(date +%s) - started)) s (kefu logs and flow stderr in $run)"
exit $status
