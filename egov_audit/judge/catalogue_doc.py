"""docs/indicators.md, generated from rules/ (a test fails when the committed file is stale)."""
from __future__ import annotations

from collections import Counter

from egov_audit.editions import first_code, primary_code
from egov_audit.paths import REPO_ROOT
from egov_audit.judge.rules import Rule, load_rules

DOC_PATH = REPO_ROOT / "docs" / "indicators.md"
CRITERIA_ORDER = ["institutional-framework", "content-provision", "services-provision", "participation-engagement",
                  "e-government-literacy", "technology", "e-participation"]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render(rules: list[Rule]) -> str:
    counts = Counter(r.automation for r in rules)
    losi = [r for r in rules if primary_code() in r.codes]
    extra = [r for r in rules if not r.codes]   # supplementary: reported, never scored
    lines = [
        "# Indicator catalogue",
        "",
        "Generated from `rules/` by `egov-audit rules docs --write`; do not edit by hand.",
        "",
        f"{len(rules)} rules: {len(losi)} LOSI 2024 indicators and {len(rules) - len(losi) - len(extra)} OSI E-Participation "
        f"indicators scored apart" + (f", and {len(extra)} supplementary (reported, in no index)" if extra else "") +
        f". Automation: {counts['automatic']} automatic, {counts['assisted']} assisted "
        f"(a crawl finds and judges the evidence; a person confirms), {counts['manual']} manual (listed for a "
        "human assessor, never guessed).",
        "",
    ]
    for criterion in CRITERIA_ORDER:
        chosen = sorted((r for r in rules if r.criterion == criterion),
                        key=lambda r: (first_code(r.codes), r.id))
        if not chosen:
            continue
        lines += [f"## {criterion}", "", "| code | id | indicator | automation | decided by |", "|---|---|---|---|---|"]
        for r in chosen:
            codes = ", ".join(f"{k} {v}" for k, v in r.codes.items()) or "supplementary"
            how = ", ".join(dict.fromkeys(c.name for c in r.any + r.all)) or _cell(r.manual_reason)
            lines.append(f"| {codes} | `{r.id}` | {_cell(r.title)} | {r.automation} | {how} |")
        lines.append("")
    return "\n".join(lines)


def current() -> str:
    return render(load_rules())
