"""Load a local HTML file in headless Chromium with the network off, and report what happened.

Chromium is driven over ``--remote-debugging-pipe`` (the DevTools protocol on fds 3/4, NUL-separated
JSON): no chromedriver, no selenium, no port, no Python dependency -- only Debian's ``chromium``.
The page's console errors, uncaught exceptions, log errors (CSP violations land there), every request
it tries, and the values of JavaScript expressions evaluated after load are returned.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str | None:
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


class Pipe:
    def __init__(self, exe: str, profile: str) -> None:
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()

        def fds() -> None:  # chromium reads commands on fd 3 and writes answers on fd 4
            a, b = os.dup(to_r), os.dup(from_w)   # first out of the way: a pipe end may already be 3 or 4
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
                f"--user-data-dir={profile}", "--disable-background-networking", "--disable-extensions",
                "--disable-sync", "--disable-component-update", "--proxy-server=127.0.0.1:9",
                "--host-resolver-rules=MAP * ~NOTFOUND", "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(to_r)
        os.close(from_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self._read()
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)
        raise TimeoutError(method)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            self.events.append(self._read())

    def _read(self) -> dict:
        while b"\0" not in self._buf:
            chunk = os.read(self._from_r, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def close(self) -> None:
        """Browser.close, then the browser's own process group (its renderers) if it lingers."""
        try:
            self.send("Browser.close", timeout=5)
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        os.close(self._to_w)
        os.close(self._from_r)


def load(path: Path, expressions: dict[str, str], settle: float = 1.0) -> dict:
    """Open ``path`` offline; return console errors, exceptions, requests and each expression's value."""
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("chromium")
    url = Path(path).resolve().as_uri()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        p = Pipe(exe, profile)
        try:
            target = p.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            s = p.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Log", "Network", "Page"):
                p.send(f"{domain}.enable", session=s)
            p.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                        "uploadThroughput": -1}, session=s)
            p.send("Page.navigate", {"url": url}, session=s)
            p.wait_for("Page.loadEventFired")
            time.sleep(settle)
            values = {k: p.send("Runtime.evaluate", {"expression": e, "returnByValue": True}, session=s)
                      .get("result", {}).get("value") for k, e in expressions.items()}
        finally:
            p.close()
    ev = p.events
    console = [e["params"] for e in ev if e.get("method") == "Runtime.consoleAPICalled"
               and e["params"].get("type") in ("error", "assert", "warning")]
    logs = [e["params"]["entry"] for e in ev if e.get("method") == "Log.entryAdded"
            and e["params"]["entry"].get("level") in ("error", "warning")]
    exceptions = [e["params"] for e in ev if e.get("method") == "Runtime.exceptionThrown"]
    requests = [e["params"]["request"]["url"] for e in ev if e.get("method") == "Network.requestWillBeSent"]
    return {"console": console, "log": logs, "exceptions": exceptions,
            "requests": [r for r in requests if r != url], "values": values}
