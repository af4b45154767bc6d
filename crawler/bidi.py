"""Firefox without geckodriver: its built-in WebDriver BiDi server, spoken to over a loopback WebSocket.

Debian 12 packages Firefox ESR but no geckodriver, and PyPI's geckodriver packages download it at run time
(or ship a Windows binary). Firefox itself speaks WebDriver BiDi (`--remote-debugging-port`), which is
all the compatibility probe needs: navigate, evaluate a function, take a screenshot, and — unlike classic
WebDriver — hear the page's script errors (`log.entryAdded`). The session has the same small interface as
crawler.webdriver.WebDriverSession.
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from crawler.proctree import tree_rss_mb
from crawler.webdriver import DriverUnavailable, WebDriverError, _free_port

MAX_ERRORS = 10


def firefox_path() -> str:
    found = os.environ.get("EGOV_FIREFOX") or shutil.which("firefox-esr") or shutil.which("firefox")
    if not found:
        raise DriverUnavailable("Firefox is not installed (Debian firefox-esr)")
    return found


class BidiSession:
    def __init__(self, timeout_s: float = 30, gate=None):
        self.timeout_s = timeout_s
        self.gate = gate              # crawler.engines.Gate: every request Firefox makes is asked first
        self.process: subprocess.Popen | None = None
        self.socket = None
        self.context = None
        self.browser_version = ""
        self.peak_rss_mb = 0.0
        self.errors: list[str] = []
        self._next_id = 0
        self._profile = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "BidiSession":
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        try:
            from websockets.sync.client import connect
        except ImportError as exc:
            raise DriverUnavailable("the websockets package is not installed") from exc
        browser = firefox_path()
        self._profile = tempfile.mkdtemp(prefix="egov-firefox-")
        port = _free_port()
        self.process = subprocess.Popen(
            [browser, "--headless", "--no-remote", "--profile", self._profile, f"--remote-debugging-port={port}",
             "--remote-allow-hosts=127.0.0.1", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "HOME": self._profile, "MOZ_CRASHREPORTER_DISABLE": "1"})
        deadline = time.monotonic() + 30
        while True:
            try:
                # entered as a context manager, as websockets asks; closed by __exit__ through the stack
                self.socket = self._stack.enter_context(
                    connect(f"ws://127.0.0.1:{port}/session", open_timeout=5, max_size=64_000_000))
                break
            except OSError as exc:   # not listening yet
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise DriverUnavailable(f"Firefox did not open its WebDriver BiDi port: {exc}") from exc
                time.sleep(0.2)
        answer = self._call("session.new", {"capabilities": {}})
        self.browser_version = f"Firefox {answer['capabilities'].get('browserVersion', '')} (WebDriver BiDi)"
        self._call("session.subscribe", {"events": ["log.entryAdded", "network.beforeRequestSent"]})
        self.context = self._call("browsingContext.getTree", {})["contexts"][0]["context"]
        if self.gate is not None:
            # every request (page, sub-resource, fetch, WebSocket) waits for our continue / fail
            self._call("network.addIntercept", {"phases": ["beforeRequestSent"]})

    def _send(self, method: str, params: dict) -> int:
        self._next_id += 1
        self.socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        return self._next_id

    def _call(self, method: str, params: dict, timeout: float | None = None) -> dict:
        wanted = self._send(method, params)
        deadline = time.monotonic() + (timeout or self.timeout_s + 15)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WebDriverError(f"timeout: no answer to {method}")
            try:
                message = json.loads(self.socket.recv(timeout=remaining))
            except TimeoutError as exc:
                raise WebDriverError(f"timeout: no answer to {method}") from exc
            except Exception as exc:   # noqa: BLE001 — a closed socket is a browser that went away
                raise WebDriverError(f"Firefox closed the connection: {exc}") from exc
            if message.get("type") == "event":
                self._event(message)
                continue
            if message.get("id") != wanted:
                continue
            if message.get("type") == "error":
                raise WebDriverError(f"{message.get('error')}: {str(message.get('message', ''))[:300]}")
            return message.get("result") or {}

    def _event(self, message: dict) -> None:
        params = message.get("params") or {}
        if message.get("method") == "network.beforeRequestSent" and params.get("isBlocked"):
            request = params.get("request") or {}
            refused = self.gate.refusal(request.get("url", ""), "firefox request") if self.gate else None
            # answered without waiting: the reply comes back in the same stream and is skipped by _call
            self._send("network.failRequest" if refused else "network.continueRequest", {"request": request.get("request")})
            return
        if message.get("method") == "log.entryAdded" and params.get("type") == "javascript" \
                and params.get("level") == "error" and len(self.errors) < MAX_ERRORS:
            self.errors.append(str(params.get("text", ""))[:300])

    def set_window(self, width: int, height: int) -> None:
        self._call("browsingContext.setViewport", {"context": self.context,
                                                   "viewport": {"width": width, "height": height}})

    def goto(self, url: str) -> None:
        self.errors = []
        self._call("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, function_js: str):
        answer = self._call("script.evaluate", {"expression": f"JSON.stringify(({function_js})())",
                                                "target": {"context": self.context}, "awaitPromise": False})
        if answer.get("type") != "success":
            raise WebDriverError(f"javascript error: {(answer.get('exceptionDetails') or {}).get('text', '')[:300]}")
        return json.loads(answer["result"]["value"])

    def screenshot(self) -> bytes:
        return base64.b64decode(self._call("browsingContext.captureScreenshot", {"context": self.context})["data"])

    def sample_memory(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.peak_rss_mb = max(self.peak_rss_mb, tree_rss_mb(self.process.pid))

    def __exit__(self, *exc) -> None:
        if self.socket is not None:
            try:
                self.sample_memory()
                self._call("session.end", {}, timeout=10)
            except WebDriverError:
                pass
            try:
                self._stack.close()
            except Exception:   # noqa: BLE001 — the browser may already have dropped the connection
                pass
            self.socket = None
        if self.process is not None:
            # Firefox was started in a session of its own: its content processes go with the group
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.process.pid, sig)
                except (ProcessLookupError, PermissionError):
                    break
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            self.process = None
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
