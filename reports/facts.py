"""What the report shows besides the verdicts, gathered once into the result document (build_result).

The report renders from the document alone (reports/html.py reads nothing else, except screenshot bytes
from the snapshot store), so a saved result.json re-renders the same report later, whatever happens to the
rules or the database since: titles, definitions and advice are frozen into it, and so are the crawl's
error pages, robots.txt skips, the page list and the accessibility scans.
"""
from __future__ import annotations

from egov_audit.store.db import Store
from reports.a11y import accessibility

MAX_ROWS = 200


def _rows(store: Store, sql: str, run_id: str) -> list[dict]:
    cur = store.conn.execute(sql, (run_id,))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def crawl_facts(store: Store, run_id: str) -> dict:
    return {
        "error_pages": _rows(store, "SELECT url, status, error_kind, error FROM pages WHERE run_id = ? AND error_kind "
                                    f"IS NOT NULL ORDER BY error_kind, url LIMIT {MAX_ROWS}", run_id),
        "robots_skipped": _rows(store, "SELECT url, reason, detail FROM skipped WHERE run_id = ? AND reason = "
                                       f"'robots.txt' LIMIT {MAX_ROWS}", run_id),
        "page_list": _rows(store, "SELECT url, title, kind, status, click_depth, rendered, scope FROM pages WHERE "
                                  "run_id = ? AND error_kind IS NULL ORDER BY scope = 'external', click_depth IS NULL, "
                                  f"click_depth, url LIMIT {MAX_ROWS}", run_id),
    }


def accessibility_facts(store: Store, run_id: str) -> dict:
    return accessibility(store, run_id)


def indicator_texts(rule_id: str, criterion: str | None) -> dict:
    """The UN definition and the improvement advice of an indicator, as the rules say them today."""
    from egov_audit.judge.rules import rule_catalogue
    from reports.guidance import recommendation
    entry = rule_catalogue().get(rule_id) or {}
    return {"definition": " ".join((entry.get("definition") or "").split()),
            "recommendation": recommendation(rule_id, criterion)}
