"""The console in a real headless Chromium (Debian's), played by clicking:
the README's walk-through, live updates from the CLI, deep links, the
clock, an error shown for a refused action, and the admin-token prompt.
Any JavaScript error or console error on a page fails the run. The
screenshots under docs/console/ are taken here, so they stay current.

    python3 browser/console_test.py      (after cargo build -p kefu)
"""

import contextlib
import json
import os
import re
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from playwright.sync_api import expect, sync_playwright

from kefu_proc import Kefu

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = os.path.join(os.path.dirname(__file__), "..", "docs", "console")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d ")
# The refusals these checks cause on purpose; any other answer of 4xx or 5xx
# to the page (a wrong path in the console's code, say) fails the run.
EXPECTED = [
    (409, re.compile(r"^POST /_kefu/apps/[^/]+/kf/[^/]+/messages$")),  # the reply after the session closed
    (401, re.compile(r"^(GET|POST) /_kefu/")),  # before the admin token is given
]

expect.set_options(timeout=5_000)


class Browser:
    """Pages that record every JavaScript error and console error."""

    def __init__(self, playwright):
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        self.errors = []
        self.pages = []

    def keep_evidence(self):
        """After a failure: a screenshot of every open page, named in the output."""
        folder = tempfile.mkdtemp(prefix="kefu-console-failure-")
        for i, page in enumerate(p for p in self.pages if not p.is_closed()):
            path = os.path.join(folder, f"page{i}.png")
            page.screenshot(path=path, full_page=True)
            print(f"failure screenshot: {path} ({page.url})", file=sys.stderr)

    def page(self, viewport=DESKTOP):
        page = self.browser.new_context(viewport=viewport).new_page()
        self.pages.append(page)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        page.on("console", lambda m: self.console(page, m))
        page.on("response", lambda r: self.response(page, r))
        return page

    def response(self, page, answer):
        if answer.status < 400:
            return
        call = f"{answer.request.method} {urllib.parse.urlsplit(answer.url).path}"
        if not any(status == answer.status and path.search(call) for status, path in EXPECTED):
            self.errors.append(f"{page.url}: {call} answered {answer.status}")

    def console(self, page, message):
        # The browser itself logs every answer of 4xx as an error; those are
        # checked one by one against EXPECTED in `response`. Anything else
        # logged as an error (a 5xx, a network failure, console.error) fails.
        if message.type == "error" and not REFUSED.search(message.text):
            self.errors.append(f"{page.url}: console: {message.text}")

    def close_pages(self):
        for page in self.pages:
            if not page.is_closed():
                page.context.close()
        self.pages = []

    def close(self):
        self.browser.close()
        assert not self.errors, "JavaScript errors:\n" + "\n".join(self.errors)


def wechat(kefu, path, body):
    """A WeChat-API call as the developer's own code makes it, with a
    cgi-bin/token token of its own (the console's never disturbs it)."""
    query = f"grant_type=client_credential&appid={kefu.appid}&secret={kefu.secret}"
    with urllib.request.urlopen(f"{kefu.url}/cgi-bin/token?{query}") as r:
        token = json.load(r)["access_token"]
    request = urllib.request.Request(f"{kefu.url}{path}?access_token={token}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as r:
        answer = json.load(r)
    assert answer.get("errcode", 0) == 0, f"{path}: {answer}"
    return answer


def step(text):
    print(f"  - {text}", flush=True)


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name))


def walk_through(browser, kefu):
    """Add, invite, accept, go online, follow, write, accept from the queue,
    reply, see the reply on the phone and the push in the deliveries."""
    kefu.listen("--reply", "transfer")  # the developer's server: every message goes to customer service
    page = browser.page()
    page.goto(kefu.console)
    step("the apps list shows the demo app")
    page.get_by_role("link", name=kefu.appid).click()
    expect(page).to_have_url(re.compile(f"/_kefu/console/apps/{kefu.appid}$"))
    expect(page.get_by_text("no kf accounts yet — add one")).to_be_visible()
    expect(page.get_by_text("no followers yet — create one")).to_be_visible()

    step("a refused kf account shows WeChat's error beside the form and changes nothing")
    page.get_by_label("Kf account", exact=True).fill("bob@other_shop")
    page.get_by_label("Nickname", exact=True).fill("Bob")
    page.get_by_role("button", name="Add kf account").click()
    add_form = page.get_by_role("form", name="Add a kf account")
    expect(add_form.get_by_role("alert")).to_contain_text("65404 illegal custom service account")
    expect(page.get_by_text("no kf accounts yet — add one")).to_be_visible()

    step("add kf1@kefu_demo, invite worker_wang, accept as worker_wang, go online")
    page.get_by_label("Kf account", exact=True).fill("kf1")
    page.get_by_label("Nickname", exact=True).fill("小王")
    page.get_by_role("button", name="Add kf account").click()
    expect(add_form.locator("[role=alert]")).to_be_empty()
    expect(page.get_by_text("kf_id 1001 · 小王")).to_be_visible()
    page.get_by_label("WeChat ID to invite").fill("worker_wang")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.get_by_text("waiting", exact=True)).to_be_visible()
    page.get_by_role("button", name="Accept invitation: kf1@kefu_demo").click()
    page.get_by_role("button", name="Go online: kf1@kefu_demo").click()
    expect(page.get_by_role("button", name="Go offline: kf1@kefu_demo")).to_be_visible()

    step("kf2: its invitation expires on the clock, the next is rejected, the third accepted")
    page.get_by_label("Kf account", exact=True).fill("kf2")
    page.get_by_label("Nickname", exact=True).fill("小李")
    page.get_by_role("button", name="Add kf account").click()
    kf2 = page.get_by_role("row", name=re.compile("kf2@kefu_demo"))
    expect(kf2).to_contain_text("kf_id 1002 · 小李")

    def invite_li():
        page.get_by_label("Account to bind").select_option("kf2@kefu_demo")
        page.get_by_label("WeChat ID to invite").fill("worker_li")
        page.get_by_role("button", name="Invite", exact=True).click()
        expect(kf2).to_contain_text("waiting")

    invite_li()
    page.get_by_label("Advance clock (seconds)").fill(str(7 * 24 * 3600))
    page.get_by_role("button", name="Advance", exact=True).click()
    expect(kf2).to_contain_text("expired")
    invite_li()  # the console's token expired with the clock: it took a new one
    page.get_by_role("button", name="Reject invitation: kf2@kefu_demo").click()
    expect(kf2).to_contain_text("rejected")
    invite_li()
    page.get_by_role("button", name="Accept invitation: kf2@kefu_demo").click()
    page.get_by_role("button", name="Go online: kf2@kefu_demo").click()
    expect(page.get_by_role("button", name="Go offline: kf2@kefu_demo")).to_be_visible()
    shot(page, "app.png")

    step("a new follower opens its conversation; it writes as the follower")
    page.get_by_role("button", name="New follower").click()
    expect(page).to_have_url(re.compile(f"/apps/{kefu.appid}/fans/o[^/]+$"))
    openid = page.url.rsplit("/", 1)[1]
    page.get_by_label("Follower message").fill("你好，我的订单还没到")
    page.get_by_role("button", name="Send as follower").click()
    phone = page.get_by_role("log", name="Follower's phone")
    expect(phone).to_contain_text("你好，我的订单还没到")

    step("the developer's server answered transfer_customer_service: the follower waits; Accept next")
    desk = page.get_by_role("region", name="Worker's desk")
    expect(desk).to_contain_text("1 of 1 in the queue")
    desk.get_by_role("button", name="Accept next").click()
    expect(desk).to_contain_text("with kf1@kefu_demo")

    step("the developer shows typing: the phone says so until the worker's reply ends it")
    page.get_by_role("button", name="Show typing (custom/typing)").click()
    typing = page.get_by_role("region", name="Phone").get_by_text("对方正在输入… (typing)")
    expect(typing).to_be_visible()

    step("reply as the worker; the phone shows it")
    page.get_by_label("Worker reply").fill("有什么可以帮您？")
    page.get_by_role("button", name="Send as worker").click()
    expect(phone).to_contain_text("有什么可以帮您？")
    expect(phone).to_contain_text("kf1@kefu_demo")
    expect(typing).to_have_count(0)

    step("transfer the session to kf2")
    page.get_by_label("Transfer to").select_option("kf2@kefu_demo")
    page.get_by_role("button", name="Transfer", exact=True).click()
    expect(desk).to_contain_text("with kf2@kefu_demo")

    step("the pushes: the follower's message, encrypted and opened, answered with the transfer")
    caused = page.get_by_role("region", name="What the conversation caused")
    push = caused.locator("details", has_text="text").first
    expect(push).to_contain_text("ok")
    push.locator("summary").click()
    expect(push).to_contain_text("Request, decrypted")
    expect(push).to_contain_text("你好，我的订单还没到")
    expect(push).to_contain_text("transfer_customer_service")
    expect(caused).to_contain_text("kf_create_session")
    expect(caused).to_contain_text("kf_switch_session")
    shot(page, "conversation.png")
    return page, openid


def live_and_time(browser, kefu, page, openid):
    step("a CLI action shows on the open page without a reload")
    started = time.monotonic()
    kefu.cli("fan", "write", "--app", kefu.appid, openid, "从命令行发来的")
    phone = page.get_by_role("log", name="Follower's phone")
    expect(phone).to_contain_text("从命令行发来的")
    print(f"    shown {time.monotonic() - started:.2f} s after the CLI started", flush=True)

    step("the follower sends an image and clicks a menu; the click is pushed")
    page.get_by_label("Message type").select_option("image")
    page.get_by_role("button", name="Send as follower").click()
    expect(phone).to_contain_text("[image]")
    page.get_by_label("Event key").fill("MENU_HELP")
    page.get_by_role("button", name="Click menu").click()
    caused = page.get_by_role("region", name="What the conversation caused")
    click = caused.locator("details", has_text=re.compile("CLICK", re.IGNORECASE)).first
    click.locator("summary").click()
    expect(click).to_contain_text("MENU_HELP")

    step("custom/send's news and menu show on the phone; a javascript: link is not kept")
    news = {"title": "订单进度", "description": "查看物流", "url": "javascript:alert(1)", "picurl": ""}
    wechat(kefu, "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "news", "news": {"articles": [news]}})
    menu = {"head_content": "您对本次服务是否满意呢？", "list": [{"id": "101", "content": "满意"}, {"id": "102", "content": "不满意"}],
            "tail_content": "欢迎再次光临"}
    wechat(kefu, "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "msgmenu", "msgmenu": menu})
    article = phone.get_by_role("link", name="📰 订单进度")
    expect(article).to_have_attribute("href", "#")
    expect(phone).to_contain_text("不满意")
    expect(phone).to_contain_text("欢迎再次光临")

    step("another browser's action shows too")
    other = browser.page()
    other.goto(page.url)
    other.get_by_label("Worker reply").fill("second tab")
    other.get_by_role("button", name="Send as worker").click()
    expect(phone).to_contain_text("second tab")
    other.context.close()

    step("the deep link survives a reload")
    page.reload()
    expect(page.get_by_role("log", name="Follower's phone")).to_contain_text("有什么可以帮您？")

    step("the phone view at 390x844")
    mobile = browser.page(PHONE)
    mobile.goto(page.url)
    expect(mobile.get_by_role("log", name="Follower's phone")).to_contain_text("从命令行发来的")
    expect(mobile.get_by_role("button", name="Send as follower")).to_be_visible()
    shot(mobile, "phone.png")
    mobile.context.close()

    step("the clock: 31 idle minutes close the session")
    desk = page.get_by_role("region", name="Worker's desk")
    expect(desk).to_contain_text("with kf2@kefu_demo")
    page.get_by_label("Advance clock (seconds)").fill("1860")
    page.get_by_role("button", name="Advance", exact=True).click()
    expect(desk).to_contain_text("no session")
    expect(page.get_by_role("region", name="What the conversation caused")).to_contain_text("kf_close_session")

    step("a refused reply leaves the page usable and shows why")
    page.get_by_label("Worker reply").fill("anyone there?")
    page.get_by_role("button", name="Send as worker").click()
    reply = page.get_by_role("form", name="Reply as the worker")
    expect(reply.get_by_role("alert")).not_to_be_empty()
    expect(page.get_by_label("Worker reply")).to_have_value("anyone there?")

    step("a fault rule added and removed on the app page")
    page.get_by_role("link", name="kefu_demo").click()
    page.get_by_label("Errcode").fill("-1")
    page.get_by_label("Times").fill("2")
    page.get_by_role("button", name="Add fault").click()
    traffic = page.get_by_role("region", name="Traffic")
    expect(traffic).to_contain_text("errcode -1, 2 times")
    traffic.get_by_role("button", name=re.compile("Remove fault")).click()
    expect(traffic).to_contain_text("no fault rules")

    step("create an app; reset: the demo app comes back, the new one is gone")
    page.get_by_role("link", name="Apps", exact=True).click()
    page.get_by_label("Type", exact=True).select_option("official_account")
    page.get_by_label("WeChat ID", exact=True).fill("console_shop")
    page.get_by_role("button", name="Create app").click()
    expect(page.get_by_role("heading", name=re.compile("console_shop"))).to_be_visible()
    page.get_by_role("link", name="Apps", exact=True).click()
    expect(page.get_by_role("cell", name="console_shop")).to_be_visible()
    page.get_by_role("button", name="Reset…").click()
    page.get_by_role("button", name="Yes, reset everything").click()
    expect(page.get_by_role("cell", name="console_shop")).to_have_count(0)
    expect(page.get_by_role("cell", name="kefu_demo")).to_be_visible()


def admin_token(browser, kefu, token):
    page = browser.page()
    page.goto(kefu.console)
    step("with --admin-token the console asks for it and shows no data")
    expect(page.get_by_role("heading", name="Admin token")).to_be_visible()
    expect(page.get_by_text(kefu.appid)).to_have_count(0)
    shot(page, "token.png")
    page.get_by_label("Admin token").fill("not-the-token-at-all")
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("alert").first).to_contain_text("the admin token is wrong")
    page.get_by_label("Admin token").fill(token)
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("link", name=kefu.appid)).to_be_visible()
    step("the token is kept for the tab: a reload and live updates need no prompt")
    page.reload()
    expect(page.get_by_role("link", name=kefu.appid)).to_be_visible()
    expect(page.locator("#live")).to_have_text("live")
    kefu.cli("app", "create", "--type", "official_account", token=token)
    expect(page.get_by_role("row", name=re.compile("Official Account"))).to_be_visible()


@contextlib.contextmanager
def serving(browser, kefu):
    """Runs checks against `kefu`; after a failure keeps screenshots, and
    always closes the pages (so none reconnects) before stopping it."""
    try:
        yield kefu
    except Exception:
        browser.keep_evidence()
        raise
    finally:
        browser.close_pages()
        kefu.stop()


def main():
    with sync_playwright() as p:
        browser = Browser(p)
        with serving(browser, Kefu()) as kefu:
            print("walk-through", flush=True)
            page, openid = walk_through(browser, kefu)
            print("live updates, deep links, phone, time, errors, faults", flush=True)
            live_and_time(browser, kefu, page, openid)
        print("admin token", flush=True)
        token = "console-admin-token-0123456789"
        with serving(browser, Kefu("--admin-token", token)) as kefu:
            admin_token(browser, kefu, token)
        browser.close()
    print("console: all browser checks passed")


if __name__ == "__main__":
    sys.exit(main())
