"""CPU used by the servers during one benchmark run (used by bench/run.sh).

Usage: cpu_profile.py SECONDS STARTED PIDS [PSQL_URL APPLICATION_NAME]

For a wrk run of SECONDS that started at STARTED (unix time, fractional: a
busy machine can take a while to start Python), it skips the run's first
second (ramp-up) and its last one, samples /proc in between and prints, in
percent of one core:

    server cpu T% of one core (busiest threads); machine idle I%

for the kefu processes PIDS (comma-separated; threads of the same name
summed; with several processes the line says how many). With PSQL_URL and
APPLICATION_NAME (kefu on PostgreSQL) a second line follows:

    postgres cpu B% of one core in N kefu backends; all postgres processes A%

where the backends are the server processes whose pg_stat_activity
application_name is APPLICATION_NAME (run.sh puts it in kefu's URL), and
"all postgres processes" adds the postmaster and every other child of it
(WAL writer, checkpointer, other clients' backends). It says "n/a" when no
backend of kefu runs on this machine (a remote database server).
"""

import os
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def ticks_of(stat):
    """utime + stime from a /proc stat line."""
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def threads(pids):
    """{tid: (name, ticks)} over every thread of the processes."""
    out = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            stat = read(f"/proc/{pid}/task/{tid}/stat")
            if stat is not None:
                out[tid] = (stat[stat.index("(") + 1:stat.rindex(")")], ticks_of(stat))
    return out


def idle():
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    return cpu[3] + cpu[4], sum(cpu)


def backends(url, application_name):
    """Pids of the database server processes serving kefu."""
    query = f"SELECT pid FROM pg_stat_activity WHERE application_name = '{application_name}'"
    done = subprocess.run(["psql", url, "-XAtc", query], capture_output=True, text=True, timeout=10)
    return {line for line in done.stdout.split() if line.isdigit()}


def postmaster_of(backend_pids):
    """The pid of the postmaster that started these backends, if on this machine."""
    for pid in backend_pids:
        status = read(f"/proc/{pid}/status") or ""
        for line in status.splitlines():
            if line.startswith("PPid:"):
                return line.split()[1]
    return None


def children_of(parent):
    """The postmaster and every process it started."""
    family = {parent}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        stat = read(f"/proc/{pid}/stat")
        if stat is not None and stat[stat.rindex(")") + 2:].split()[1] == parent:
            family.add(pid)
    return family


def process_ticks(pids):
    out = {}
    for pid in pids:
        stat = read(f"/proc/{pid}/stat")
        if stat is not None:
            out[pid] = ticks_of(stat)
    return out


def main():
    seconds, started, pids = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3].split(",")
    pg = sys.argv[4:6] if len(sys.argv) >= 6 else None

    # The database server's processes are found before the window (psql is
    # slow on a busy machine); backends that start later are children too.
    postmaster = postmaster_of(backends(*pg)) if pg else None
    time.sleep(max(started + 1 - time.time(), 0))  # skip the ramp-up
    if postmaster:
        pg0, pg_t0 = process_ticks(children_of(postmaster)), time.monotonic()
    t0, b0, (i0, s0) = time.monotonic(), threads(pids), idle()
    time.sleep(max(started + seconds - 1 - time.time(), 0.5))  # end before wrk does
    t1, b1, (i1, s1) = time.monotonic(), threads(pids), idle()
    if postmaster:
        pg1, pg_t1 = process_ticks(children_of(postmaster)), time.monotonic()
    span = t1 - t0

    by_name = {}
    for tid, (name, ticks) in b1.items():
        by_name[name] = by_name.get(name, 0) + ticks - b0.get(tid, (name, 0))[1]
    busy = sorted(by_name.items(), key=lambda kv: -kv[1])
    total = sum(by_name.values()) / TICK / span * 100
    parts = ", ".join(f"{n} {v / TICK / span * 100:.0f}%" for n, v in busy[:3] if v)
    where = f" in {len(pids)} processes" if len(pids) > 1 else ""
    print(f"server cpu {total:.0f}% of one core{where} ({parts}); "
          f"machine idle {100 * (i1 - i0) / max(s1 - s0, 1):.0f}%")

    if pg:
        if not postmaster:
            print("postgres cpu n/a (no kefu backend found on this machine)")
            return
        # Which of the processes serve kefu, asked after the window.
        kefu_backends = backends(*pg)
        # A process that started during the window counts from zero.
        used = {pid: ticks - pg0.get(pid, 0) for pid, ticks in pg1.items()}
        mine = [used[pid] for pid in kefu_backends if pid in used]
        pct = 100 / TICK / (pg_t1 - pg_t0)
        print(f"postgres cpu {sum(mine) * pct:.0f}% of one core in {len(mine)} kefu backends "
              f"(busiest {max(mine, default=0) * pct:.0f}%); all postgres processes {sum(used.values()) * pct:.0f}%")


main()
