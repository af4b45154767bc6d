"""The report's technology sections: the browser engines side by side (#201) and the W3C checker's
messages (#208/#209).

`technology_facts` freezes into the result document what the post-crawl gatherers stored
(crawler/postcrawl.py artifacts), so the report renders from the document alone; the two views lay it
out. Nothing is judged here: the verdicts come from the rules; this shows what each engine showed and
what the checker said, so a reader can see why.
"""
from __future__ import annotations

from egov_audit.store.db import Store
from reports.screenshots import Gallery

MAX_MESSAGES_SHOWN = 50
ENGINE_LABELS = {"chromium": "Chromium", "webkit": "WebKit", "gecko": "Firefox (Gecko)"}


def technology_facts(store: Store, run_id: str) -> dict:
    """The newest browser-engine record, checker results and their cost for a run (None where absent)."""
    def latest(kind: str):
        found = store.artifacts(run_id, kind)
        return found[-1] if found else None
    return {"browsers": latest("browser-compat"), "markup": latest("markup-validation"),
            "css": latest("css-validation"), "cost": latest("gather-cost")}


def engines_view(facts: dict | None, gallery: Gallery) -> dict | None:
    """Per page, one column per engine: its screenshot and what it showed."""
    record = (facts or {}).get("browsers")
    if record is None:
        return None
    if record.get("error"):
        return {"error": record["error"]}
    engines = record.get("engines") or []
    columns = [{"name": e.get("browser") or ENGINE_LABELS.get(e["engine"], e["engine"]), "available": e.get("available"),
                "reason": e.get("reason"), "seconds": e.get("seconds"), "memory": e.get("peak_rss_mb")} for e in engines]
    rows = []
    for url in record.get("pages") or ():
        cells = []
        for engine in engines:
            page = next((p for p in engine.get("pages") or () if p.get("url") == url), None)
            if not engine.get("available") or page is None:
                cells.append({"missing": engine.get("reason") or "not rendered"})
                continue
            shown = page.get("facts") or {}
            cells.append({"shot": gallery.ref(page.get("screenshot")), "loaded": page.get("loaded"),
                          "error": page.get("error"), "text": shown.get("text_length"), "nav": shown.get("nav_visible"),
                          "overflow": (shown.get("scroll_width") or 0) > (shown.get("client_width") or 0) + 2,
                          "width": shown.get("scroll_width"),
                          "landmarks": [k for k, v in (shown.get("landmarks") or {}).items() if v],
                          "script_errors": page.get("script_errors")})
        rows.append({"url": url, "cells": cells})
    return {"columns": columns, "rows": rows, "viewport": record.get("viewport") or {}}


def validation_view(facts: dict | None) -> dict | None:
    """The checker's documents (served HTML, rendered DOM, stylesheets, inline CSS) with their messages."""
    markup, css = (facts or {}).get("markup"), (facts or {}).get("css")
    if markup is None and css is None:
        return None
    groups = []
    labels = {"served": "HTML as served (decides #208)", "rendered": "rendered DOM (reported, not counted)",
              "inline": "CSS inside the HTML (#209)", "stylesheet": "stylesheet (#209)"}
    for record in (markup, css):
        if record is None:
            continue
        if record.get("error"):
            groups.append({"error": record["error"]})
            continue
        for document in record.get("documents") or ():
            messages = document.get("messages") or []
            groups.append({"label": labels.get(document.get("document"), document.get("document")),
                           "url": document.get("url"), "errors": document.get("errors", 0),
                           "warnings": document.get("warnings", 0), "skipped": document.get("skipped"),
                           "messages": messages[:MAX_MESSAGES_SHOWN],
                           "more": len(messages) > MAX_MESSAGES_SHOWN or bool(document.get("truncated"))})
    checker = (markup or {}).get("checker") or (css or {}).get("checker") or ""
    return {"checker": checker, "documents": groups}
