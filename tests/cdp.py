"""A small Chrome DevTools Protocol client for the browser tests: headless Chromium, one websocket.

``Browser`` starts Chromium with remote debugging on a free port (read from its stderr), the network
pointed at a dead proxy, and talks to it over the browser websocket; ``Browser.page()`` opens a tab
and returns a ``Tab`` whose commands go through a flat session. Events are kept per tab in
``Tab.events`` (method, params) so a test can look at requests and console messages afterwards.
"""
from __future__ import annotations

import base64
import itertools
import json
import re
import subprocess
import threading
import time
from pathlib import Path

import websocket  # websocket-client

CHROMIUM = "/usr/bin/chromium"  # the Makefile's test target installs it (Debian package chromium)
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class CDPError(RuntimeError):
    pass


class Browser:
    def __init__(self, profile: Path, timeout: float = 30):
        assert Path(CHROMIUM).is_file(), f"{CHROMIUM} missing: `make test` installs it (apt-get install chromium)"
        self.timeout = timeout
        # Network off: every request that is not file: or data: would go to a proxy on the discard port,
        # which refuses it; loopback is not exempt (<-loopback>). The tests also watch every request.
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
               "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
               "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--hide-scrollbars",
               "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = None
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            m = _LISTENING.search(line)
            if m:
                url = m.group(1)
                break
        if url is None:
            self.close()
            raise CDPError("Chromium did not start its DevTools server:\n" + "".join(seen)[-2000:])
        # Keep draining stderr so Chromium never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
        self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True, enable_multithread=True)
        self._ids = itertools.count(1)
        self._events: dict[str | None, list[tuple[str, dict]]] = {}

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        ident = next(self._ids)
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == ident:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.setdefault(reply.get("sessionId"), []).append((reply["method"], reply.get("params", {})))
        raise CDPError(f"{method}: no reply in {self.timeout} s")

    def pump(self, seconds: float) -> None:
        """Read events for a while (nothing to wait for but what the page does by itself)."""
        end = time.monotonic() + seconds
        self.ws.settimeout(0.05)
        try:
            while time.monotonic() < end:
                try:
                    reply = json.loads(self.ws.recv())
                except websocket.WebSocketTimeoutException:
                    continue
                if "method" in reply:
                    self._events.setdefault(reply.get("sessionId"), []).append((reply["method"], reply.get("params", {})))
        finally:
            self.ws.settimeout(self.timeout)

    def page(self) -> Tab:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        return Tab(self, target, session)

    def close(self) -> None:
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(10)


class Tab:
    def __init__(self, browser: Browser, target: str, session: str):
        self.browser, self.target, self.session = browser, target, session
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    @property
    def events(self) -> list[tuple[str, dict]]:
        return self.browser._events.setdefault(self.session, [])

    def send(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, self.session)

    def wait_for(self, method: str, after: int = 0, timeout: float = 30) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for name, params in self.events[after:]:
                if name == method:
                    return params
            self.browser.pump(0.05)
        raise CDPError(f"no {method} event in {timeout} s")

    def open(self, url: str) -> None:
        """Load url and wait for its load event."""
        mark = len(self.events)
        reply = self.send("Page.navigate", {"url": url})
        if reply.get("errorText"):
            raise CDPError(f"navigating to {url}: {reply['errorText']}")
        self.wait_for("Page.loadEventFired", after=mark)

    def js(self, expression: str):
        """Evaluate an expression in the page (DevTools evaluation, not page script: the page's CSP allows none)."""
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in reply:
            raise CDPError(f"{expression[:80]}: {reply['exceptionDetails'].get('exception', {}).get('description')}")
        return reply["result"].get("value")

    def viewport(self, width: int, height: int, mobile: bool = False) -> None:
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        self.js("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def media(self, kind: str) -> None:
        self.send("Emulation.setEmulatedMedia", {"media": kind})
        self.js("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params: dict = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", params)["data"]))
        return path

    def pdf(self, **options) -> bytes:
        return base64.b64decode(self.send("Page.printToPDF", {"preferCSSPageSize": True, **options})["data"])

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})
