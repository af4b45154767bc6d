"""Gatherers that run once per portal after the crawl, in the same process: browser engines and vnu.

They need what the crawl stored (the home page as served and as rendered, its navigation pages) and
tools that are expensive to start (three browser engines, a JVM), so they run once, after Scrapy has
stopped, and store their raw results as artifacts that the checks judge offline:

- `browser-compat` (LOSI #201): the home page and two key pages in every engine here (engines.py);
- `markup-validation` (#208): the home page's HTML as served and its rendered DOM, kept apart;
- `css-validation` (#209): the stylesheets the home page loaded and the CSS inside its HTML;
- `gather-cost`: seconds and peak memory of each, per portal.

A resumed run that already has these artifacts does not repeat them.
"""
from __future__ import annotations

import time

from crawler import engines, vnu
from egov_audit.store.db import Store

KEY_PAGES = 2


def _content_type(value: str | None, default: str) -> str:
    return value if value and "/" in value else default


def gather(store: Store, run_id: str, start_url: str, *, render: str = "auto", timeout_s: float = 30,
           engine_names: tuple[str, ...] = engines.ENGINES, policy=None, enabled: bool = True) -> dict:
    """Run the engines and the checker for one portal; `policy` is the crawl's egress policy."""
    if store.artifacts(run_id, "gather-cost"):
        return store.artifacts(run_id, "gather-cost")[-1]
    home = store.page_row(run_id, start_url)
    costs: dict = {"portal": start_url}
    if not enabled:   # the user chose not to run them: the three indicators say so (error: not checked), never fail
        for kind in ("markup-validation", "css-validation", "browser-compat"):
            store.save_artifact(run_id, kind, start_url,
                                {"error": "the W3C checker and the browser engines were turned off "
                                          "(--no-w3c-and-engines)"})
        store.save_artifact(run_id, "gather-cost", start_url, costs)
        return costs
    if home is None or home.get("kind") != "html" or home.get("error_kind") or not home.get("raw_hash"):
        reason = "the home page was not fetched as HTML" + (f" ({home.get('error')})" if home and home.get("error") else "")
        for kind in ("markup-validation", "css-validation", "browser-compat"):
            store.save_artifact(run_id, kind, start_url, {"error": reason})
        store.save_artifact(run_id, "gather-cost", start_url, costs)
        return costs
    stylesheets: list[dict] | None = None
    if render != "never":
        urls = [start_url] + store.key_pages(run_id, start_url, KEY_PAGES)
        result = engines.render_all(urls, engine_names, timeout_s, lambda png: _save_png(store, png),
                                    stylesheets_of=start_url, policy=policy)
        for url, where, reason in (policy.drain() if policy is not None else ()):
            store.save_skip(run_id, url, "egress", f"{where}: {reason}")
        store.save_artifact(run_id, "browser-compat", start_url, result["record"])
        costs["engines"] = {r["engine"]: {"seconds": r["seconds"], "peak_rss_mb": r.get("peak_rss_mb"),
                                          "available": r["available"]} for r in result["record"]["engines"]}
        if "chromium" in engine_names and result["record"]["engines"][engine_names.index("chromium")]["available"]:
            stylesheets = result["stylesheets"]
    else:
        store.save_artifact(run_id, "browser-compat", start_url,
                            {"error": "rendering was turned off (--render never): no engine was run"})
    costs["validator"] = _validate(store, run_id, start_url, home, stylesheets)
    store.save_artifact(run_id, "gather-cost", start_url, costs)
    return costs


def _save_png(store: Store, png: bytes) -> str | None:
    """Store a screenshot; its path in the snapshot store is what evidence and the report cite."""
    digest = store.save_snapshot(png, "screenshot", compressed=False)
    return store.snapshots.relative_path(digest, compressed=False) if digest else None


def _validate(store: Store, run_id: str, start_url: str, home: dict, stylesheets: list[dict] | None) -> dict:
    """vnu on the served HTML, the rendered DOM and every stylesheet: one JVM for all of them."""
    started = time.perf_counter()
    served = store.snapshot_bytes(home["raw_hash"])
    rendered = store.snapshot_bytes(home.get("rendered_hash"))
    checker = None
    try:
        checker = vnu.VnuService()
        with checker:
            markup_docs = [_document(checker, "served", home.get("final_url") or start_url, served,
                                     _content_type(home.get("content_type"), "text/html"))]
            if rendered:
                # the render is stored as the browser serialised it (UTF-8); its own <meta charset> may differ
                markup_docs.append(_document(checker, "rendered", home.get("final_url") or start_url, rendered,
                                             "text/html; charset=utf-8"))
            css_docs = [_inline_css(markup_docs[0])]
            for sheet in stylesheets or ():
                if sheet.get("body") is None or (sheet.get("status") or 0) >= 400:
                    css_docs.append({"document": "stylesheet", "url": sheet["url"], "status": sheet.get("status"),
                                     "skipped": sheet.get("error") or f"HTTP {sheet.get('status')}"})
                    continue
                ctype = sheet.get("content_type") or ""
                css_docs.append(_document(checker, "stylesheet", sheet["url"], sheet["body"],
                                          ctype if ctype.startswith("text/css") else "text/css"))
            common = {"checker": checker.name, "checker_version": checker.version}
            store.save_artifact(run_id, "markup-validation", start_url, {**common, "documents": markup_docs,
                                                                         "rendered_stored": bool(rendered)})
            css = {**common, "documents": css_docs, "stylesheets_captured": stylesheets is not None}
            if stylesheets is None:
                css["note"] = "the linked stylesheets were not captured (no Chromium render of the home page)"
            store.save_artifact(run_id, "css-validation", start_url, css)
            cost = {"startup_seconds": round(checker.startup_s, 2)}
    except vnu.CheckerUnavailable as exc:
        for kind in ("markup-validation", "css-validation"):
            store.save_artifact(run_id, kind, start_url, {"error": f"the W3C checker could not run: {exc}"})
        cost = {"error": str(exc)}
    cost.update(seconds=round(time.perf_counter() - started, 2), peak_rss_mb=checker.peak_rss_mb if checker else None)
    return cost


def _document(checker: vnu.VnuService, kind: str, url: str, body: bytes, content_type: str) -> dict:
    summary = vnu.summarise(checker.check(body, content_type))
    return {"document": kind, "url": url, "content_type": content_type, "bytes": len(body), **summary}


def _inline_css(served: dict) -> dict:
    """The CSS inside the served HTML (style elements and attributes): vnu reports it prefixed `CSS:`."""
    css = [m for m in served["messages"] if m["message"].startswith("CSS: ")]
    return {"document": "inline", "url": served["url"], "errors": sum(m["type"] == "error" for m in css),
            "warnings": sum(m["type"] == "warning" for m in css), "messages": css,
            "truncated": served.get("truncated", False)}
