"""The kf flow through wechatpy 1.8.18, unmodified, against a running kefu.

Usage: wechatpy_flow.py --kefu http://127.0.0.1:PORT --mode proxy|session --out FILE
       [--not-run REASON]

--mode proxy: wechatpy as shipped, reaching kefu only through the process
  environment (HTTPS_PROXY and REQUESTS_CA_BUNDLE, set by sdk/run.sh).
--mode session: the client's requests.Session (`client._http`) is replaced by
  one that rewrites https://api.weixin.qq.com to kefu's base URL, the hook
  wechatpy users reach for; wechatpy's own code is untouched.
--not-run REASON: writes every row as "not run: REASON" and calls nothing.

The human side (accepting the invitation, going online, followers writing)
is played through kefu's control API over plain HTTP, never through the proxy.
"""

import argparse
import base64
import http.client
import json
import os
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
import wechatpy
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

WECHAT = "https://api.weixin.qq.com"
# A 1x1 PNG: kefu checks an avatar's first bytes.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
TOKEN = "kefuSdkToken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

# (row, what the SDK calls) in the order the flow runs them.
ROWS = [
    ("token", "`fetch_access_token()` → `GET /cgi-bin/token`"),
    ("add account", "`customservice.add_account()`"),
    ("avatar upload", "`customservice.upload_headimg()` (multipart)"),
    ("invitation", None),
    ("list accounts", "`customservice.get_accounts()` → `/cgi-bin/customservice/getkflist`"),
    ("list online accounts", "`customservice.get_online_accounts()`"),
    ("create session", "`customservice.create_session()`"),
    ("get session", "`customservice.get_session()`"),
    ("list sessions", "`customservice.get_session_list()`"),
    ("wait case", "`customservice.get_wait_case()`"),
    ("send text", "`message.send_text(..., account=)` → `/cgi-bin/message/custom/send`"),
    ("records", "`customservice.get_records()` → `msgrecord/getmsglist`"),
    ("close session", "`customservice.close_session()`"),
    ("typing", None),
    ("update account", "`customservice.update_account()`"),
    ("delete account", "`customservice.delete_account()` (GET, raw `@`)"),
    ("callback handshake", "`wechatpy.utils.check_signature()` answers kefu's echostr GET"),
    ("callback push (safe mode)", "`WeChatCrypto.decrypt_message()` + `parse_message()` read kefu's push"),
    ("callback passive reply", "`WeChatCrypto.encrypt_message()` of a `TextReply`, read back by kefu"),
]
NOT_IN_SDK = {
    "invitation": "not in SDK (no `inviteworker` in 1.8.18; the flow calls it over plain HTTP)",
    "typing": "not in SDK (no `custom/typing` in 1.8.18)",
}


class Control:
    """kefu's control API (and its plain WeChat side), straight over HTTP."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        raw = res.read()
        conn.close()
        if res.status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {res.status} {raw[:200]!r}")
        return json.loads(raw) if raw else None


class Rows:
    def __init__(self):
        self.results = {}

    def run(self, row, fn):
        try:
            fn()
            self.results[row] = "pass"
        except Exception as e:  # noqa: BLE001 - every failure is a row's result
            why = f"{type(e).__name__}: {e}".replace("\n", " ").replace("|", "/")
            self.results[row] = f"fail ({why[:200]})"
            traceback.print_exc(file=sys.stderr)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


class Receiver(BaseHTTPRequestHandler):
    """The developer's server, written with wechatpy's crypto helpers."""

    appid = None
    pushes = []
    reply_to = None  # the follower whose message gets an encrypted passive reply

    def log_message(self, *args):
        pass

    def _query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))

    def _answer(self, body, status=200):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        q = self._query()
        try:
            check_signature(TOKEN, q["signature"], q["timestamp"], q["nonce"])
        except Exception:  # noqa: BLE001
            return self._answer("bad signature", 403)
        self._answer(q["echostr"])

    def do_POST(self):
        q = self._query()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        crypto = WeChatCrypto(TOKEN, AES_KEY, Receiver.appid)
        try:
            check_signature(TOKEN, q["signature"], q["timestamp"], q["nonce"])
            xml = crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"])
            msg = parse_message(xml)
        except Exception as e:  # noqa: BLE001
            Receiver.pushes.append(("error", repr(e)))
            return self._answer("bad push", 400)
        Receiver.pushes.append((msg.type, msg))
        if msg.type == "text" and msg.source == Receiver.reply_to:
            reply = TextReply(message=msg, content="收到: " + msg.content).render()
            return self._answer(crypto.encrypt_message(reply, q["nonce"], q["timestamp"]))
        self._answer("success")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kefu", required=True)
    ap.add_argument("--mode", choices=["proxy", "session"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--not-run")
    args = ap.parse_args()

    if args.mode == "proxy":
        connection = (
            "proxy mode, no patching: `HTTPS_PROXY=http://127.0.0.1:PORT`, "
            "`REQUESTS_CA_BUNDLE=<kefu's CA PEM>`; `WeChatClient(appid, secret)` as shipped"
        )
    else:
        connection = (
            "base URL through the client's `requests.Session`: `client._http` replaced by a "
            "session that rewrites `https://api.weixin.qq.com` to kefu (peers §b.2); wechatpy's code untouched"
        )
    rows = Rows()
    if args.not_run:
        for row, _ in ROWS:
            rows.results[row] = NOT_IN_SDK.get(row, f"not run: {args.not_run}")
        return write(args, connection, rows)

    ctl = Control(args.kefu)
    app = ctl.call("POST", "/_kefu/apps", {"wechat_id": f"sdk_wechatpy_{args.mode}"})
    appid, secret, wid = app["appid"], app["secret"], app["wechat_id"]
    client = WeChatClient(appid, secret)
    if args.mode == "session":
        base = args.kefu.rstrip("/")

        class ToKefu(requests.Session):
            def request(self, method, url, *a, **kw):
                return super().request(method, url.replace(WECHAT, base, 1), *a, **kw)

        client._http = ToKefu()
    cs = client.customservice
    kf = f"kf1@{wid}"
    st = {}

    def token():
        t = client.fetch_access_token()
        expect(len(t["access_token"]) > 32 and t["expires_in"] == 7200, t)

    rows.run("token", token)
    rows.run("add account", lambda: expect(cs.add_account(kf, "小王", "secret")["errcode"] == 0, "add"))

    def avatar():
        with tempfile.NamedTemporaryFile(suffix=".png") as f:
            f.write(PNG)
            f.flush()
            f.seek(0)
            r = cs.upload_headimg(kf, f)
        expect(r["errcode"] == 0, r)
        listed = ctl.call("GET", f"/_kefu/apps/{appid}")
        expect("kf1" in json.dumps(listed), listed)

    rows.run("avatar upload", avatar)

    # The invitation, over plain HTTP (not in wechatpy), then the human side.
    def invitation():
        q = urllib.parse.urlencode({"access_token": client.access_token})
        r = ctl.call(
            "POST", f"/customservice/kfaccount/inviteworker?{q}", {"kf_account": kf, "invite_wx": "worker_py"}
        )
        expect(r["errcode"] == 0, r)
        ctl.call("POST", f"/_kefu/apps/{appid}/kf/{kf}/invitation/accept")
        ctl.call("PUT", f"/_kefu/apps/{appid}/kf/{kf}/status", {"online": True})

    invitation_rows = Rows()
    invitation_rows.run("invitation", invitation)
    rows.results["invitation"] = NOT_IN_SDK["invitation"]
    if invitation_rows.results["invitation"] != "pass":
        rows.results["invitation"] += "; the plain call " + invitation_rows.results["invitation"]

    def accounts():
        lst = cs.get_accounts()
        mine = [a for a in lst if a["kf_account"] == kf]
        expect(mine and mine[0]["kf_wx"] == "worker_py" and mine[0]["kf_headimgurl"], lst)

    rows.run("list accounts", accounts)

    def online():
        lst = cs.get_online_accounts()
        expect([a for a in lst if a["kf_account"] == kf and a["status"] == 1], lst)

    rows.run("list online accounts", online)
    st["fan"] = ctl.call("POST", f"/_kefu/apps/{appid}/fans")["openid"]
    rows.run("create session", lambda: expect(cs.create_session(st["fan"], kf)["errcode"] == 0, "create"))

    def get_session():
        s = cs.get_session(st["fan"])
        expect(s["kf_account"] == kf and s["createtime"] > 0, s)

    rows.run("get session", get_session)
    rows.run("list sessions", lambda: expect([s for s in cs.get_session_list(kf) if s["openid"] == st["fan"]], "list"))

    def wait_case():
        waiting = ctl.call("POST", f"/_kefu/apps/{appid}/fans")["openid"]
        ctl.call("POST", f"/_kefu/apps/{appid}/waitcase", {"openid": waiting})
        w = cs.get_wait_case()
        expect(w["count"] == 1 and w["waitcaselist"][0]["openid"] == waiting, w)

    rows.run("wait case", wait_case)

    def send():
        ctl.call("POST", f"/_kefu/apps/{appid}/fans/{st['fan']}/messages", {"msgtype": "text", "content": "你好"})
        r = client.message.send_text(st["fan"], "Hello from wechatpy", account=kf)
        expect(r["errcode"] == 0, r)
        got = ctl.call("GET", f"/_kefu/apps/{appid}/fans/{st['fan']}/messages")
        expect("Hello from wechatpy" in json.dumps(got, ensure_ascii=False), got)

    rows.run("send text", send)

    def records():
        now = ctl.call("GET", "/_kefu/clock")["now"]
        res = cs.get_records(now - 3600, now)
        lst = res["recordlist"]
        expect(res["number"] == len(lst) and res["msgid"] > 1, res)
        texts = [(r["opercode"], r["text"], r["worker"]) for r in lst]
        expect((2003, "你好", kf) in texts and (2002, "Hello from wechatpy", kf) in texts, texts)

    rows.run("records", records)
    rows.run("close session", lambda: expect(cs.close_session(st["fan"], kf)["errcode"] == 0, "close"))
    rows.results["typing"] = NOT_IN_SDK["typing"]
    rows.run("update account", lambda: expect(cs.update_account(kf, "小李", "secret")["errcode"] == 0, "update"))

    def delete():
        expect(cs.delete_account(kf)["errcode"] == 0, "delete")
        expect(not [a for a in cs.get_accounts() if a["kf_account"] == kf], "still listed")

    rows.run("delete account", delete)

    # Pushes in safe mode to a receiver built on wechatpy's crypto.
    Receiver.appid = appid
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/wx"

    def handshake():
        ctl.call(
            "PUT",
            f"/_kefu/apps/{appid}/callback",
            {"url": url, "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe"},
        )

    rows.run("callback handshake", handshake)

    def wait_for(cond, what, seconds=10):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if cond():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}: {Receiver.pushes!r}")

    def push():
        fan = ctl.call("POST", f"/_kefu/apps/{appid}/fans")["openid"]
        ctl.call("POST", f"/_kefu/apps/{appid}/fans/{fan}/messages", {"msgtype": "text", "content": "ping"})
        wait_for(lambda: any(t == "text" for t, _ in Receiver.pushes), "the text push")
        errors = [m for t, m in Receiver.pushes if t == "error"]
        expect(not errors, errors)
        msg = [m for t, m in Receiver.pushes if t == "text"][0]
        expect(msg.content == "ping" and msg.source == fan and msg.target == app["original_id"], vars(msg))
        expect(any(t == "event" and m.event == "subscribe" for t, m in Receiver.pushes), Receiver.pushes)
        st["push_fan"] = fan

    rows.run("callback push (safe mode)", push)

    def passive_reply():
        fan = st["push_fan"]
        Receiver.reply_to = fan
        ctl.call("POST", f"/_kefu/apps/{appid}/fans/{fan}/messages", {"msgtype": "text", "content": "reply please"})

        def kept():
            log = ctl.call("GET", f"/_kefu/apps/{appid}/deliveries")
            entries = log if isinstance(log, list) else log.get("deliveries", [])
            return any("passive text reply kept" in (d.get("detail") or "") for d in entries)

        wait_for(kept, "the delivery log to keep the reply")
        got = ctl.call("GET", f"/_kefu/apps/{appid}/fans/{fan}/messages")
        expect("收到: reply please" in json.dumps(got, ensure_ascii=False), got)

    rows.run("callback passive reply", passive_reply)
    server.shutdown()
    write(args, connection, rows)


def write(args, connection, rows):
    out = {
        "sdk": "wechatpy (Python)",
        "version": wechatpy.__version__,
        "via": "proxy mode" if args.mode == "proxy" else "session hook",
        "connection": connection,
        "kefu": "`kefu serve` (strict)",
        "rows": [
            {"method": row, "calls": calls or "", "result": rows.results.get(row, "fail (not reached)")}
            for row, calls in ROWS
        ],
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
