"""Seeds the getonlinekflist run of bench/run.sh.

    read_seed.py seed APPS KFS            -> a seed file (JSON) on stdout
    read_seed.py sql sqlite|postgres APPS KFS PER_KF NOW -> SQL on stdout

The seed file declares APPS apps (appid wxbench00000000NN, secret the
appid's digits repeated), each with KFS bound, online kf accounts (one
worker each). The SQL then gives every account PER_KF open sessions with
followers of their own, last message at NOW (unix seconds), written while
kefu is stopped.
"""
import json
import sys


def appid(a):
    return f"wxbench{a:011d}"


def secret(a):
    return f"{a:032d}"


def seed(apps, kfs):
    return {"apps": [{
        "appid": appid(a), "secret": secret(a), "account_type": "service_account",
        "certified": True, "wechat_id": f"bench{a}",
        "kf": [{"kf_account": f"kf{k}@bench{a}", "nickname": f"KF {k}",
                "worker": f"bench_{a}_{k}", "online": True} for k in range(1, kfs + 1)],
    } for a in range(1, apps + 1)]}


def sql(dialect, apps, kfs, per_kf, now):
    out = ["BEGIN;"]
    for a in range(1, apps + 1):
        n = kfs * per_kf
        if dialect == "postgres":
            rows = f"SELECT i FROM generate_series(0, {n - 1}) AS i"
            openid = "'r' || lpad(i::text, 27, '0')"
            kf = f"'kf' || (1 + i % {kfs}) || '@bench{a}'"
            true = "TRUE"
        else:
            rows = f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {n - 1}) SELECT i FROM n"
            openid = "'r' || printf('%027d', i)"
            kf = f"'kf' || (1 + i % {kfs}) || '@bench{a}'"
            true = "1"
        out.append(
            f"INSERT INTO fans (appid, openid, subscribed, followed_at) "
            f"SELECT '{appid(a)}', {openid}, {true}, {now} FROM ({rows}) AS r;")
        out.append(
            f"INSERT INTO sessions (appid, openid, kf_account, created_at, last_msg_at) "
            f"SELECT '{appid(a)}', {openid}, {kf}, {now}, {now} FROM ({rows}) AS r;")
    out.append("COMMIT;")
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        json.dump(seed(int(sys.argv[2]), int(sys.argv[3])), sys.stdout)
    else:
        dialect, apps, kfs, per_kf, now = sys.argv[2], *map(int, sys.argv[3:7])
        print(sql(dialect, apps, kfs, per_kf, now))
