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


def crawl_facts(store: Store, run_id: str) -> dict:
    return {
        "error_pages": [row.as_dict() for row in store.error_pages(run_id, MAX_ROWS)],
        "robots_skipped": [row.as_dict() for row in store.skipped(run_id, "robots.txt", MAX_ROWS)],
        "page_list": [row.as_dict() for row in store.fetched_pages(run_id, MAX_ROWS)],
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
