"""A self-contained HTML report of one run: "the city's view" of its audit.

One file, no network needed to view it and none made: inline CSS and SVG, screenshots as data: URIs
(each distinct image once, see screenshots.py), a Content-Security-Policy that forbids scripts and
requests. The report reads only the result document (scores, definitions, advice, crawl figures, axe scans and the
assessors' answers are all in it, see reports/facts.py), plus screenshot bytes from the snapshot store.
"""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from egov_audit.store.snapshots import SnapshotStore
from egov_audit.outcomes import UNMET as OUTCOME_UNMET, Outcome
from reports import charts
from reports.screenshots import Gallery
from reports.technology import engines_view, validation_view

TEMPLATES = Path(__file__).parent / "templates"
MAX_ROWS = 200
UNMET = tuple(o for o in Outcome if o in OUTCOME_UNMET)          # fail, review, error: advice is shown
OUTCOME_ORDER = (Outcome.PASS, Outcome.FAIL, Outcome.REVIEW, Outcome.ERROR, Outcome.MANUAL, Outcome.NOT_APPLICABLE)


def _environment() -> Environment:
    # autoescape everywhere: titles, URLs, excerpts, selectors and HTML snippets come from pages we do not control
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True,
                                                                                      default_for_string=True))
    env.tests["http_url"] = is_http_url
    env.filters["criterion_label"] = charts.criterion_label
    env.filters["score"] = lambda v: "–" if v is None else f"{v:.2f}"
    return env


def is_http_url(url) -> bool:
    """Only http(s) URLs become links; javascript:, data: and anything else from a hostile page stays text."""
    return isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")) and url == url.strip()


def depth_phrase(depth) -> str:
    if depth is None:
        return ""
    if depth == 0:
        return "found on the home page"
    return f"found {depth} click{'s' if depth != 1 else ''} from the home page"


def _unique(items) -> list:
    seen = []
    for item in items or ():
        if item not in seen:
            seen.append(item)
    return seen


def _indicator_view(indicator: dict, gallery: Gallery) -> dict:
    evidence = [{**e, "depth_phrase": depth_phrase(e.get("click_depth")), "shot": gallery.ref(e.get("screenshot"))}
                for e in indicator.get("evidence") or ()]
    searched = indicator.get("searched") or {}
    unmet = indicator["outcome"] in UNMET
    return {**indicator, "evidence": evidence, "unmet": unmet,
            "searched_view": {"pages": searched.get("pages_considered"), "languages": searched.get("languages") or [],
                              "checks": _unique(searched.get("checks")), "patterns": _unique(searched.get("patterns"))}
            if unmet and searched else None,
            "recommendation": indicator.get("recommendation") if unmet else None}


def render_report(document: dict, snapshots: SnapshotStore | None = None) -> str:
    """The report of one result document, from the document alone: screenshots are embedded from the snapshot
    store when it is given (and named by their evidence otherwise); nothing else is read."""
    crawl = document["crawl"]
    gallery = Gallery(snapshots)
    home_shot = gallery.ref(crawl.get("home_screenshot"))
    indicators = [_indicator_view(i, gallery) for i in document["indicators"]]
    manual = [{**i, "definition": i.get("definition") or ""} for i in indicators if i["outcome"] == Outcome.MANUAL]
    scores = document["scores"]
    edition = document["edition"]
    profile = (scores.get("profiles") or {}).get(edition) or {}
    detail = profile.get("criteria_detail") or {}
    outcomes = {}
    for i in indicators:
        outcomes[i["outcome"]] = outcomes.get(i["outcome"], 0) + 1
    a11y = document.get("accessibility") or {"pages": [], "assessed": 0, "versions": [], "by_impact": [],
                                             "by_criterion": [], "violations": 0, "to_review": 0}
    template = _environment().get_template("report.html.j2")
    return template.render(
        doc=document, scores=scores, profile=profile, edition=edition,
        other_profiles={k: p for k, p in (scores.get("profiles") or {}).items() if k != edition},
        gauge=charts.gauge(scores.get("index"), scores.get("upper_bound"), bool(scores.get("provisional"))),
        bars=charts.bars(detail) if detail else None,
        indicators=indicators, manual=manual, a11y=a11y,
        engines=engines_view(document.get("technology"), gallery), validation=validation_view(document.get("technology")),
        gather_cost=(document.get("technology") or {}).get("cost"),
        outcome_counts=[(o, outcomes[o]) for o in OUTCOME_ORDER if o in outcomes],
        shots=gallery.shots, home_shot=home_shot,
        errors=crawl.get("error_pages") or [], skipped=crawl.get("robots_skipped") or [],
        pages=crawl.get("page_list") or [], max_rows=MAX_ROWS)


def write_report(document: dict, path: str | Path, snapshots: SnapshotStore | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(document, snapshots), encoding="utf-8")
    return path
