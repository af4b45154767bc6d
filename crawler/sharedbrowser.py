"""One Chromium for many crawls in one process (the long-lived worker), instead of one per crawl.

scrapy-playwright gives every crawl its own download handler, which by default starts its own
Playwright driver (a Node process) and its own browser, and closes both when the crawl ends. A
worker that audits portal after portal would pay that start for every portal. This provider keeps
one driver and one browser per process: each crawl gets a handle whose ``close`` does nothing (the
handler still closes its own contexts and pages), and the worker restarts the browser every N
portals between crawls (``restart``) so that a leak in Chromium cannot grow without bound.

Everything here runs on the reactor's asyncio loop: Playwright objects belong to the loop that made them.
"""
from __future__ import annotations

import asyncio

from playwright.async_api import async_playwright

from crawler.browser import chromium_launch_options

_state: dict = {"playwright": None, "browser": None, "lock": None, "launches": 0, "timeout": 30}


def configure(timeout_s: float) -> None:
    _state["timeout"] = timeout_s


async def _browser():
    if _state["lock"] is None:
        _state["lock"] = asyncio.Lock()
    async with _state["lock"]:
        browser = _state["browser"]
        if browser is None or not browser.is_connected():
            if _state["playwright"] is None:
                _state["playwright"] = await async_playwright().start()
            browser = await _state["playwright"].chromium.launch(**chromium_launch_options(_state["timeout"]))
            _state["browser"] = browser
            _state["launches"] += 1
        return browser


async def restart() -> None:
    """Close the shared browser (the next crawl that renders launches a new one). Call between crawls."""
    browser, _state["browser"] = _state["browser"], None
    if browser is not None:
        try:
            await browser.close()
        except Exception:   # noqa: BLE001 — a crashed browser is closed already
            pass


async def shutdown() -> None:
    await restart()
    playwright, _state["playwright"] = _state["playwright"], None
    if playwright is not None:
        await playwright.stop()


def launches() -> int:
    return _state["launches"]


class _Handle:
    """The shared Browser as one crawl sees it: everything but ``close`` goes to the real browser."""

    def __init__(self, browser):
        self._browser = browser

    async def close(self):
        return None   # the worker owns the browser; the crawl's handler closes only its own contexts

    def __getattr__(self, name):
        return getattr(self._browser, name)


class SharedBrowserProvider:
    """PLAYWRIGHT_BROWSER_PROVIDER for the worker (see scrapy_playwright.provider.BrowserProvider)."""

    def __init__(self, config) -> None:
        self.config = config

    async def start(self) -> None:
        return None

    async def launch_browser(self):
        return _Handle(await _browser())

    async def launch_persistent_context(self, context_kwargs: dict):
        from scrapy.exceptions import NotSupported
        raise NotSupported("the shared browser has no persistent contexts")

    async def close(self) -> None:
        return None
