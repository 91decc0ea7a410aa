#!/usr/bin/env bash
# kefu push benchmark: how fast the outbox drains to a developer's server,
# and what draining does to the API.
#
# What it does, on this machine, against a release build and a fresh SQLite
# database in a temporary directory:
#   1. seeds the demo app with FOLLOWERS followers (each with a send window no
#      run can use up) and points the app's callback, in safe mode (AES
#      envelope, msg_signature) and XML, at the receiver (bench/yardstick's
#      `receiver`: answers every POST `success` at once, echoes the handshake's
#      echostr, counts what it gets); one follower's message goes through the
#      control API first, end to end;
#   2. drain alone: stops kefu, writes PUSHES follower text messages into the
#      outbox with sqlite3 (one transaction, spread round-robin over
#      PUSH_FOLLOWERS followers), starts kefu again and times the outbox
#      from the start until the control API says `pending` 0 (polled every
#      100 ms) -> pushes/s;
#   3. baseline: kefu restarted with nothing pending, then wrk at CONNECTIONS
#      connections for DURATION seconds against POST
#      /cgi-bin/message/custom/send of a text (bench/send_text.lua: a write,
#      and one that pushes nothing) -> req/s, p50, p99;
#   4. drain under load: the same fill again, and the same wrk load as the
#      baseline for DURATION seconds from the moment kefu answers -> the API's
#      req/s, p50 and p99 while the outbox drains, and pushes/s both while the
#      API is loaded and from start to empty (the baseline comes right before
#      it, so both start on a kefu just started, on a database grown alike);
#   5. yardstick: wrk POSTing a push kefu sent (taken from the delivery log,
#      about 600 bytes) to the receiver for DURATION seconds -> the receiver's
#      req/s, the ceiling pushes/s is compared with.
#   A drain that outlasts DRAIN_LIMIT is cut there (see below).
# It checks that every push arrived once: the delivery-log entries ever
# written (the log keeps each app's newest 1000 only; the count comes from its
# AUTOINCREMENT sequence) equal the pushes written, less those a cut removed;
# the kept entries are all first tries that ended `ok`; the outbox is empty;
# the receiver got as many POSTs, all with distinct nonces (kefu derives a
# push's nonce from the push), plus, after a cut, the few kefu had sent but
# not logged when it was stopped; and every API answer was errcode 0, with as
# many new messages in the database.
# It prints a summary table with the goals (pushes/s >= 5000 in safe mode;
# the API's p99 while draining <= 1.2x its baseline), the CPU the servers
# used in each phase, and the command to run it again.
# Exit status: 0, or 2 when a check fails; a missed goal only shows.
#
# Run from anywhere:   bash bench/pushes.sh
# Options (environment):
#   DURATION=10          seconds per wrk run
#   CONNECTIONS=64       wrk connections
#   THREADS=2            wrk threads
#   PUSHES=100000        pushes written to the outbox for each drain (enough to
#                        outlast a DURATION load at 5000 pushes/s)
#   FOLLOWERS=20000      followers seeded (custom/send cycles over them)
#   PUSH_FOLLOWERS=10000 followers the pushes are spread over (<= FOLLOWERS)
#   DRAIN_LIMIT=...      seconds a drain may run (default 3x what 5000/s needs,
#                        at least 3x DURATION + 2); past it the drain is cut:
#                        the rate is taken over what went out, kefu is
#                        stopped, what is left in the outbox deleted, and
#                        the checks count what went out
#   KEEP_TMP=1           keep the temporary directory (database, logs, wrk
#                        output, the pending series of each drain)
#
# Everything listens on 127.0.0.1 only, on free ports; all servers are
# stopped on exit.

set -euo pipefail

case ${1:-} in
    "") ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) printf 'pushes: unknown option %s (see --help)\n' "$1" >&2; exit 1 ;;
esac

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PUSHES=${PUSHES:-100000}
FOLLOWERS=${FOLLOWERS:-20000}
PUSH_FOLLOWERS=${PUSH_FOLLOWERS:-10000}
PUSH_GOAL=5000 # pushes/s
P99_LIMIT=1.2  # the API's p99 while draining, relative to its baseline
# Seconds a drain may run (3x what the goal needs, at least 3x DURATION + 2).
DRAIN_LIMIT=${DRAIN_LIMIT:-$(( (3 * PUSHES / PUSH_GOAL) > (3 * DURATION + 2) ? (3 * PUSHES / PUSH_GOAL) : (3 * DURATION + 2) ))}
SEND_WINDOW=1000000 # messages each follower may receive: never used up in a run
TOKEN_DAILY_LIMIT=100000000
CB_TOKEN=kefubench2024
CB_AES_KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG # 43 letters or digits
MSGID_BASE=7000000000000000000                       # MsgIds of the pushes written: 64-bit, like WeChat's

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
KEFU=$TARGET_DIR/release/kefu
RECEIVER=$TARGET_DIR/release/receiver

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'pushes: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$PUSH_FOLLOWERS" -le "$FOLLOWERS" ] || die "PUSH_FOLLOWERS ($PUSH_FOLLOWERS) must not exceed FOLLOWERS ($FOLLOWERS)"
[ "$PUSHES" -ge 1 ] || die "PUSHES must be at least 1"
# The drain under load is followed past the end of its load.
[ "$(awk -v l="$DRAIN_LIMIT" -v d="$DURATION" 'BEGIN { print (l >= d + 2) }')" = 1 ] ||
    die "DRAIN_LIMIT ($DRAIN_LIMIT) must be at least DURATION + 2"

# --- prerequisites ----------------------------------------------------------

if ! command -v wrk >/dev/null; then
    log "installing wrk"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    $SUDO apt-get install -y wrk || { $SUDO apt-get update && $SUDO apt-get install -y wrk; }
fi
for tool in sqlite3 python3 curl; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

log "building (release)"
(cd "$ROOT" && cargo build --release -p kefu -p yardstick)

# --- temporary state and cleanup --------------------------------------------

TMP=$(mktemp -d -t kefu-pushes.XXXXXX)
DB=$TMP/kefu.db
DB_URL=sqlite://$DB
KEFU_PID=""
RECEIVER_PID=""
BG_PIDS=() # wrk and pollers running in the background


cleanup() {
    for pid in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do stop "$pid"; done
    stop "$KEFU_PID"
    stop "$RECEIVER_PID"
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM




now() { date +%s.%N; }

sql() { # SQL on kefu's database (kefu stopped, or reads)
    sqlite3 -cmd '.timeout 5000' "$DB" "$@"
}

KEFU_PORT=$(free_port)
KEFU_URL=http://127.0.0.1:$KEFU_PORT
RECEIVER_PORT=$(free_port)
RECEIVER_URL=http://127.0.0.1:$RECEIVER_PORT

start_kefu() { # in the background; returns once it answers
    "$KEFU" serve --listen "127.0.0.1:$KEFU_PORT" --database "$DB_URL" \
        --token-daily-limit "$TOKEN_DAILY_LIMIT" >>"$TMP/kefu.log" 2>&1 &
    KEFU_PID=$!
    wait_http "$KEFU_URL/_kefu/health"
}

stop_kefu() {
    stop "$KEFU_PID"
    KEFU_PID=""
}

control() { # METHOD PATH BODY: a control API call, insist on HTTP 2xx, print the answer
    curl -fsS -X "$1" -H 'Content-Type: application/json' -d "$3" "$KEFU_URL$2" ||
        die "control $1 $2 failed"
}

pending() { # pushes waiting in the app's outbox, from the control API
    curl -fsS "$KEFU_URL/_kefu/apps/$APPID/callback" | sed -nE 's/.*"pending":([0-9]+).*/\1/p'
}

receiver_stat() { # FIELD: posts, nonces or bytes, from the receiver's /_stats
    curl -fsS "$RECEIVER_URL/_stats" | tr ' ' '\n' | sed -nE "s/^$1=([0-9]+)\$/\1/p"
}

# CPU of the servers, per thread name, between two snapshots.
#   cpu snap FILE PID...              writes the snapshot
#   cpu diff FILE_A FILE_B NAME=PID... prints one line per process, then the machine's idle
# shows each process's CPU in percent of one core (its three busiest thread
# names beside it) and, with PER=N, its CPU in microseconds per N (pushes, or
# requests).
CPU_PY='
import os, sys, time

def ticks(path):
    try:
        with open(path) as f:
            s = f.read()
    except OSError:
        return None
    name = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    return name, int(rest[11]) + int(rest[12])

if sys.argv[1] == "snap":
    out = [f"time {time.time()}"]
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    out.append(f"machine {cpu[3] + cpu[4]} {sum(cpu)}")
    for pid in sys.argv[3:]:
        for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
            t = ticks(f"/proc/{pid}/task/{tid}/stat")
            if t:
                out.append(f"thread {pid} {tid} {t[1]} {t[0]}")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")
    sys.exit(0)

def load(path):
    snap = {"threads": {}}
    for line in open(path):
        parts = line.split(maxsplit=4)
        if parts[0] == "time":
            snap["time"] = float(parts[1])
        elif parts[0] == "machine":
            snap["machine"] = (int(parts[1]), int(parts[2]))
        else:
            snap["threads"][(parts[1], parts[2])] = (parts[4].strip(), int(parts[3]))
    return snap

a, b = load(sys.argv[2]), load(sys.argv[3])
span, tick = b["time"] - a["time"], os.sysconf("SC_CLK_TCK")
per, what = float(os.environ.get("PER") or 0), os.environ.get("PER_WHAT", "item")
for spec in sys.argv[4:]:
    label, pid = spec.split("=")
    by_name = {}
    for (p, tid), (name, t) in b["threads"].items():
        if p == pid:
            by_name[name] = by_name.get(name, 0) + t - a["threads"].get((p, tid), (name, 0))[1]
    total = sum(by_name.values())
    busy = sorted(by_name.items(), key=lambda kv: -kv[1])[:3]
    parts = ", ".join(f"{n} {v / tick / span * 100:.0f}%" for n, v in busy if v)
    cost = f"; {total / tick * 1e6 / per:.0f} us per {what}" if per else ""
    print(f"{label} {total / tick / span * 100:.0f}% of one core ({parts}){cost}")
(i0, s0), (i1, s1) = a["machine"], b["machine"]
print(f"machine idle {100 * (i1 - i0) / max(s1 - s0, 1):.0f}% of {os.cpu_count()} cores over {span:.1f} s")
'
cpu() { python3 -c "$CPU_PY" "$@"; }

# Polls the app's `pending` every 100 ms until it is 0 or LIMIT seconds
# have passed since T0 (unix time): URL T0 LIMIT SERIES. Writes
# "unix_time pending" per poll to SERIES and prints "SECONDS PENDING" of the
# last poll: seconds from T0, and 0 pending unless the limit came first.
POLL_PY='
import json, sys, time, urllib.request
url, t0, limit, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
every = float(sys.argv[5]) if len(sys.argv) > 5 else 0.1
failures = 0
with open(out, "w") as series:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                pending = json.load(r)["pending"]
            failures = 0
        except Exception as e:
            failures += 1
            if failures >= 20:
                sys.exit(f"cannot read pending: {e}")
            time.sleep(0.1)
            continue
        at = time.time()
        series.write(f"{at:.3f} {pending}\n")
        if pending == 0 or at - t0 > limit:
            print(f"{at - t0:.3f} {pending}")
            break
        time.sleep(every)
'

# --- seeding ----------------------------------------------------------------

log "database in $TMP"
"$KEFU" migrate --database "$DB_URL" >/dev/null

"$RECEIVER" "127.0.0.1:$RECEIVER_PORT" >"$TMP/receiver.log" 2>&1 &
RECEIVER_PID=$!
wait_http "$RECEIVER_URL/_stats"

start_kefu
DEMO_LINE=$(grep -m1 '^demo app:' "$TMP/kefu.log")
APPID=$(sed -E 's/.*appid=([^ ]+).*/\1/' <<<"$DEMO_LINE")
SECRET=$(sed -E 's/.*secret=([^ ]+).*/\1/' <<<"$DEMO_LINE")
stop_kefu

# One more follower than custom/send uses: the one whose message goes through
# the control API (a follower's message replaces the send window).
log "seeding $((FOLLOWERS + 1)) followers, each with a send window of $SEND_WINDOW (kefu stopped)"
sql >/dev/null <<SQL
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $FOLLOWERS + 1)
INSERT INTO fans (appid, openid, subscribed, followed_at, msg_left, msg_until)
SELECT '$APPID', 'o' || printf('%027d', i), 1, CAST(strftime('%s', 'now') AS INTEGER),
       $SEND_WINDOW, CAST(strftime('%s', 'now') AS INTEGER) + 30 * 86400 FROM n;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL

start_kefu
log "callback in safe mode to the receiver (the handshake first)"
CB_URL="$RECEIVER_URL/wechat"
CB_STATE=$(control PUT "/_kefu/apps/$APPID/callback" \
    "{\"url\":\"$CB_URL\",\"token\":\"$CB_TOKEN\",\"encoding_aes_key\":\"$CB_AES_KEY\",\"mode\":\"safe\",\"format\":\"xml\"}")
case $CB_STATE in *'"mode":"safe"'*) ;; *) die "callback not saved in safe mode: $CB_STATE" ;; esac

# One follower's message through the control API, end to end.
E2E_OPENID=$(printf 'o%027d' $((FOLLOWERS + 1)))
control POST "/_kefu/apps/$APPID/fans/$E2E_OPENID/messages" \
    '{"msgtype":"text","content":"Hello, is my order on its way?"}' >/dev/null
for _ in $(seq 100); do
    [ "$(pending)" = 0 ] && [ "$(receiver_stat posts)" = 1 ] && break
    sleep 0.05
done
[ "$(receiver_stat posts)" = 1 ] || die "the follower's message did not reach the receiver (see $TMP/kefu.log)"
E2E_OUTCOME=$(sql "SELECT outcome FROM deliveries ORDER BY id DESC LIMIT 1")
[ "$E2E_OUTCOME" = ok ] || die "the follower's message was delivered with outcome $E2E_OUTCOME"

TOKEN=$(curl -fsS "$KEFU_URL/cgi-bin/token?grant_type=client_credential&appid=$APPID&secret=$SECRET" |
    json_field access_token)
SEND_URL="$KEFU_URL/cgi-bin/message/custom/send?access_token=$TOKEN"
THREAD_FOLLOWERS=$((FOLLOWERS / THREADS))

# --- helpers for the runs ---------------------------------------------------


wrk_send() { # NAME: the custom/send load, output in $TMP/NAME.txt
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_DIR/send_text.lua" \
        "$SEND_URL" -- "$THREAD_FOLLOWERS" >"$TMP/$1.txt" 2>&1
}

show() { sed 's/^/    /' "$@" >&2; }

# Fills the outbox with PUSHES follower text messages (kefu stopped): ids
# after every id handed out so far, the push's nonce its id, its MsgId
# MSGID_BASE + id, created at the virtual clock's now.
fill_outbox() {
    local base
    base=$(sql "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)")
    sql >/dev/null <<SQL
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $PUSHES)
INSERT INTO outbox (id, appid, openid, created_at, nonce, event, msgid, a, b, attempts, owner)
SELECT $base + i, '$APPID', 'o' || printf('%027d', 1 + (i - 1) % $PUSH_FOLLOWERS), $CLOCK_NOW,
       $base + i, 'text', $MSGID_BASE + $base + i,
       'Hello, is my order ' || ($base + i) || ' on its way? I paid yesterday.', '', 0, NULL FROM n;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
    [ "$(sql "SELECT count(*) FROM outbox")" = "$PUSHES" ] || die "the outbox does not hold $PUSHES pushes"
}

# Starts a drain: stops kefu, fills the outbox, starts kefu again (T0: the
# moment it is spawned) and snapshots the servers' CPU into $TMP/NAME.a.
start_drain() {
    stop_kefu
    fill_outbox
    T0=$(now)
    start_kefu
    cpu snap "$TMP/$1.a" "$KEFU_PID" "$RECEIVER_PID"
}

# Ends a drain the limit cut short: stops kefu, empties the outbox, starts
# kefu again; CUT is how many pushes were removed. (Deleting under a running
# kefu would have to win the write lock from a writer that is never idle.)
# Pushes kefu had sent but not yet logged when it stopped are removed too:
# the receiver counts them, the delivery log does not.
cut_drain() {
    stop_kefu
    CUT=$(sql "DELETE FROM outbox; SELECT changes();")
    case $CUT in '' | *[!0-9]*) die "cannot cut the drain: $CUT" ;; esac
    start_kefu
}

CLOCK_NOW=$(curl -fsS "$KEFU_URL/_kefu/clock" | json_field now)

# --- 1. drain alone ---------------------------------------------------------

log "drain alone: $PUSHES pushes into the outbox (kefu stopped), then kefu started"
start_drain alone
read -r A_SECS A_LEFT < <(python3 -c "$POLL_PY" "$KEFU_URL/_kefu/apps/$APPID/callback" "$T0" "$DRAIN_LIMIT" \
    "$TMP/alone.series") || die "cannot follow the outbox (see $TMP/kefu.log)"
cpu snap "$TMP/alone.b" "$KEFU_PID" "$RECEIVER_PID"
A_DONE=$((PUSHES - A_LEFT))
A_RATE=$(awk -v n="$A_DONE" -v s="$A_SECS" 'BEGIN { printf "%.0f", n / s }')
ALONE_CPU=$(PER=$A_DONE PER_WHAT=push cpu diff "$TMP/alone.a" "$TMP/alone.b" \
    "kefu=$KEFU_PID" "receiver=$RECEIVER_PID")
A_CUT=0
if [ "$A_LEFT" != 0 ]; then cut_drain; A_CUT=$CUT; fi
if [ "$A_LEFT" != 0 ]; then
    log "cut at $A_SECS s: $A_DONE delivered ($A_RATE pushes/s), $A_LEFT pending; $A_CUT removed"
else
    log "drained $PUSHES in $A_SECS s: $A_RATE pushes/s"
fi
show <<<"$ALONE_CPU"

# --- 2. baseline ------------------------------------------------------------
# Right before the drain under load, so that the two start alike: on a kefu
# just started, with the database grown by the same earlier runs.

log "baseline: wrk custom/send (${DURATION}s, $CONNECTIONS connections), nothing pending"
[ "$(pending)" = 0 ] || die "pushes pending before the baseline"
# The drain under load starts on a kefu just started: so does the baseline,
# so that the two differ only in the outbox.
stop_kefu
start_kefu
MESSAGES_BEFORE=$(sql "SELECT count(*) FROM messages")
cpu snap "$TMP/base.a" "$KEFU_PID"
wrk_send baseline || { show "$TMP/baseline.txt"; die "wrk failed"; }
cpu snap "$TMP/base.b" "$KEFU_PID"
show "$TMP/baseline.txt"
read -r B_RPS B_P50 B_P99 B_BAD B_SOCK B_OK < <(parse_wrk "$TMP/baseline.txt" ok)
BASE_CPU=$(PER=$B_OK PER_WHAT=request cpu diff "$TMP/base.a" "$TMP/base.b" "kefu=$KEFU_PID")
show <<<"$BASE_CPU"
[ "$(pending)" = 0 ] || die "custom/send pushed something; the receiver count would not add up"

# --- 3. drain under load ----------------------------------------------------

log "drain under load: $PUSHES pushes again, and wrk custom/send from the moment kefu answers"
start_drain load
# Polled once a second here: counting a long outbox costs the server CPU
# the baseline does not pay.
python3 -c "$POLL_PY" "$KEFU_URL/_kefu/apps/$APPID/callback" "$T0" "$DRAIN_LIMIT" "$TMP/load.series" 1 \
    >"$TMP/load.secs" &
POLLER=$!
BG_PIDS+=("$POLLER")
wrk_send draining || { show "$TMP/draining.txt"; die "wrk failed"; }
L_END=$(now)
cpu snap "$TMP/load.b" "$KEFU_PID" "$RECEIVER_PID"
wait "$POLLER" || die "cannot follow the outbox (see $TMP/kefu.log)"
read -r L_SECS L_FINAL_LEFT <"$TMP/load.secs"
LOAD_CPU=$(cpu diff "$TMP/load.a" "$TMP/load.b" "kefu=$KEFU_PID" "receiver=$RECEIVER_PID")
L_CUT=0
if [ "$L_FINAL_LEFT" != 0 ]; then cut_drain; L_CUT=$CUT; fi
show "$TMP/draining.txt"
read -r D_RPS D_P50 D_P99 D_BAD D_SOCK D_OK < <(parse_wrk "$TMP/draining.txt" ok)
sleep 0.5 # let in-flight sends land
MESSAGES=$(($(sql "SELECT count(*) FROM messages") - MESSAGES_BEFORE))
# Pending when the load ended (the last poll before), and when the outbox
# emptied, if it did before the load ended.
L_LEFT=$(awk -v end="$L_END" '$1 <= end { left = $2 } END { print left + 0 }' "$TMP/load.series")
L_FIRST_ZERO=$(awk '$2 == 0 { print $1; exit }' "$TMP/load.series")
# Pushes/s while the API was loaded: until the load ended, or the outbox was
# empty if that came first; and over the whole drain (until the cut, if any).
L_RATE=$(awk -v n="$PUSHES" -v left="$L_LEFT" -v t0="$T0" -v end="$L_END" -v zero="$L_FIRST_ZERO" \
    'BEGIN { if (zero != "" && zero < end) end = zero; printf "%.0f", (n - left) / (end - t0) }')
L_TOTAL_RATE=$(awk -v n="$((PUSHES - L_FINAL_LEFT))" -v s="$L_SECS" 'BEGIN { printf "%.0f", n / s }')
log "under load: $((PUSHES - L_LEFT)) pushes in the $(awk -v a="$T0" -v b="$L_END" 'BEGIN { printf "%.1f", b - a }') s" \
    "until the load ended ($L_LEFT left); $((PUSHES - L_FINAL_LEFT)) in $L_SECS s in all" \
    "$([ "$L_CUT" = 0 ] || echo "(cut: $L_FINAL_LEFT pending, $L_CUT removed)")"
show <<<"$LOAD_CPU"

# --- checks -----------------------------------------------------------------

EXPECTED=$((1 + 2 * PUSHES - A_CUT - L_CUT)) # the follower's message, then two drains
CUTS=$(( (A_CUT > 0) + (L_CUT > 0) ))
POSTS=$(receiver_stat posts)
NONCES=$(receiver_stat nonces)
LOGGED=$(sql "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'deliveries'), 0)")
KEPT=$(sql "SELECT count(*) FROM deliveries")
KEPT_NOT_OK=$(sql "SELECT count(*) FROM deliveries WHERE outcome <> 'ok' OR attempt <> 1 OR last <> 1")
LEFT=$(sql "SELECT count(*) FROM outbox")

# --- 4. yardstick: the receiver alone ---------------------------------------

# A push as kefu sent it: the newest delivery's URL and body.
sql "SELECT url FROM deliveries ORDER BY id DESC LIMIT 1" >"$TMP/push.url"
sql -cmd '.mode list' "SELECT request FROM deliveries ORDER BY id DESC LIMIT 1" | head -c -1 >"$TMP/push.body"
PUSH_URL=$(cat "$TMP/push.url")
PUSH_BYTES=$(wc -c <"$TMP/push.body")
log "yardstick: wrk POSTing a $PUSH_BYTES-byte safe-mode push to the receiver (${DURATION}s, $CONNECTIONS connections)"
cpu snap "$TMP/yard.a" "$RECEIVER_PID"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_DIR/receiver_post.lua" \
    "$PUSH_URL" -- "$TMP/push.body" >"$TMP/yardstick.txt" 2>&1 || { show "$TMP/yardstick.txt"; die "wrk failed"; }
cpu snap "$TMP/yard.b" "$RECEIVER_PID"
show "$TMP/yardstick.txt"
read -r Y_RPS Y_P50 Y_P99 Y_BAD Y_SOCK Y_OK < <(parse_wrk "$TMP/yardstick.txt" ok)
YARD_CPU=$(PER=$Y_OK PER_WHAT=request cpu diff "$TMP/yard.a" "$TMP/yard.b" "receiver=$RECEIVER_PID")
show <<<"$YARD_CPU"

# --- summary ----------------------------------------------------------------

verdict() { awk "BEGIN { exit !($1) }" && echo met || echo "NOT met"; }
P99_RATIO=$(ratio "$D_P99" "$B_P99")
A_NOTE=""
if [ "$A_LEFT" != 0 ]; then A_NOTE=" (cut at $A_SECS s, $A_LEFT pending)"; fi
L_NOTE=""
if [ "$L_FINAL_LEFT" != 0 ]; then L_NOTE=", cut with $L_FINAL_LEFT pending"; fi

echo
echo "kefu push benchmark: ${DURATION}s per wrk run, $CONNECTIONS connections, $THREADS wrk threads, $(nproc) cores;"
echo "  $PUSHES pushes per drain over $PUSH_FOLLOWERS followers, safe mode (AES-256-CBC, msg_signature), XML, ${PUSH_BYTES}-byte bodies"
printf '%-32s %9s %9s %9s %8s %5s  %s\n' run "req/s" p50_ms p99_ms ratio bad goal
printf '%-32s %9s %9s %9s %8s %5s  %s\n' "receiver yardstick (POST)" "$Y_RPS" "$Y_P50" "$Y_P99" 1.00x "$Y_BAD" "(ceiling)"
printf '%-32s %9s %9s %9s %8s %5s  %s\n' "pushes/s, outbox alone" "$A_RATE" - - \
    "$(ratio "$A_RATE" "$Y_RPS")" 0 ">= $PUSH_GOAL/s: $(verdict "$A_RATE >= $PUSH_GOAL")$A_NOTE"
printf '%-32s %9s %9s %9s %8s %5s  %s\n' "pushes/s, while API loaded" "$L_RATE" - - \
    "$(ratio "$L_RATE" "$Y_RPS")" 0 "(whole drain: $L_TOTAL_RATE/s over $L_SECS s$L_NOTE)"
printf '%-32s %9s %9s %9s %8s %5s  %s\n' "custom/send, nothing pending" "$B_RPS" "$B_P50" "$B_P99" 1.00x "$B_BAD" "(baseline)"
printf '%-32s %9s %9s %9s %8s %5s  %s\n' "custom/send, outbox draining" "$D_RPS" "$D_P50" "$D_P99" \
    "$(ratio "$D_RPS" "$B_RPS")" "$D_BAD" "p99 $P99_RATIO of baseline, <= ${P99_LIMIT}x: $(verdict "$D_P99 <= $P99_LIMIT * $B_P99")"
echo
echo "(ratio: pushes/s to the receiver's req/s; custom/send req/s to its baseline)"
echo "check: receiver got $POSTS POSTs ($NONCES distinct nonces), expected $EXPECTED (1 through the control API + 2 x $PUSHES" \
    "- $((A_CUT + L_CUT)) removed at cuts$([ "$CUTS" = 0 ] || echo ", + $((POSTS - EXPECTED)) sent as kefu stopped for a cut, unlogged"));"
echo "       $LOGGED delivery-log entries written ($KEPT kept, $KEPT_NOT_OK of them not a first try ending ok); $LEFT left in the outbox;"
echo "       custom/send: $((B_OK + D_OK)) good answers, $MESSAGES new messages in the database;" \
    "socket errors $B_SOCK + $D_SOCK + $Y_SOCK"
if [ -n "$L_FIRST_ZERO" ] && awk -v z="$L_FIRST_ZERO" -v e="$L_END" 'BEGIN { exit !(z < e) }'; then
    echo "note: the outbox was empty before the load ended (at $(awk -v a="$T0" -v b="$L_FIRST_ZERO" 'BEGIN { printf "%.1f", b - a }') s);" \
        "the draining p99 is partly without pushes: raise PUSHES"
fi
echo "server CPU (percent of one core; busiest thread names, cut to 15 characters):"
sed 's/^/  baseline       /' <<<"$BASE_CPU"
sed 's/^/  drain alone    /' <<<"$ALONE_CPU"
sed 's/^/  drain + load   /' <<<"$LOAD_CPU"
sed 's/^/  yardstick      /' <<<"$YARD_CPU"
echo "again: DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS PUSHES=$PUSHES FOLLOWERS=$FOLLOWERS" \
    "PUSH_FOLLOWERS=$PUSH_FOLLOWERS DRAIN_LIMIT=$DRAIN_LIMIT bash bench/pushes.sh"

status=0
grep -h '^CHECK first bad answer' "$TMP/baseline.txt" "$TMP/draining.txt" "$TMP/yardstick.txt" || true
if [ "$((B_BAD + D_BAD + Y_BAD))" != 0 ]; then
    echo "error: some answers were wrong (see the bad column)"
    status=2
fi
# A cut stops kefu: what it had sent and not yet logged then (at most its
# claimed pushes, 128) reached the receiver but left no log entry.
if [ "$POSTS" -lt "$EXPECTED" ] || [ "$POSTS" -gt $((EXPECTED + 128 * CUTS)) ] || [ "$NONCES" != "$POSTS" ]; then
    echo "error: the receiver did not get every push exactly once"
    status=2
fi
if [ "$LOGGED" != "$EXPECTED" ] || [ "$KEPT_NOT_OK" != 0 ] || [ "$LEFT" != 0 ]; then
    echo "error: the delivery log or the outbox does not match the pushes"
    status=2
fi
if [ "$MESSAGES" -lt "$((B_OK + D_OK))" ] || [ "$MESSAGES" -gt "$((B_OK + D_OK + 2 * CONNECTIONS))" ]; then
    echo "error: messages in the database do not match the good sends"
    status=2
fi
exit "$status"
