"""Starting kefu (and `kefu listen`) for the browser tests: a fresh data
directory, a free port, and the lines the process prints."""

import os
import re
import socket
import subprocess
import tempfile
import time

KEFU = os.environ.get("KEFU_BIN", os.path.join(os.path.dirname(__file__), "..", "target", "debug", "kefu"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A kefu command whose output is read until a line matches."""

    def __init__(self, args, cwd):
        self.out = tempfile.NamedTemporaryFile("w+", delete=False, dir=cwd, suffix=".log")
        self.proc = subprocess.Popen([KEFU, *args], cwd=cwd, stdout=self.out, stderr=subprocess.STDOUT)

    def wait_for(self, pattern, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with open(self.out.name, encoding="utf-8", errors="replace") as f:
                m = re.search(pattern, f.read())
            if m:
                return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(self.out.name, encoding="utf-8", errors="replace") as f:
            raise AssertionError(f"no {pattern!r} in the output of {self.proc.args}:\n{f.read()}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"{self.proc.args} did not stop within 10 s of SIGTERM")


class Kefu:
    """`kefu serve` on a free port with its own data directory."""

    def __init__(self, *extra):
        self.dir = tempfile.mkdtemp(prefix="kefu-console-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.serve = Process(["serve", "--listen", f"127.0.0.1:{self.port}", *extra], self.dir)
        m = self.serve.wait_for(r"demo app: appid=(\S+) secret=(\S+)")
        self.appid, self.secret = m.group(1), m.group(2)
        self.console = self.serve.wait_for(r"console: (\S+)").group(1)
        self.children = []

    def listen(self, *args):
        port = free_port()
        p = Process(["listen", "--server", self.url, "--app", self.appid, "--port", str(port), *args], self.dir)
        p.wait_for(r"listening on")
        self.children.append(p)
        return p

    def cli(self, *args, token=None):
        extra = ["--admin-token", token] if token else []
        done = subprocess.run([KEFU, *args, "--server", self.url, *extra], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"kefu {' '.join(args)}: {done.stderr}"
        return done.stdout

    def stop(self):
        for c in self.children:
            c.stop()
        self.serve.stop()
