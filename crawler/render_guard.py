"""Rendering isolation: what a hostile page may make the browser do, and for how long.

- every browser request (page, sub-resources, fetch/XHR, axe's own page) goes through the egress policy
  (route interception); WebSockets too (WebSocket routes); service workers are blocked in the context
- a rendered page has a hard time budget (RENDER_BUDGET_S) and a byte budget for everything it
  downloads (RENDER_MAX_BYTES, sub-resources included): past either, the page is closed
- the DOM is measured before it is read back: more than MAX_DOM_NODES elements fails the render

A failed render never loses the page: the static response is already stored, the failure is recorded
beside it (see crawler.spiders.portal and the store's record_render_failure).
"""
from __future__ import annotations

import asyncio
import logging

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler import egress

log = logging.getLogger(__name__)

RENDER_BUDGET_S = 25.0
# the context every render asks for (also after a browser restart): service workers could fetch outside the routes
CONTEXT_OPTIONS = {"service_workers": "block"}
RENDER_MAX_BYTES = 40 * 1024 * 1024
MAX_DOM_NODES = 60_000


class RenderBudgetExceeded(RuntimeError):
    pass


async def abort_request(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: True aborts a browser request. Media never helps judge; refused addresses
    are never contacted."""
    if request.resource_type == "media":
        return True
    policy = egress.ACTIVE
    if policy is None:
        return False
    reason = await policy.check_url_async(request.url)
    if reason:
        policy.record(request.url, f"browser {request.resource_type}", reason)
        return True
    return False


async def _websocket(ws) -> None:
    policy = egress.ACTIVE
    reason = await policy.check_url_async(ws.url) if policy is not None else None
    if reason:
        policy.record(ws.url, "browser websocket", reason)
        await ws.close(code=1008, reason="refused by the auditor's egress policy")
        return
    ws.connect_to_server()


async def init_page(page, request) -> None:
    """playwright_page_init_callback: runs before navigation, on every rendered page."""
    await page.route_web_socket("**", _websocket)
    received = {"bytes": 0, "closed": False}
    loop = asyncio.get_running_loop()

    def close(why: str):
        if received["closed"] or page.is_closed():
            return
        received["closed"] = True
        log.info("closing rendered page %s: %s", page.url, why)
        request.meta["egov_render_problem"] = why
        loop.create_task(_close_quietly(page))

    # the byte budget: Chromium streams bodies itself, so count what arrives (CDP, all resource types)
    try:
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Network.enable")

        def on_data(event):
            received["bytes"] += int(event.get("dataLength") or 0) + int(event.get("encodedDataLength") or 0) // 2
            if received["bytes"] > RENDER_MAX_BYTES:
                close(f"the page downloaded more than {RENDER_MAX_BYTES // (1024 * 1024)} MB in the browser")
        cdp.on("Network.dataReceived", on_data)
    except Exception as exc:   # noqa: BLE001 — a closed page here is a failed render, reported by the handler
        log.debug("no CDP session for %s: %s", request.url, exc)
    # the time budget: a page whose scripts never settle is closed, whatever it is doing
    handle = loop.call_later(RENDER_BUDGET_S, close, f"rendering took longer than {RENDER_BUDGET_S:.0f} s")
    page.once("close", lambda *_: handle.cancel())
    page.once("crash", lambda *_: close("the browser tab crashed"))


async def _close_quietly(page) -> None:
    try:
        await asyncio.wait_for(page.close(run_before_unload=False), 10)
    except asyncio.TimeoutError:
        # a tab that will not even close: restart the browser (scrapy-playwright relaunches it on disconnect,
        # PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER, and each render asks for its context's options again)
        log.warning("the browser did not close a misbehaving page; restarting it")
        try:
            await page.context.browser.close()
        except Exception:   # noqa: BLE001
            pass
    except Exception:   # noqa: BLE001 — the page may already be gone; the render is recorded as failed
        pass


async def check_dom(page) -> int:
    """Elements in the rendered DOM; raises when the page grew past MAX_DOM_NODES."""
    nodes = await page.evaluate("() => document.getElementsByTagName('*').length")
    if nodes > MAX_DOM_NODES:
        raise RenderBudgetExceeded(f"the rendered DOM has {nodes} elements (more than {MAX_DOM_NODES})")
    return nodes


class GuardedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, except that a page closed by the render guard is not opened again:
    scrapy-playwright retries a closed target three times (no setting), which would spend the time
    budget four times on a page that has already shown it misbehaves."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.config.target_closed_max_retries = 0
