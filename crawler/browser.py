"""Which Chromium to drive, and how to launch it on a root, network-less, 2-core machine.

Debian's /usr/bin/chromium is the default (``playwright install`` cannot download
here); EGOV_CHROMIUM overrides it; Playwright's own browser is used only when
neither exists and one is installed.
"""
from __future__ import annotations

import os
import shutil

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")


class BrowserMissing(RuntimeError):
    pass


def chromium_path() -> str | None:
    """The Chromium executable to use, or None to let Playwright use a browser of its own."""
    override = os.environ.get("EGOV_CHROMIUM")
    if override:
        if not (os.path.isfile(override) and os.access(override, os.X_OK)):
            raise BrowserMissing(f"EGOV_CHROMIUM={override} is not an executable file")
        return override
    for candidate in CANDIDATES:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found


def chromium_launch_options(timeout_s: float = 30) -> dict:
    options = {"headless": True, "args": CHROMIUM_ARGS, "timeout": int(timeout_s * 1000)}
    path = chromium_path()
    if path:
        options["executable_path"] = path
    return options
