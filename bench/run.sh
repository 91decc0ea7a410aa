#!/usr/bin/env bash
# kefu benchmark.
#
# What it measures, on this machine, against a release build:
#   1. startup: time from spawning `kefu serve` (on an already migrated and
#      seeded SQLite database) to the first successful answer of
#      GET /_kefu/health, over STARTUP_RUNS starts;
#   2. wrk at CONNECTIONS connections against
#      (a) the yardstick (bench/yardstick: a bare hyper server, the ceiling),
#      (b) POST /customservice/kfsession/create, a new follower every request
#          (bench/create_session.lua), spread over 16 bound, online kf accounts,
#      (c) POST /cgi-bin/message/custom/send of a text, spread over the
#          seeded followers, each seeded with a send window no run can use
#          up (bench/send_text.lua); it starts with the followers (b) put in
#          sessions, so most sends also keep a session open and are records,
#      (d) GET /cgi-bin/token, which issues a new token every call
#          (bench/token.lua);
#      (e) GET /cgi-bin/customservice/getonlinekflist, a read, over READ_APPS
#          (10) apps of READ_KFS (100) bound, online kf accounts, each serving
#          READ_PER_KF (147) open sessions: 147 000 open sessions besides the
#          others (bench/read.sh, bench/online_list.lua: every answer lists the
#          accounts with accepted_case READ_PER_KF);
#      and checks every answer: bad answers (non-200, errcode != 0, no
#      access_token) and socket errors are reported, and the sessions and
#      messages written to the database are counted against the good answers;
#   3. msgrecord/getmsglist of 10000 chat records (RECORDS seeded within one
#      24-hour window): single requests with curl, the median of MSGLIST_RUNS.
# It prints a summary table: req/s, p50, p99, req/s relative to the yardstick,
# errors, and the goals beside the figures (kfsession/create at >= 0.5x the
# yardstick with p99 < 10 ms; custom/send at >= 0.4x with p99 < 10 ms;
# getonlinekflist at >= 0.8x; getmsglist of 10000 records < 50 ms; startup
# < 50 ms), kefu's resident memory after the create run and after the read
# (goal <= 64 MiB), then the server's CPU per request and its busiest threads
# during each run.
# Exit status: 0, or 2 when some answer was wrong; a missed goal only shows.
#
# On PostgreSQL (--database postgres://USER@HOST:PORT/DB) the same runs go to
# kefu on a fresh schema of that database (bench_<time>_<pid>, seeded with
# psql instead of sqlite3, dropped at exit). With --instances N (N > 1) the
# create run is made twice: on one instance, then on N instances sharing the
# database, loaded at once by N wrk processes of CONNECTIONS/N connections and
# THREADS/N threads each (their req/s summed, p50 and p99 the worst of them).
# The goals there: create on one instance >= 0.12x the yardstick with
# p99 < 20 ms; on N instances together >= one instance. The other runs show no
# goal. The CPU section also gives the PostgreSQL server's CPU per request
# (its backends serving kefu, and all its processes), and what one request
# costs in all, when the database server runs on this machine.
#
# Run from anywhere:   bash bench/run.sh [--database postgres://...] [--instances N]
# Options (environment):
#   DURATION=10        seconds per wrk run
#   CONNECTIONS=64     wrk connections
#   THREADS=2          wrk threads
#   FOLLOWERS=...      followers seeded (default DURATION*100000 + 500000)
#   STARTUP_RUNS=5     kefu starts timed
#   RECORDS=12000      chat records seeded for getmsglist (10000 read per call)
#   MSGLIST_RUNS=20    getmsglist calls timed
#   READ_APPS=10, READ_KFS=100, READ_PER_KF=147   the getonlinekflist run's apps,
#                      online accounts per app and open sessions per account
#   KEEP_TMP=1         keep the temporary directory (database, logs, wrk output)
#                      and, on PostgreSQL, the schema
#
# Everything listens on 127.0.0.1 only, on free ports, with a fresh database
# in a temporary directory (or a fresh schema); all servers are stopped on exit.

set -euo pipefail

DATABASE=""  # empty: SQLite in the temporary directory
INSTANCES=1
while [ $# -gt 0 ]; do
    case $1 in
        --database) DATABASE=${2:?--database needs a URL}; shift 2 ;;
        --database=*) DATABASE=${1#*=}; shift ;;
        --instances) INSTANCES=${2:?--instances needs a number}; shift 2 ;;
        --instances=*) INSTANCES=${1#*=}; shift ;;
        -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) printf 'bench: unknown option %s (see --help)\n' "$1" >&2; exit 1 ;;
    esac
done

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
FOLLOWERS=${FOLLOWERS:-$((DURATION * 100000 + 500000))}
STARTUP_RUNS=${STARTUP_RUNS:-5}
RECORDS=${RECORDS:-12000}
MSGLIST_RUNS=${MSGLIST_RUNS:-20}
KF_COUNT=16
SEND_WINDOW=1000000     # messages each follower may receive: never used up in a run
RECORD_DAY=1600000000   # the 24-hour window the getmsglist records are seeded in
TOKEN_DAILY_LIMIT=100000000

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
KEFU=$TARGET_DIR/release/kefu
YARDSTICK=$TARGET_DIR/release/yardstick

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/read.sh
. "$(dirname "${BASH_SOURCE[0]}")/read.sh"

case $DATABASE in
    "") PG="" ;;
    postgres://* | postgresql://*) PG=1 ;;
    *) die "--database takes a postgres:// URL (SQLite is the default)" ;;
esac
case $DATABASE in *schema=*) die "--database: leave out schema=, the benchmark makes its own" ;; esac
case $INSTANCES in [1-8]) ;; *) die "--instances takes 1 to 8" ;; esac
[ "$INSTANCES" = 1 ] || [ -n "$PG" ] || die "--instances $INSTANCES needs --database postgres://... (SQLite serves one process)"

# --- prerequisites ----------------------------------------------------------

if ! command -v wrk >/dev/null; then
    log "installing wrk"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    $SUDO apt-get install -y wrk || { $SUDO apt-get update && $SUDO apt-get install -y wrk; }
fi
DB_TOOL=sqlite3
if [ -n "$PG" ]; then DB_TOOL=psql; fi
for tool in "$DB_TOOL" python3 curl; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

log "building (release)"
(cd "$ROOT" && cargo build --release -p kefu -p yardstick)

# --- temporary state and cleanup --------------------------------------------

TMP=$(mktemp -d -t kefu-bench.XXXXXX)
DB=$TMP/kefu.db
DB_URL=sqlite://$DB
KEFU_PID=""
YARDSTICK_PID=""
EXTRA_PIDS=() # the other instances (--instances)
SCHEMA=""
PG_PROFILE=() # cpu_profile.py's database arguments
if [ -n "$PG" ]; then
    SCHEMA=bench_$(date +%s)_$$
    case $DATABASE in *\?*) DB_URL="$DATABASE&" ;; *) DB_URL="$DATABASE?" ;; esac
    # The application name tells kefu's backends from the server's other clients.
    DB_URL="${DB_URL}schema=$SCHEMA&application_name=$SCHEMA"
    PG_PROFILE=("$DATABASE" "$SCHEMA")
fi

# psql on kefu's schema: SQL from stdin, or psql options such as -c.
pg() {
    PGOPTIONS="-c search_path=$SCHEMA" psql "$DATABASE" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

count_rows() { # TABLE: rows in the database now
    if [ -n "$PG" ]; then
        pg -c "SELECT count(*) FROM $1"
    else
        sqlite3 -cmd '.timeout 5000' "$DB" "SELECT count(*) FROM $1"
    fi
}


cleanup() {
    stop "$KEFU_PID"
    for pid in ${EXTRA_PIDS[@]+"${EXTRA_PIDS[@]}"}; do stop "$pid"; done
    stop "$YARDSTICK_PID"
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        log "kept $TMP${SCHEMA:+ and schema $SCHEMA}"
    else
        rm -rf "$TMP"
        if [ -n "$SCHEMA" ]; then
            psql "$DATABASE" -X -q -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 ||
                log "could not drop schema $SCHEMA"
        fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM




KEFU_PORT=$(free_port)
KEFU_URL=http://127.0.0.1:$KEFU_PORT

start_kefu() { # plain start, in the background [extra serve options]
    "$KEFU" serve --listen "127.0.0.1:$KEFU_PORT" --database "$DB_URL" \
        --token-daily-limit "$TOKEN_DAILY_LIMIT" "$@" >>"$TMP/kefu.log" 2>&1 &
    KEFU_PID=$!
    wait_http "$KEFU_URL/_kefu/health"
}

wx_call() { # PATH BODY: POST a WeChat API call, insist on errcode 0
    local answer
    answer=$(curl -fsS -H 'Content-Type: application/json' -d "$2" "$KEFU_URL$1?access_token=$TOKEN")
    case $answer in
        '{"errcode":0,'*) ;;
        *) die "$1 $2: $answer" ;;
    esac
}

control() { # METHOD PATH BODY: a control API call, insist on HTTP 2xx
    curl -fsS -o /dev/null -X "$1" -H 'Content-Type: application/json' -d "$3" "$KEFU_URL$2" \
        || die "control $1 $2 failed"
}

# --- seeding ----------------------------------------------------------------

if [ -n "$PG" ]; then
    log "database: schema $SCHEMA (logs in $TMP)"
else
    log "database in $TMP"
fi
"$KEFU" migrate --database "$DB_URL" >/dev/null

log "seeding the demo app and $KF_COUNT kf accounts"
start_kefu
DEMO_LINE=$(grep -m1 '^demo app:' "$TMP/kefu.log")
APPID=$(sed -E 's/.*appid=([^ ]+).*/\1/' <<<"$DEMO_LINE")
SECRET=$(sed -E 's/.*secret=([^ ]+).*/\1/' <<<"$DEMO_LINE")
WECHAT_ID=$(sed -E 's/.*wechat_id=([^ ]+).*/\1/' <<<"$DEMO_LINE")
TOKEN_URL="$KEFU_URL/cgi-bin/token?grant_type=client_credential&appid=$APPID&secret=$SECRET"
TOKEN=$(curl -fsS "$TOKEN_URL" | json_field access_token)

for i in $(seq "$KF_COUNT"); do
    kf="kf$i@$WECHAT_ID"
    worker=$(printf 'bench_worker_%02d' "$i") # one worker per kf: at most 5 bindings each
    wx_call /customservice/kfaccount/add "{\"kf_account\":\"$kf\",\"nickname\":\"KF $i\"}"
    wx_call /customservice/kfaccount/inviteworker "{\"kf_account\":\"$kf\",\"invite_wx\":\"$worker\"}"
    control POST "/_kefu/apps/$APPID/kf/$kf/invitation/accept" '{}'
    control PUT "/_kefu/apps/$APPID/kf/$kf/status" '{"online":true}'
done
stop "$KEFU_PID"
KEFU_PID=""

log "seeding $FOLLOWERS followers, each with a send window of $SEND_WINDOW, and $RECORDS chat records (kefu stopped)"
if [ -n "$PG" ]; then
    pg >/dev/null <<SQL
BEGIN;
INSERT INTO fans (appid, openid, subscribed, followed_at, msg_left, msg_until)
SELECT '$APPID', 'o' || lpad(i::text, 27, '0'), TRUE, extract(epoch FROM now())::bigint,
       $SEND_WINDOW, extract(epoch FROM now())::bigint + 30 * 86400 FROM generate_series(1, $FOLLOWERS) AS i;
INSERT INTO messages (appid, openid, worker, opercode, msgtype, text, detail, time)
SELECT '$APPID', 'o' || lpad((1 + i % 1000)::text, 27, '0'), 'kf' || (1 + i % $KF_COUNT) || '@$WECHAT_ID',
       2002 + i % 2, 'text', 'record ' || i, '{"content":"record ' || i || '"}',
       $RECORD_DAY + (i - 1) * 86399 / $RECORDS FROM generate_series(1, $RECORDS) AS i;
COMMIT;
ANALYZE fans;
ANALYZE messages;
SQL
else
    sqlite3 "$DB" >/dev/null <<SQL
PRAGMA busy_timeout = 5000;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $FOLLOWERS)
INSERT INTO fans (appid, openid, subscribed, followed_at, msg_left, msg_until)
SELECT '$APPID', 'o' || printf('%027d', i), 1, CAST(strftime('%s', 'now') AS INTEGER),
       $SEND_WINDOW, CAST(strftime('%s', 'now') AS INTEGER) + 30 * 86400 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $RECORDS)
INSERT INTO messages (appid, openid, worker, opercode, msgtype, text, detail, time)
SELECT '$APPID', 'o' || printf('%027d', 1 + i % 1000), 'kf' || (1 + i % $KF_COUNT) || '@$WECHAT_ID',
       2002 + i % 2, 'text', 'record ' || i, json_object('content', 'record ' || i),
       $RECORD_DAY + (i - 1) * 86399 / $RECORDS FROM n;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
fi

# --- startup ----------------------------------------------------------------

# Starts kefu STARTUP_RUNS times, timing spawn -> first 200 from /_kefu/health
# with a tight poll; all but the last are stopped. Prints the pid of the one
# left running, then the times in ms.
log "timing $STARTUP_RUNS starts"
read -r KEFU_PID STARTUP_TIMES < <(python3 - "$KEFU" "$DB_URL" "$KEFU_PORT" "$STARTUP_RUNS" \
    "$TOKEN_DAILY_LIMIT" "$TMP/kefu.log" <<'PY'
import socket, subprocess, sys, time

kefu, db_url, port, runs, limit, log = sys.argv[1:7]
port, runs = int(port), int(runs)
probe = b"GET /_kefu/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

def answered():
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(probe)
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False

times = []
for run in range(runs):
    out = open(log, "ab")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [kefu, "serve", "--listen", f"127.0.0.1:{port}", "--database", db_url,
         "--token-daily-limit", limit],
        stdout=out, stderr=out, stdin=subprocess.DEVNULL)
    while not answered():
        if proc.poll() is not None or time.perf_counter() - start > 30:
            proc.kill()
            sys.exit(f"kefu did not start (see {log})")
        time.sleep(0.0002)
    times.append((time.perf_counter() - start) * 1000)
    if run < runs - 1:
        proc.terminate()
        proc.wait()
print(proc.pid, " ".join(f"{t:.1f}" for t in times))
PY
)
[ -n "$KEFU_PID" ] || die "startup timing failed"
read -r STARTUP_MIN STARTUP_MEDIAN < <(tr ' ' '\n' <<<"$STARTUP_TIMES" | sort -n |
    awk '{ v[NR] = $1 } END { print v[1], v[int((NR + 1) / 2)] }')
log "startup ms: $STARTUP_TIMES"

YARDSTICK_PORT=$(free_port)
"$YARDSTICK" "127.0.0.1:$YARDSTICK_PORT" >"$TMP/yardstick.log" 2>&1 &
YARDSTICK_PID=$!
wait_http "http://127.0.0.1:$YARDSTICK_PORT/"

# --- load -------------------------------------------------------------------

# Samples the CPU of the server processes PIDS (comma-separated) over SECONDS,
# and, for kefu on PostgreSQL, that of the database server: see
# bench/cpu_profile.py.
cpu_profile() {
    local started
    started=$(date +%s.%N)
    if [ "$1" = "$YARDSTICK_PID" ]; then
        python3 "$BENCH_DIR/cpu_profile.py" "$2" "$started" "$1"
    else
        python3 "$BENCH_DIR/cpu_profile.py" "$2" "$started" "$1" ${PG_PROFILE[@]+"${PG_PROFILE[@]}"}
    fi
}

# Runs wrk: NAME PID URL [SCRIPT [script args...]], profiling the server PID;
# wrk output goes to $TMP/NAME.txt.
run_wrk() {
    local name=$1 pid=$2 url=$3
    shift 3
    local script=()
    if [ $# -gt 0 ]; then
        script=(-s "$1" "$url" --)
        shift
    else
        script=("$url")
    fi
    log "wrk $name (${DURATION}s, $CONNECTIONS connections)"
    cpu_profile "$pid" "$DURATION" >"$TMP/$name.cpu" &
    local profiler=$!
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${script[@]}" "$@" >"$TMP/$name.txt" 2>&1 ||
        { cat "$TMP/$name.txt" >&2; die "wrk $name failed"; }
    wait "$profiler" || true
    sed 's/^/    /' "$TMP/$name.txt" >&2
    sed 's/^/    /' "$TMP/$name.cpu" >&2
}


# Runs one wrk per kefu instance, all at once: NAME FIRST_ID PATH SCRIPT
# [script args...]. Each gets CONNECTIONS/N connections and THREADS/N threads
# (at least one) against its instance's URL + PATH; the script's last argument
# is the number of the wrk's first thread (FIRST_ID, then FIRST_ID + threads,
# ...). Profiles every instance; wrk k's output goes to $TMP/NAME.k.txt.
run_wrk_split() {
    local name=$1 first=$2 path=$3 script=$4
    shift 4
    local n=${#KEFU_URLS[@]}
    local conns=$((CONNECTIONS / n)) threads=$((THREADS / n)) k failed=0 wrks=()
    [ "$threads" -ge 1 ] || threads=1
    log "wrk $name (${DURATION}s, $n wrk processes at once, $conns connections each, one per instance)"
    cpu_profile "$(IFS=,; echo "${KEFU_PIDS[*]}")" "$DURATION" >"$TMP/$name.cpu" &
    local profiler=$!
    for k in $(seq 0 $((n - 1))); do
        wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency -s "$script" "${KEFU_URLS[$k]}$path" -- \
            "$@" "$((first + k * threads))" >"$TMP/$name.$k.txt" 2>&1 &
        wrks+=($!)
    done
    # Every wrk has ended (and its answers were counted) before the rows are.
    for k in "${!wrks[@]}"; do wait "${wrks[$k]}" || failed=1; done
    wait "$profiler" || true
    for k in $(seq 0 $((n - 1))); do sed 's/^/    /' "$TMP/$name.$k.txt" >&2; done
    [ "$failed" = 0 ] || die "wrk $name failed"
    sed 's/^/    /' "$TMP/$name.cpu" >&2
}

# Reads the outputs of run_wrk_split NAME: prints "req/s p50_ms p99_ms bad
# socket_errors reused good", req/s and counts summed, latencies the worst.
parse_split() {
    local f
    for f in "$TMP/$1".[0-9]*.txt; do
        echo "$(parse_wrk "$f") $(sed -nE 's/^CHECK ok=([0-9]+).*/\1/p' "$f")"
    done | awk '
        { rps += $1; if ($2 > p50) p50 = $2; if ($3 > p99) p99 = $3; bad += $4; sock += $5; reused += $6; ok += $7 }
        END { printf "%.0f %.3f %.3f %d %d %d %d\n", rps, p50, p99, bad, sock, reused, ok }'
}

# Followers per wrk thread: the ranges of the create run's threads, then of
# every thread of the split create run (--instances).
SPLIT_THREADS=$((THREADS / INSTANCES))
[ "$SPLIT_THREADS" -ge 1 ] || SPLIT_THREADS=1
if [ "$INSTANCES" -gt 1 ]; then
    THREAD_FOLLOWERS=$((FOLLOWERS / (THREADS + INSTANCES * SPLIT_THREADS)))
else
    THREAD_FOLLOWERS=$((FOLLOWERS / THREADS))
fi

run_wrk yardstick "$YARDSTICK_PID" "http://127.0.0.1:$YARDSTICK_PORT/"

TOKEN=$(curl -fsS "$TOKEN_URL" | json_field access_token)
run_wrk create "$KEFU_PID" "$KEFU_URL/customservice/kfsession/create?access_token=$TOKEN" \
    "$BENCH_DIR/create_session.lua" "$THREAD_FOLLOWERS" "$KF_COUNT" "$WECHAT_ID"
sleep 0.5 # let in-flight requests land
SESSIONS=$(count_rows sessions)
CREATE_RSS=$(rss_mib "$KEFU_PID")

if [ "$INSTANCES" -gt 1 ]; then
    # The other instances, on the same database.
    KEFU_PIDS=("$KEFU_PID")
    KEFU_URLS=("$KEFU_URL")
    for k in $(seq 2 "$INSTANCES"); do
        port=$(free_port)
        "$KEFU" serve --listen "127.0.0.1:$port" --database "$DB_URL" \
            --token-daily-limit "$TOKEN_DAILY_LIMIT" >>"$TMP/kefu$k.log" 2>&1 &
        EXTRA_PIDS+=($!)
        KEFU_PIDS+=($!)
        KEFU_URLS+=("http://127.0.0.1:$port")
        wait_http "http://127.0.0.1:$port/_kefu/health"
    done
    run_wrk_split "create$INSTANCES" "$THREADS" "/customservice/kfsession/create?access_token=$TOKEN" \
        "$BENCH_DIR/create_session_shard.lua" "$THREAD_FOLLOWERS" "$KF_COUNT" "$WECHAT_ID"
    sleep 0.5 # let in-flight requests land
    SPLIT_SESSIONS=$(( $(count_rows sessions) - SESSIONS ))
fi

MESSAGES_BEFORE=$(count_rows messages)
run_wrk send "$KEFU_PID" "$KEFU_URL/cgi-bin/message/custom/send?access_token=$TOKEN" \
    "$BENCH_DIR/send_text.lua" "$THREAD_FOLLOWERS"
sleep 0.5 # let in-flight requests land
MESSAGES=$(( $(count_rows messages) - MESSAGES_BEFORE ))

run_wrk token "$KEFU_PID" "$TOKEN_URL" "$BENCH_DIR/token.lua"

# getonlinekflist over many open sessions (bench/read.sh).
stop "$KEFU_PID"
seed_read
run_read
ONLINE_RSS=$(rss_mib "$KEFU_PID")
ONLINE_SESSIONS=$(count_rows sessions)

# The journal's cost: the send run again on a kefu without a journal.
if [ "$INSTANCES" -eq 1 ]; then
    stop "$KEFU_PID"
    start_kefu --journal-size 0
    run_wrk send_nojournal "$KEFU_PID" "$KEFU_URL/cgi-bin/message/custom/send?access_token=$TOKEN" \
        "$BENCH_DIR/send_text.lua" "$THREAD_FOLLOWERS"
fi

# getmsglist: one checked call (10000 records back), then MSGLIST_RUNS timed ones.
MSGLIST_URL="$KEFU_URL/customservice/msgrecord/getmsglist?access_token=$TOKEN"
MSGLIST_BODY="{\"starttime\":$RECORD_DAY,\"endtime\":$((RECORD_DAY + 86399)),\"msgid\":1,\"number\":10000}"
log "timing $MSGLIST_RUNS getmsglist calls of 10000 records"
MSGLIST_NUMBER=$(curl -fsS -d "$MSGLIST_BODY" "$MSGLIST_URL" |
    python3 -c 'import json, sys; a = json.load(sys.stdin); print(a["number"] if a["number"] == len(a["recordlist"]) else -1)')
MSGLIST_TIMES=$(for _ in $(seq "$MSGLIST_RUNS"); do
    curl -fsS -o /dev/null -w '%{time_total}\n' -d "$MSGLIST_BODY" "$MSGLIST_URL"
done | awk '{ printf "%.1f ", $1 * 1000 }')
read -r MSGLIST_MIN MSGLIST_MEDIAN < <(tr ' ' '\n' <<<"$MSGLIST_TIMES" | grep . | sort -n |
    awk '{ v[NR] = $1 } END { print v[1], v[int((NR + 1) / 2)] }')
log "getmsglist ms: $MSGLIST_TIMES"

# --- summary ----------------------------------------------------------------

read -r Y_RPS Y_P50 Y_P99 Y_BAD Y_SOCK _ < <(parse_wrk "$TMP/yardstick.txt")
read -r C_RPS C_P50 C_P99 C_BAD C_SOCK C_REUSED < <(parse_wrk "$TMP/create.txt")
read -r S_RPS S_P50 S_P99 S_BAD S_SOCK _ < <(parse_wrk "$TMP/send.txt")
read -r T_RPS T_P50 T_P99 T_BAD T_SOCK _ < <(parse_wrk "$TMP/token.txt")
read -r O_RPS O_P50 O_P99 O_BAD O_SOCK _ < <(parse_wrk "$TMP/online.txt")
C_OK=$(sed -nE 's/^CHECK ok=([0-9]+).*/\1/p' "$TMP/create.txt")
S_OK=$(sed -nE 's/^CHECK ok=([0-9]+).*/\1/p' "$TMP/send.txt")
SPLIT=create$INSTANCES # the split create run (--instances)
M_BAD=0
M_REUSED=0
if [ "$INSTANCES" -gt 1 ]; then
    read -r M_RPS M_P50 M_P99 M_BAD M_SOCK M_REUSED M_OK < <(parse_split "$SPLIT")
fi

verdict() { awk "BEGIN { exit !($1) }" && echo met || echo MISSED; }

if [ -n "$PG" ]; then
    CREATE_GOAL=">= 0.12x and p99 < 20 ms: $(verdict "$C_RPS >= 0.12 * $Y_RPS && $C_P99 < 20")"
    SEND_GOAL="-"
    ONLINE_GOAL="-"
    MSGLIST_GOAL="no goal on PostgreSQL"
    STARTUP_GOAL="no goal on PostgreSQL"
else
    CREATE_GOAL=">= 0.50x and p99 < 10 ms: $(verdict "$C_RPS >= 0.5 * $Y_RPS && $C_P99 < 10")"
    SEND_GOAL=">= 0.40x and p99 < 10 ms: $(verdict "$S_RPS >= 0.4 * $Y_RPS && $S_P99 < 10")"
    ONLINE_GOAL=">= 0.80x: $(verdict "$O_RPS >= 0.8 * $Y_RPS")"
    MSGLIST_GOAL="goal < 50 ms: $(verdict "$MSGLIST_MEDIAN < 50")"
    STARTUP_GOAL="goal < 50 ms: $(verdict "$STARTUP_MEDIAN < 50")"
fi

echo
SETUP="${DURATION}s per run, $CONNECTIONS connections, $THREADS wrk threads, $(nproc) cores, $FOLLOWERS followers"
if [ -n "$PG" ]; then
    # The server's address only: no user or password.
    SETUP="$SETUP, PostgreSQL ${DATABASE#*@} schema $SCHEMA, $INSTANCES instance(s)"
fi
echo "kefu benchmark: $SETUP"
printf '%-18s %10s %9s %9s %8s %6s %9s  %s\n' run req/s p50_ms p99_ms ratio bad sock_err goal
printf '%-18s %10s %9s %9s %8s %6s %9s  %s\n' yardstick "$Y_RPS" "$Y_P50" "$Y_P99" 1.00x "$Y_BAD" "$Y_SOCK" "(ceiling)"
printf '%-18s %10s %9s %9s %8s %6s %9s  %s\n' kfsession/create "$C_RPS" "$C_P50" "$C_P99" \
    "$(ratio "$C_RPS" "$Y_RPS")" "$C_BAD" "$C_SOCK" "$CREATE_GOAL"
if [ "$INSTANCES" -gt 1 ]; then
    printf '%-18s %10s %9s %9s %8s %6s %9s  %s\n' "create $INSTANCES instances" "$M_RPS" "$M_P50" "$M_P99" \
        "$(ratio "$M_RPS" "$Y_RPS")" "$M_BAD" "$M_SOCK" \
        ">= one instance ($(ratio "$M_RPS" "$C_RPS") of it): $(verdict "$M_RPS >= $C_RPS")"
fi
printf '%-18s %10s %9s %9s %8s %6s %9s  %s\n' custom/send "$S_RPS" "$S_P50" "$S_P99" \
    "$(ratio "$S_RPS" "$Y_RPS")" "$S_BAD" "$S_SOCK" "$SEND_GOAL"
printf '%-18s %10s %9s %9s %8s %6s %9s  %s\n' cgi-bin/token "$T_RPS" "$T_P50" "$T_P99" \
    "$(ratio "$T_RPS" "$Y_RPS")" "$T_BAD" "$T_SOCK" "-"
printf '%-18s %10s %9s %9s %8s %6s %9s  %s\n' getonlinekflist "$O_RPS" "$O_P50" "$O_P99" \
    "$(ratio "$O_RPS" "$Y_RPS")" "$O_BAD" "$O_SOCK" "$ONLINE_GOAL"
printf '%-18s %10s  %s\n' "getmsglist ms" "$MSGLIST_MEDIAN" \
    "median of $MSGLIST_RUNS, 10000 records each (min $MSGLIST_MIN)   $MSGLIST_GOAL"
printf '%-18s %10s  %s\n' "startup ms" "$STARTUP_MEDIAN" \
    "median of $STARTUP_RUNS (min $STARTUP_MIN; all: $STARTUP_TIMES)   $STARTUP_GOAL"
echo
echo "create check: $C_OK good answers, $SESSIONS sessions in the database, $C_REUSED requests past the seeded followers"
if [ "$INSTANCES" -gt 1 ]; then
    echo "create on $INSTANCES instances check: $M_OK good answers, $SPLIT_SESSIONS new sessions in the database," \
        "$M_REUSED requests past the seeded followers"
fi
echo "send check: $S_OK good answers, $MESSAGES new messages in the database"
echo "getmsglist check: $MSGLIST_NUMBER records in one answer"
echo "getonlinekflist: $READ_APPS apps x $READ_KFS online accounts x $READ_PER_KF sessions each," \
    "$ONLINE_SESSIONS open sessions in the database in all"
echo "memory (RSS): $CREATE_RSS MiB after the create run ($SESSIONS open sessions)," \
    "$ONLINE_RSS MiB after the getonlinekflist run; goal <= 64 MiB: $(verdict "$CREATE_RSS <= 64 && $ONLINE_RSS <= 64")"
if [ -f "$TMP/send_nojournal.txt" ]; then
    read -r N_RPS N_P50 N_P99 N_BAD _ < <(parse_wrk "$TMP/send_nojournal.txt")
    echo "journal cost: custom/send $S_RPS req/s with the journal (p99 $S_P99 ms), $N_RPS without (p99 $N_P99 ms):" \
        "$(ratio "$S_RPS" "$N_RPS") of it; goal >= 0.95x: $(verdict "$S_RPS >= 0.95 * $N_RPS")"
fi
run_rps() { # NAME: the req/s of a run (of all its wrk processes)
    if [ -f "$TMP/$1.txt" ]; then
        parse_wrk "$TMP/$1.txt" | cut -d' ' -f1
    else
        parse_split "$1" | cut -d' ' -f1
    fi
}
RUNS="yardstick create send token online"
if [ "$INSTANCES" -gt 1 ]; then RUNS="yardstick create $SPLIT send token online"; fi
echo "server CPU during each run (percent of one core; thread names cut to 15 characters):"
for name in $RUNS; do
    rps=$(run_rps "$name")
    awk -v name="$name" -v rps="$rps" '
        $3 ~ /%$/ {
            cpu = $3; sub(/%/, "", cpu)
            printf "  %-10s %5.1f us of %s CPU per request; %s\n", name, (rps > 0 ? cpu * 10000 / rps : 0),
                ($1 == "postgres" ? "postgres" : "server"), $0
            next
        }
        { printf "  %-10s %s\n", name, $0 }' "$TMP/$name.cpu"
done
if [ -n "$PG" ]; then
    echo "CPU per request (us): kefu, PostgreSQL (its backends serving kefu; all its processes), kefu + all of"
    echo "PostgreSQL, and the req/s $(nproc) cores would give at that cost with nothing else running (no wrk):"
    printf '  %-10s %8s %12s %8s %8s %10s\n' run kefu pg_backends pg_all total "req/s max"
    for name in ${RUNS#yardstick }; do
        rps=$(run_rps "$name")
        awk -v name="$name" -v rps="$rps" -v cores="$(nproc)" '
            /^server cpu/ { kefu = $3 + 0 }
            /^postgres cpu [0-9]/ { backends = $3 + 0; all = $NF + 0; seen = 1 }
            END {
                if (!seen || rps <= 0 || kefu + all <= 0) { printf "  %-10s n/a\n", name; exit }
                us = 10000 / rps
                printf "  %-10s %8.1f %12.1f %8.1f %8.1f %10.0f\n", name, kefu * us, backends * us, all * us,
                    (kefu + all) * us, cores * 1000000 / ((kefu + all) * us)
            }' "$TMP/$name.cpu"
    done
fi

# Wrong answers make the run fail (exit 2); missed goals do not.
status=0
grep -h '^CHECK first bad answer' "$TMP/create.txt" "$TMP/send.txt" "$TMP/token.txt" "$TMP/online.txt" || true
if [ "$INSTANCES" -gt 1 ]; then grep -h '^CHECK first bad answer' "$TMP/$SPLIT".[0-9]*.txt || true; fi
if [ "$((Y_BAD + C_BAD + M_BAD + S_BAD + T_BAD + O_BAD))" != 0 ]; then
    echo "error: some answers were wrong (see the bad column)"
    status=2
fi
if [ "$((C_REUSED + M_REUSED))" != 0 ]; then
    echo "error: create ran out of fresh followers; raise FOLLOWERS"
    status=2
fi
if [ -z "$C_OK" ] || [ "$SESSIONS" -lt "$C_OK" ] || [ "$SESSIONS" -gt $((C_OK + CONNECTIONS)) ]; then
    echo "error: sessions in the database do not match the good answers"
    status=2
fi
if [ "$INSTANCES" -gt 1 ] &&
    { [ "$SPLIT_SESSIONS" -lt "$M_OK" ] || [ "$SPLIT_SESSIONS" -gt $((M_OK + CONNECTIONS)) ]; }; then
    echo "error: sessions in the database do not match the good answers of create on $INSTANCES instances"
    status=2
fi
if [ -z "$S_OK" ] || [ "$MESSAGES" -lt "$S_OK" ] || [ "$MESSAGES" -gt $((S_OK + CONNECTIONS)) ]; then
    echo "error: messages in the database do not match the good sends"
    status=2
fi
if [ "$MSGLIST_NUMBER" != 10000 ]; then
    echo "error: getmsglist did not answer 10000 records"
    status=2
fi
exit "$status"
