"""The accessibility section's data: the stored axe-core scans of a run, grouped for display.

Reads artifacts(kind='axe') as the crawl stored them (crawler/render.py axe_scan); nothing is
re-judged here — the #210 verdict comes from the rule. axe "incomplete" results are things axe
could not decide: they are listed as items to review, never counted as violations.
"""
from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import yaml

from egov_audit.store.db import Store

IMPACTS = ("critical", "serious", "moderate", "minor")
# wcag111 → 1.1.1, wcag1410 → 1.4.10; level tags (wcag2aa, wcag21a) have letters and never match.
SC_TAG = re.compile(r"^wcag(\d)(\d)(\d{1,2})$")
WCAG_DATA = Path(__file__).parent / "data" / "wcag.yaml"


@lru_cache(maxsize=1)
def sc_names() -> dict[str, str]:
    return {str(k): v for k, v in (yaml.safe_load(WCAG_DATA.read_text(encoding="utf-8")) or {}).items()}


def success_criteria(tags) -> list[str]:
    found = []
    for tag in tags or ():
        m = SC_TAG.match(str(tag))
        if m and ".".join(m.groups()) not in found:
            found.append(".".join(m.groups()))
    return found


def _sc_key(sc: str) -> tuple:
    return tuple(int(p) for p in sc.split("."))


def _selector(target) -> str:
    """axe targets are a list of selectors, nested when the element is inside an iframe or shadow root."""
    if isinstance(target, list):
        return " → ".join(_selector(t) for t in target)
    return str(target or "")


def _rules(items) -> list[dict]:
    rules = []
    for r in items or ():
        if not isinstance(r, dict):
            continue
        nodes = [{"selector": _selector(n.get("target")), "html": str(n.get("html") or "")}
                 for n in r.get("nodes") or () if isinstance(n, dict)]
        impact = r.get("impact") if r.get("impact") in IMPACTS else "unknown"
        criteria = success_criteria(r.get("wcag") or r.get("tags"))
        rules.append({"id": str(r.get("id", "?")), "impact": impact, "help": str(r.get("help") or ""),
                      "criteria": [{"sc": sc, "name": sc_names().get(sc, "")} for sc in criteria],
                      "nodes": nodes, "node_count": r.get("node_count") or len(nodes)})
    return rules


def accessibility(store: Store, run_id: str) -> dict:
    pages = []
    for artifact in store.artifact_records(run_id, "axe"):
        scan = artifact.data if isinstance(artifact.data, dict) else {"error": "the stored scan record is not valid JSON"}
        pages.append({"url": scan.get("url") or artifact.url or "", "error": scan.get("error"),
                      "axe_version": scan.get("axe_version", ""), "ms": scan.get("ms"),
                      "passes": scan.get("passes"), "rules": _rules(scan.get("rules")),
                      "to_review": _rules(scan.get("incomplete_rules"))})
    return {"pages": pages, "assessed": sum(1 for p in pages if not p["error"]),
            "versions": sorted({p["axe_version"] for p in pages if p["axe_version"]}),
            "by_impact": _by_impact(pages), "by_criterion": _by_criterion(pages),
            "violations": sum(r["node_count"] for p in pages for r in p["rules"]),
            "to_review": sum(len(p["to_review"]) for p in pages)}


def _by_impact(pages: list[dict]) -> list[dict]:
    groups = defaultdict(lambda: {"rules": set(), "nodes": 0, "pages": set()})
    for page in pages:
        for rule in page["rules"]:
            g = groups[rule["impact"]]
            g["rules"].add(rule["id"])
            g["nodes"] += rule["node_count"]
            g["pages"].add(page["url"])
    order = IMPACTS + ("unknown",)
    return [{"impact": k, "rules": sorted(groups[k]["rules"]), "nodes": groups[k]["nodes"],
             "pages": len(groups[k]["pages"])} for k in order if k in groups]


def _by_criterion(pages: list[dict]) -> list[dict]:
    groups = defaultdict(lambda: {"rules": set(), "nodes": 0, "pages": set()})
    for page in pages:
        for rule in page["rules"]:
            for sc in [c["sc"] for c in rule["criteria"]] or ["–"]:   # "–": axe gave no success criterion
                g = groups[sc]
                g["rules"].add(rule["id"])
                g["nodes"] += rule["node_count"]
                g["pages"].add(page["url"])
    keys = sorted((k for k in groups if k != "–"), key=_sc_key) + (["–"] if "–" in groups else [])
    return [{"sc": k, "name": sc_names().get(k, ""), "rules": sorted(groups[k]["rules"]), "nodes": groups[k]["nodes"],
             "pages": len(groups[k]["pages"])} for k in keys]
