"""Render a few pages in every browser engine this machine can drive, and record what each one shows.

LOSI #201 asks whether the portal works in the country's three most used browsers. Blink is driven
through Playwright (Debian's Chromium), WebKit through WebKitGTK's WebDriver, Gecko through Firefox's
own WebDriver BiDi server (no geckodriver can be had here). Every engine gets the same pages at the
same desktop viewport and answers the same probe (PROBE_JS): did the page load, how much text it shows, whether a main navigation is present
and visible, the landmarks, and whether the layout is wider than the window. The judging (comparing
engines) is the `browser-compat` check's job; an engine that cannot run is recorded with the reason.
"""
from __future__ import annotations

import contextlib
import os
import time
from urllib.parse import urlsplit
from typing import Callable

from crawler.browser import chromium_launch_options
from crawler.proctree import tree_rss_mb
from crawler.bidi import BidiSession
from crawler.egress_proxy import FilteringProxy
from crawler.webdriver import DriverUnavailable, WebDriverError, WebDriverSession

VIEWPORT = {"width": 1366, "height": 900}    # the most common desktop width: overflow is judged here
ENGINES = ("chromium", "webkit", "gecko")
ENGINE_FAMILY = {"chromium": "blink", "webkit": "webkit", "gecko": "gecko"}
MAX_STYLESHEETS = 30
MAX_STYLESHEET_BYTES = 2_000_000

# One function, evaluated in every engine: only DOM APIs all three share, and nothing that throws.
PROBE_JS = """() => {
  const visible = el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 2 && r.height > 2 && s.visibility !== 'hidden' && s.display !== 'none' && Number(s.opacity || 1) > 0.05;
  };
  const text = el => (el ? (el.innerText || '') : '').replace(/\\s+/g, ' ').trim();
  const navs = Array.from(document.querySelectorAll('nav, [role=navigation]'));
  const navVisible = navs.filter(n => visible(n) && Array.from(n.querySelectorAll('a[href]')).some(visible));
  const main = document.querySelector('main, [role=main]');
  const root = document.documentElement, body = document.body;
  return {
    title: document.title || '', ready_state: document.readyState, url: location.href,
    text_length: text(body).length, main_text_length: text(main).length,
    nav_count: navs.length, nav_visible: navVisible.length,
    nav_links_visible: navVisible.reduce((n, nav) => n + Array.from(nav.querySelectorAll('a[href]')).filter(visible).length, 0),
    landmarks: {
      banner: !!document.querySelector('header, [role=banner]'), navigation: navs.length > 0, main: !!main,
      contentinfo: !!document.querySelector('footer, [role=contentinfo]')
    },
    scroll_width: Math.max(root.scrollWidth, body ? body.scrollWidth : 0), client_width: root.clientWidth,
    inner_width: window.innerWidth
  };
}"""


class Gate:
    """The crawl's egress policy for the engines: every URL an engine would open is asked here first.

    Answers are cached per host (a page asks for dozens of resources on a few hosts); refusals are kept
    for the run's `skipped` table.
    """

    def __init__(self, policy=None):
        self.policy = policy
        self.by_host: dict[str, str | None] = {}

    def refusal(self, url: str, where: str) -> str | None:
        if self.policy is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
            return None   # data:, blob:, about: open no connection
        host = parts.hostname.lower()
        if host not in self.by_host:
            self.by_host[host] = self.policy.check_url(url)
        reason = self.by_host[host]
        if reason:
            self.policy.record(url, where, reason)
        return reason


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def render_chromium(urls: list[str], timeout_s: float, save_png: Callable[[bytes], str | None],
                    stylesheets_of: str | None = None, gate: Gate | None = None) -> dict:
    """Blink through Playwright; also keeps the stylesheets the home page loaded (for the CSS check)."""
    from playwright.sync_api import Error as PlaywrightError, sync_playwright

    record = {"engine": "chromium", "family": "blink", "available": True, "pages": []}
    stylesheets: list[dict] = []
    started = time.perf_counter()
    own_rss = tree_rss_mb(os.getpid())   # this process before the driver and the browser start
    peak = 0.0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**chromium_launch_options(timeout_s))
            record["browser"] = f"Chromium {browser.version}"
            # service workers could fetch outside the routes: blocked, as in the crawl's renders
            context = browser.new_context(viewport=VIEWPORT, service_workers="block")
            context.set_default_timeout(timeout_s * 1000)
            gate = gate or Gate()
            context.route("**/*", lambda route: route.abort("blockedbyclient")
                          if gate.refusal(route.request.url, f"chromium {route.request.resource_type}")
                          else route.continue_())
            context.route_web_socket("**", lambda ws: ws.close(code=1008, reason="refused by the egress policy")
                                     if gate.refusal(ws.url, "chromium websocket") else ws.connect_to_server())
            try:
                for url in urls:
                    page = context.new_page()
                    errors: list[str] = []
                    responses = []
                    page.on("pageerror", lambda exc, errors=errors: errors.append(_short(exc)))
                    if url == stylesheets_of:
                        page.on("response", lambda r, responses=responses: responses.append(r)
                                if r.request.resource_type == "stylesheet" else None)
                    entry = {"url": url}
                    try:
                        answer = page.goto(url, wait_until="load")
                        entry["status"] = answer.status if answer else None
                        try:
                            page.wait_for_load_state("networkidle", timeout=3000)
                        except PlaywrightError:
                            pass   # long-polling pages never go idle
                        page.wait_for_timeout(300)
                        entry.update(loaded=True, facts=page.evaluate(PROBE_JS))
                        entry["screenshot"] = save_png(page.screenshot(type="png"))
                        for response in responses[:MAX_STYLESHEETS]:
                            stylesheets.append(_stylesheet(response))
                    except PlaywrightError as exc:
                        entry.update(loaded=False, error=_short(exc))
                    entry["script_errors"] = errors[:10]
                    peak = max(peak, tree_rss_mb(os.getpid()) - own_rss)
                    page.close()
                    record["pages"].append(entry)
            finally:
                browser.close()
    except Exception as exc:   # noqa: BLE001 — a browser that cannot start is a recorded fact, not a crash
        record.update(available=bool(record["pages"]), reason=f"Chromium could not run: {_short(exc)}")
    record["seconds"] = round(time.perf_counter() - started, 2)
    record["peak_rss_mb"] = round(peak, 1)   # this process's tree: the Playwright driver and Chromium
    return {"record": record, "stylesheets": stylesheets}


def _stylesheet(response) -> dict:
    item = {"url": response.url, "status": response.status,
            "content_type": response.headers.get("content-type", "")}
    try:
        body = response.body()
        item["body"] = body[:MAX_STYLESHEET_BYTES]
        item["truncated"] = len(body) > MAX_STYLESHEET_BYTES
    except Exception as exc:   # noqa: BLE001 — a body the browser no longer holds is named, not fatal
        item["error"] = _short(exc)
    return item


def render_webdriver(engine: str, urls: list[str], timeout_s: float, save_png: Callable[[bytes], str | None],
                     gate: Gate | None = None) -> dict:
    """WebKit (WebKitGTK's MiniBrowser through WebKitWebDriver) or Gecko (Firefox through its own WebDriver BiDi)."""
    record = {"engine": engine, "family": ENGINE_FAMILY[engine], "available": True, "pages": []}
    started = time.perf_counter()
    try:
        gate = gate or Gate()
        # every request asks the egress policy: Firefox through BiDi interception; WebKit (classic WebDriver
        # cannot intercept) through a filtering proxy on loopback that its proxy capability points at
        with contextlib.ExitStack() as stack:
            if engine == "gecko":
                session = stack.enter_context(BidiSession(timeout_s, gate=gate))
            else:
                proxy = stack.enter_context(FilteringProxy(gate, f"{engine} request"))
                session = stack.enter_context(WebDriverSession(engine, timeout_s, proxy=proxy.capability()))
            record["browser"] = session.browser_version
            session.set_window(VIEWPORT["width"], VIEWPORT["height"])
            for url in urls:
                # classic WebDriver (WebKit) does not report script errors (None: not observable); BiDi
                # (Firefox) does. The comparison relies on what the page shows, as a visitor sees it
                entry = {"url": url, "script_errors": None}
                refused = gate.refusal(url, f"{engine} page")
                if refused:
                    entry.update(loaded=False, error=refused)
                    record["pages"].append(entry)
                    continue
                try:
                    session.goto(url)
                    time.sleep(0.3)
                    entry.update(loaded=True, facts=session.evaluate(PROBE_JS))
                    entry["screenshot"] = save_png(session.screenshot())
                    if isinstance(session, BidiSession):
                        entry["script_errors"] = list(session.errors)
                except WebDriverError as exc:
                    entry.update(loaded=False, error=_short(exc))
                session.sample_memory()
                record["pages"].append(entry)
            record["peak_rss_mb"] = session.peak_rss_mb
    except DriverUnavailable as exc:
        record.update(available=False, reason=str(exc))
    except (WebDriverError, OSError, KeyError) as exc:
        record.update(available=bool(record["pages"]), reason=f"{engine} could not run: {_short(exc)}")
    record["seconds"] = round(time.perf_counter() - started, 2)
    return record


def render_all(urls: list[str], engines: tuple[str, ...], timeout_s: float,
               save_png: Callable[[bytes], str | None], stylesheets_of: str | None = None, policy=None) -> dict:
    """Every engine in turn (one at a time: the machine has two cores), then one record for the check.
    `policy` is the crawl's egress policy (crawler.egress.EgressPolicy); None allows everything (tests)."""
    records, stylesheets = [], []
    gate = Gate(policy)
    for engine in engines:
        if engine == "chromium":
            result = render_chromium(urls, timeout_s, save_png, stylesheets_of, gate)
            records.append(result["record"])
            stylesheets = result["stylesheets"]
        else:
            records.append(render_webdriver(engine, urls, timeout_s, save_png, gate))
    return {"record": {"viewport": VIEWPORT, "pages": urls, "engines": records}, "stylesheets": stylesheets}
