#!/usr/bin/env bash
# Runs the README's walk-through as a reader would: a fresh `kefu serve` on
# 127.0.0.1:8080, `kefu listen` for the demo app on :9000 (the README's
# second shell), then the walk-through's shell block exactly as written
# (the block after the `walk-through` marker), with `set -euo pipefail`.
# Fails when a command fails, when an answer the README shows is missing,
# or when the push of step 8 does not reach `kefu listen`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
fail() { echo "FATAL: $*" >&2; exit 1; }

cargo build -q -p kefu
kefu=${CARGO_TARGET_DIR:-$(pwd)/target}/debug/kefu
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Waits until FILE holds TEXT (up to 30 s).
wait_for() {
    for _ in $(seq 300); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

say "kefu serve on 127.0.0.1:8080 (a fresh store)"
"$kefu" serve --listen 127.0.0.1:8080 --database "sqlite://$work/kefu.db" --ca-dir "$work/ca" \
    >"$work/serve.log" 2>&1 &
pids+=($!)
wait_for "$work/serve.log" "demo app: appid=" || { cat "$work/serve.log" >&2; fail "kefu serve did not start (is port 8080 taken?)"; }
appid=$(sed -nE 's/^demo app: appid=([^ ]+) .*/\1/p' "$work/serve.log")

say "kefu listen --app $appid --port 9000 (the README's second shell)"
"$kefu" listen --app "$appid" --port 9000 >"$work/listen.log" 2>&1 &
pids+=($!)
wait_for "$work/listen.log" "listening on" || { cat "$work/listen.log" >&2; fail "kefu listen did not start"; }

say "the walk-through, as written"
# Every block after a `walk-through` marker, in order, as one script: the
# CLI block continues the curl block's shell. `kefu` is the one just built.
awk '/<!-- walk-through:/ {marked=1; next}
     marked && !inside && /^```sh/ {inside=1; next}
     inside && /^```/ {inside=0; marked=0; next}
     inside {print}' README.md >"$work/walk.sh"
[ "$(grep -c '<!-- walk-through:' README.md)" -eq 2 ] || fail "README.md should mark two walk-through blocks"
[ -s "$work/walk.sh" ] || fail "no walk-through block after the marker in README.md"
if ! PATH="$(dirname "$kefu"):$PATH" bash -euo pipefail "$work/walk.sh" >"$work/walk.out" 2>&1; then
    cat "$work/walk.out" >&2
    fail "the README's walk-through failed as written"
fi
cat "$work/walk.out"

say "what the README says the walk-through shows"
for shown in '"invite_status":"waiting"' '"accepted_case":1' '"errcode":65401' '"recordlist":[{' '"errcode":42001'; do
    grep -qF "$shown" "$work/walk.out" || fail "the walk-through did not show $shown"
done
wait_for "$work/listen.log" 'Content="hi"' || { cat "$work/listen.log" >&2; fail "step 8's push never reached kefu listen"; }
echo "readme walk-through: ok (every step ran as written; kefu listen received the push)"
