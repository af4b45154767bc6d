"""A minimal W3C WebDriver client over HTTP on loopback, and the WebKitGTK driver it talks to.

Only the handful of endpoints the compatibility probe needs (new session, window size, navigate,
execute script, screenshot, delete session), so no client library is needed. WebKitGTK's MiniBrowser
has no headless mode: it runs on a private Xvfb display that lives as long as the driver.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from crawler.proctree import tree_rss_mb

MINIBROWSER_CANDIDATES = ("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
                          "/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
                          "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/MiniBrowser")


class DriverUnavailable(RuntimeError):
    pass


class WebDriverError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _free_display() -> int:
    for number in range(90, 190):
        if not os.path.exists(f"/tmp/.X{number}-lock") and not os.path.exists(f"/tmp/.X11-unix/X{number}"):
            return number
    raise DriverUnavailable("no free X display number for Xvfb")


def webkit_requirements() -> tuple[str, str, str]:
    """(driver, browser, xvfb) paths, or DriverUnavailable naming what is missing."""
    driver = shutil.which("WebKitWebDriver")
    browser = next((p for p in MINIBROWSER_CANDIDATES if os.path.isfile(p)), None)
    xvfb = shutil.which("Xvfb")
    missing = [name for name, path in (("WebKitWebDriver (Debian webkit2gtk-driver)", driver),
                                       ("MiniBrowser (Debian libwebkit2gtk-4.1-0)", browser),
                                       ("Xvfb (Debian xvfb)", xvfb)) if not path]
    if missing:
        raise DriverUnavailable("not installed: " + ", ".join(missing))
    return driver, browser, xvfb


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class WebDriverSession:
    """One driver process (and its display), one session, closed by `with`."""

    def __init__(self, engine: str, timeout_s: float = 30, proxy: dict | None = None):
        self.engine = engine
        self.proxy = proxy            # a WebDriver proxy capability (crawler.egress_proxy) for every request
        self.timeout_s = timeout_s
        self.processes: list[subprocess.Popen] = []
        self.session = None
        self.browser_version = ""
        self.peak_rss_mb = 0.0

    def __enter__(self) -> "WebDriverSession":
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _spawn(self, args: list[str], env: dict | None = None) -> subprocess.Popen:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, **(env or {})}, start_new_session=True)
        self.processes.append(process)
        return process

    def _start(self) -> None:
        env = {}
        if self.engine == "webkit":
            driver, browser, xvfb = webkit_requirements()
            display = _free_display()
            self._spawn([xvfb, f":{display}", "-screen", "0", "1600x1200x24", "-nolisten", "tcp"])
            env["DISPLAY"] = f":{display}"
            deadline = time.monotonic() + 10
            while not os.path.exists(f"/tmp/.X11-unix/X{display}"):
                if time.monotonic() > deadline or self.processes[0].poll() is not None:
                    raise DriverUnavailable("Xvfb did not start")
                time.sleep(0.05)
            capabilities = {"webkitgtk:browserOptions": {"binary": browser, "args": ["--automation"]}}
        else:
            raise DriverUnavailable(f"no WebDriver engine named {self.engine}")
        self.port = _free_port()
        self.driver = self._spawn([driver, f"--port={self.port}"], env)
        deadline = time.monotonic() + 15
        while True:
            try:
                self._call("GET", "/status", timeout=2)
                break
            except (WebDriverError, OSError):
                if time.monotonic() > deadline or self.driver.poll() is not None:
                    raise DriverUnavailable(f"{os.path.basename(driver)} did not start")
                time.sleep(0.1)
        if self.proxy:
            capabilities["proxy"] = self.proxy
        answer = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}}, timeout=60)
        self.session = answer["sessionId"]
        caps = answer.get("capabilities", {})
        self.browser_version = f"WebKitGTK {caps.get('browserVersion', '')} ({caps.get('browserName', '')})"
        self._call("POST", f"/session/{self.session}/timeouts",
                   {"pageLoad": int(self.timeout_s * 1000), "script": 15000})

    def _call(self, method: str, path: str, body: dict | None = None, timeout: float | None = None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout_s + 15) as answer:
                return json.loads(answer.read().decode("utf-8")).get("value")
        except urllib.error.HTTPError as exc:
            try:
                value = json.loads(exc.read().decode("utf-8")).get("value") or {}
            except ValueError:
                value = {}
            raise WebDriverError(f"{value.get('error', exc.code)}: {str(value.get('message', ''))[:300]}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise WebDriverError(f"the driver did not answer: {exc}") from exc

    def set_window(self, width: int, height: int) -> None:
        self._call("POST", f"/session/{self.session}/window/rect", {"width": width, "height": height})

    def goto(self, url: str) -> None:
        self._call("POST", f"/session/{self.session}/url", {"url": url})

    def evaluate(self, function_js: str):
        """Run a JS arrow function of no arguments in the page and return its (JSON) result."""
        return self._call("POST", f"/session/{self.session}/execute/sync",
                          {"script": f"return ({function_js})();", "args": []})

    def screenshot(self) -> bytes:
        return base64.b64decode(self._call("GET", f"/session/{self.session}/screenshot"))

    def sample_memory(self) -> None:
        self.peak_rss_mb = max(self.peak_rss_mb, round(sum(tree_rss_mb(p.pid) for p in self.processes if p.poll() is None), 1))

    def __exit__(self, *exc) -> None:
        if self.session:
            try:
                self.sample_memory()
                self._call("DELETE", f"/session/{self.session}", timeout=15)
            except (WebDriverError, OSError):
                pass
            self.session = None
        for process in reversed(self.processes):   # the driver (and the browser it started) first, then the display
            # each was started in a session of its own: signalling its group also ends the browser it spawned
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        self.processes = []
