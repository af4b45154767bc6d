"""What the browser does with a page it renders: wait for script-added content, take a screenshot.

These run inside scrapy-playwright (as PageMethod callables); the spider asks for
them, the pipeline stores what they return.
"""
from __future__ import annotations

import asyncio
import time

from playwright.async_api import Error as PlaywrightError
from scrapy_playwright.page import PageMethod

from crawler.render_guard import CONTEXT_OPTIONS, check_dom

# Resolves once the DOM has been quiet for `quiet` ms (or after `limit` ms): catches
# menus and content that scripts add after `load`, e.g. from a fetch() or a timer.
_DOM_QUIET_JS = """([quiet, limit]) => new Promise(resolve => {
  const started = Date.now();
  let timer;
  const done = () => { observer.disconnect(); resolve(Date.now() - started); };
  const observer = new MutationObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(done, Date.now() - started > limit ? 0 : quiet);
  });
  observer.observe(document, {subtree: true, childList: true, characterData: true});
  timer = setTimeout(done, quiet);
})"""
SCREENSHOT_MAX_HEIGHT = 4000
VIEWPORT = {"width": 1280, "height": 900}


async def settle(page, quiet_ms: int = 600, limit_ms: int = 8000) -> int:
    """Wait until the network is idle (bounded) and the DOM has stopped changing.

    The two waits overlap (a response's changes land before the network counts as idle, and they reset
    the DOM-quiet timer while it runs); a short quiet wait after both catches a timer firing just after
    the last response. A page costs about the longer wait plus 200 ms, not the sum of both.
    """
    async def network_idle():
        try:
            await page.wait_for_load_state("networkidle", timeout=3000)
        except PlaywrightError:
            pass   # long-polling pages never go idle: the DOM-quiet wait still bounds us

    dom_quiet = asyncio.ensure_future(page.evaluate(_DOM_QUIET_JS, [quiet_ms, limit_ms]))
    await network_idle()
    waited = await dom_quiet
    return waited + await page.evaluate(_DOM_QUIET_JS, [quiet_ms // 3, limit_ms // 4])


async def screenshot(page) -> bytes:
    """A PNG of the page from the top, at most SCREENSHOT_MAX_HEIGHT pixels tall."""
    await page.set_viewport_size(VIEWPORT)
    height = await page.evaluate("() => Math.max(document.documentElement.scrollHeight, window.innerHeight)")
    clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": min(int(height), SCREENSHOT_MAX_HEIGHT)}
    return await page.screenshot(type="png", full_page=True, clip=clip)


def render_meta(with_axe: bool = False) -> dict:
    # every rendered page keeps a screenshot: it is what a reviewer sees next to evidence found on it
    # the DOM is measured before the screenshot and before scrapy-playwright reads it back (render_guard)
    methods = {"settle": PageMethod(settle), "dom": PageMethod(check_dom), "screenshot": PageMethod(screenshot)}
    if with_axe:
        methods["axe"] = PageMethod(axe_scan)
    return {"playwright": True, "playwright_page_methods": methods,
            "playwright_page_init_callback": "crawler.render_guard.init_page",
            "playwright_context_kwargs": dict(CONTEXT_OPTIONS)}


def screenshot_from(response) -> bytes | None:
    methods = response.meta.get("playwright_page_methods") or {}
    method = methods.get("screenshot") if isinstance(methods, dict) else None
    return getattr(method, "result", None) or None


def abort_heavy_media(request) -> bool:
    """Video and audio never help judge an indicator; images and fonts stay, screenshots need them."""
    return request.resource_type == "media"


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MAX_AXE_NODES = 10   # per rule: enough to show where, without storing a page's whole DOM


async def axe_scan(page) -> dict:
    """Run axe-core (bundled with axe-playwright-python) on the rendered page, WCAG 2.0/2.1 A and AA rules.

    Returns a compact record: counts, and per violated or incomplete rule its impact, WCAG criteria,
    selectors and HTML snippets. `incomplete` items need a human look; they are not violations.
    """
    started = time.perf_counter()
    try:
        from axe_playwright_python.async_playwright import Axe
        raw = (await Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                              "resultTypes": ["violations", "incomplete"]})).response
    except Exception as exc:   # noqa: BLE001 — a failed scan is an error result; it must not lose the render
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
        return {"url": page.url, "error": f"axe-core could not run: {type(exc).__name__}: {first}"}
    def rules(items):
        return [{"id": r["id"], "impact": r.get("impact"), "help": r.get("help", ""),
                 "wcag": [t for t in r.get("tags", ()) if t.startswith("wcag") and t[4:5].isdigit() and len(t) > 6],
                 "nodes": [{"target": n.get("target"), "html": (n.get("html") or "")[:300],
                            "summary": (n.get("failureSummary") or "")[:300]} for n in r.get("nodes", ())[:MAX_AXE_NODES]],
                 "node_count": len(r.get("nodes", ()))} for r in items]
    return {"url": page.url, "axe_version": raw.get("testEngine", {}).get("version", ""), "tags": AXE_TAGS,
            "violations": sum(len(r.get("nodes", ())) for r in raw.get("violations", ())),
            "violated_rules": len(raw.get("violations", ())), "incomplete": len(raw.get("incomplete", ())),
            "passes": len(raw.get("passes", ())), "rules": rules(raw.get("violations", ())),
            "incomplete_rules": rules(raw.get("incomplete", ())), "ms": round(1000 * (time.perf_counter() - started))}


def axe_from(response) -> dict | None:
    methods = response.meta.get("playwright_page_methods") or {}
    method = methods.get("axe") if isinstance(methods, dict) else None
    return getattr(method, "result", None) or None
