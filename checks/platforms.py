"""Platform fingerprints: a page served by a known participation, open-data or reporting platform.

Signatures are data (rules/_data/platforms.yaml): weighted regexes on the page's HTML, URL and
response headers; a platform is recognised when the matched weights reach its min_weight, and a
feature (budgets, proposals, datasets …) by its own URL/HTML patterns.
"""
from __future__ import annotations

import re

from checks.base import FAIL, CheckResult, Option, register


_COMPILED: dict[int, tuple[dict, dict]] = {}


def _compiled(table: dict) -> dict:
    """Regexes compiled once per signature table (keyed by the table object, kept alive with it)."""
    cached = _COMPILED.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    compiled = {}
    for pid, spec in sorted(table.items()):
        signals = [(s.get("where", "html"), re.compile(s["pattern"]), int(s.get("weight", 1)), s.get("why", ""))
                   for s in spec.get("signals", ())]
        features = {}
        for name, patterns in (spec.get("features") or {}).items():
            if isinstance(patterns, str):
                patterns = {"url": patterns}
            features[name] = {where: re.compile(p) for where, p in patterns.items() if isinstance(p, str)}
        compiled[pid] = (spec.get("name", pid), signals, int(spec.get("min_weight", 2)), features)
    _COMPILED[id(table)] = (table, compiled)
    return compiled


def detect(page, table: dict, wanted=None) -> list[tuple[str, str, list[str], int]]:
    """[(platform id, name, reasons, weight)] for the platforms whose signature the page shows."""
    compiled = _compiled(table)
    html = page.html or ""
    headers = "\n".join(f"{k}: {v}" for k, v in page.headers.items())
    haystacks = {"html": html, "url": page.final_url + " " + page.url, "header": headers, "headers": headers}
    found = []
    for pid, (name, signals, min_weight, _features) in compiled.items():
        if wanted and pid not in wanted:
            continue
        weight, reasons = 0, []
        for where, pattern, w, why in signals:
            if pattern.search(haystacks.get(where, "")):
                weight += w
                reasons.append(why or pattern.pattern[:60])
        if weight >= min_weight:
            found.append((pid, name, reasons, weight))
    return found


def feature_shown(page, table: dict, pid: str, feature: str) -> bool:
    features = _compiled(table)[pid][3]
    patterns = features.get(feature)
    if not patterns:
        return False
    haystacks = {"html": page.html or "", "url": page.final_url + " " + page.url}
    return any(p.search(haystacks.get(where, "")) for where, p in patterns.items())


@register("platform", options=[
    Option("platforms", "list", "platform ids of rules/_data/platforms.yaml (none given: any known platform)",
           data="platforms", shown=True, subject=True),
    Option("feature", "text", "a feature of the platform the page must show (its own patterns in platforms.yaml), "
                              "e.g. budgets, proposals, datasets", shown=True),
])
def platform(page, options, context) -> CheckResult:
    """The page is served by a known participation, open-data or reporting platform (weighted signatures
    on HTML, address and headers), optionally showing one of its features."""
    table = context.data.get("platforms") or {}
    wanted = options.get("platforms") or None
    unknown = [p for p in (wanted or ()) if p not in table]
    if unknown:
        raise KeyError(f"unknown platform id(s) {unknown} (rules/_data/platforms.yaml)")
    if page.kind != "html":
        return FAIL
    feature = options.get("feature")
    for pid, name, reasons, weight in detect(page, table, wanted):
        if feature and not feature_shown(page, table, pid, feature):
            continue
        label = f"{name}{' — ' + feature if feature else ''}: {'; '.join(reasons[:3])}"
        return CheckResult("pass", [page.evidence(label, None, field="platform", platform=pid)])
    return FAIL
