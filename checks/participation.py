"""Participation platforms judged from their own public APIs (answers stored during the crawl by
crawler/dataprobe.py, artifacts of kind data-api).

Go Vocal (formerly CitizenLab) answers GET /web_api/v1/projects with a JSON:API document: one `project`
per published project, and its current phase in `included` (type `phase`) with `participation_method`
(ideation, voting, budgeting in older releases, information, survey …), `voting_method` (budgeting,
multiple_voting, single_voting) and `start_at` / `end_at`. A budgeting phase is participatory budgeting.

What it misses: only the *current* phase of each project is in that answer, so a project whose
budgeting phase is over and which has moved on to an information phase is not seen here (its pages
still are, through the keyword checks); projects visible only to signed-in groups are not listed.
"""
from __future__ import annotations

import json
import re

from checks.base import CheckResult, Option, register

BUDGETING = {"budgeting"}
BUDGET_VOTING = {"budgeting", "multiple_voting"}   # a basket within a budget, or votes spread over projects
YEAR = re.compile(r"^(\d{4})")


def _title(multiloc) -> str:
    if isinstance(multiloc, dict):
        return next((str(v) for v in multiloc.values() if v), "")
    return str(multiloc or "")


def _year(value) -> int | None:
    m = YEAR.match(str(value or ""))
    return int(m.group(1)) if m else None


def govocal_budgeting(body: str) -> list[dict]:
    """Projects of a Go Vocal /web_api/v1/projects answer whose phase is a budget vote:
    [{project, slug, phase, method, start, end}]."""
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("not a JSON:API project list")
    phases = {i.get("id"): i.get("attributes") or {} for i in data.get("included") or []
              if isinstance(i, dict) and i.get("type") == "phase"}
    found = []
    for project in data["data"]:
        if not isinstance(project, dict) or project.get("type") != "project":
            continue
        attrs = project.get("attributes") or {}
        rel = ((project.get("relationships") or {}).get("current_phase") or {}).get("data") or {}
        # older releases keep the participation method on a continuous (phase-less) project itself
        candidates = [phases.get(rel.get("id"))] if rel.get("id") in phases else []
        candidates.append(attrs if attrs.get("participation_method") else None)
        for phase in filter(None, candidates):
            method = phase.get("participation_method")
            voting = phase.get("voting_method")
            if method in BUDGETING or (method == "voting" and voting in BUDGET_VOTING):
                found.append({"project": _title(attrs.get("title_multiloc")), "slug": attrs.get("slug", ""),
                              "phase": _title(phase.get("title_multiloc")), "method": voting or method,
                              "start": str(phase.get("start_at") or ""), "end": str(phase.get("end_at") or "")})
                break
    return found


@register("participation-api", site=True, options=[
    Option("platform", "text", "the participation platform whose API answers were stored", default="govocal",
           allowed=("govocal",)),
    Option("feature", "text", "the feature a project must be in a phase of", default="budgets", allowed=("budgets",),
           shown=True),
    Option("recency_years", "int", "the phase ends at most this many years before the audit date, or later"),
])
def participation_api(site, options, context) -> CheckResult:
    """A participation platform's public API (stored by the crawl) lists a project with the wanted feature,
    e.g. a Go Vocal project in a participatory-budgeting phase."""
    platform = options.get("platform", "govocal")
    if options.get("feature", "budgets") != "budgets" or platform != "govocal":
        raise ValueError("participation-api knows only platform govocal, feature budgets")
    recency = options.get("recency_years")
    probes = [p for p in site.artifacts.get("data-api") or [] if p.get("platform") == platform]
    hits, old, undated, broken, answered = [], [], [], [], 0
    for probe in probes:
        if probe.get("error_kind") or (probe.get("status") or 0) >= 500:
            broken.append(f"{probe['url']}: {probe.get('error_kind') or 'HTTP ' + str(probe['status'])}")
            continue
        if (probe.get("status") or 0) >= 400 or not probe.get("body"):
            continue
        try:
            projects = govocal_budgeting(probe["body"])
        except ValueError:
            continue   # an HTML page or another JSON at that path: not Go Vocal
        answered += 1
        for p in projects:
            year = _year(p["end"]) or _year(p["start"])
            if recency is not None and year is None:
                undated.append((probe, p))
            elif recency is not None and year < context.audit_date.year - int(recency):
                old.append((probe, p, year))
            else:
                hits.append((probe, p))
    if hits:
        return CheckResult("pass", [_evidence(probe, p) for probe, p in hits[:3]])
    if undated:
        return CheckResult("review", [_evidence(probe, p) for probe, p in undated[:3]],
                           reason="a budgeting phase without dates: cannot tell whether it is recent")
    if old:
        return CheckResult("fail", reason="only budgeting phases older than {} years on the Go Vocal API ({})".format(
            recency, ", ".join(sorted({str(y) for _, _, y in old}))))
    if broken and not answered:
        # the platform was recognised (that is why it was asked) but could not be checked: can't tell, not absent
        return CheckResult("review", reason="the Go Vocal API did not answer: " + "; ".join(broken[:2]))
    return CheckResult("fail", reason="no Go Vocal project with a budgeting phase" if answered else "")


def _evidence(probe: dict, p: dict) -> dict:
    dates = " – ".join(d[:10] for d in (p["start"], p["end"]) if d)
    excerpt = (f"Go Vocal project “{p['project']}”, phase “{p['phase']}” ({p['method']}"
               f"{', ' + dates if dates else ''}) on {probe.get('host', '')}")
    return {"url": probe["url"], "excerpt": excerpt[:300], "selector": "", "click_depth": None, "snapshot": None,
            "screenshot": None, "field": "data-api", "platform": "govocal"}
