"""Rule cases: small page fixtures per rule (fixtures/rules/<rule-id>.yaml), judged offline.

Fixture portals (fixtures/sites/*/expected.yaml) test rules on whole crawled sites; rule cases add,
for every automated rule, realistic pages that must make it pass and pages (traps included) that
must not. Format::

    rule: participatory-budgeting
    audit_date: 2026-11-22
    cases:
      - name: es-current-cycle
        expect: pass                 # pass | fail | review | not-pass
        pages:
          - url: https://www.villaserena.es/participa/presupuestos-2026/
            scope: portal            # portal (default) | satellite | external
            kind: html               # html (default) | pdf (then `text:`) | data
            html: |
              <!doctype html> …
        artifacts: {}                # crawl-time results for site checks (site-search, data-api, axe)
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from checks import Context
from egov_audit.judge.engine import judge
from egov_audit.outcomes import EXPECTATIONS
from egov_audit.page.model import Page
from egov_audit.paths import REPO_ROOT
from checks.base import did_you_mean
from egov_audit.judge.rules import Problem, Rule, RuleError, line_of, load_data, parse_yaml
from egov_audit.outcomes import CONFIDENCE_RANK
from egov_audit.page.site import MemorySite
from egov_audit.paths import FIXTURES_DIR

# what an expected verdict (in expected.yaml or a rule case) accepts
ALLOWED = EXPECTATIONS

CASES_DIR = Path(os.environ.get("EGOV_RULE_CASES_DIR") or REPO_ROOT / "fixtures" / "rules")   # beside EGOV_RULES_DIR


@dataclass
class CaseResult:
    rule_id: str
    name: str
    expect: str
    got: str
    reason: str

    @property
    def ok(self) -> bool:
        return self.got in ALLOWED[self.expect]


def case_files(cases_dir: Path = CASES_DIR) -> list[Path]:
    return sorted(cases_dir.glob("*.yaml"))


def _site(case: dict) -> MemorySite:
    pages = []
    hosts: dict[str, str] = {}
    for spec in case["pages"]:
        scope = spec.get("scope", "portal")
        hosts.setdefault((urlsplit(spec["url"]).hostname or "").lower(), scope)
    for index, spec in enumerate(case["pages"]):
        row = {"url": spec["url"], "final_url": spec["url"], "kind": spec.get("kind", "html"),
               "scope": spec.get("scope", "portal"), "title": spec.get("title", ""),
               "click_depth": spec.get("click_depth", 0 if index == 0 else 1),
               "status": spec.get("status", 200), "content_type": spec.get("content_type"),
               "headers": json.dumps(spec["headers"]) if spec.get("headers") else None}
        pages.append(Page(row, spec.get("html"), spec.get("text"), lambda host: hosts.get(host, "external")))
    return MemorySite(pages, case.get("artifacts") or {}, start_url=case["pages"][0]["url"])


# the fields of a rule-case file, per level: a misspelt one (`htm:`, `expct:`) is an error, not a silent default
CASE_FILE_FIELDS = {"rule", "audit_date", "cases"}
CASE_FIELDS = {"name", "expect", "pages", "artifacts", "note"}
PAGE_FIELDS = {"url", "html", "text", "scope", "kind", "title", "click_depth", "status", "content_type", "headers"}
PAGE_VALUES = {"scope": ("portal", "satellite", "external"), "kind": ("html", "pdf", "data")}


def case_file_problems(path: Path, rules: dict[str, Rule] | None = None) -> list[Problem]:
    """What is wrong in a rule-case file, each with its line: unknown fields, a missing or unknown rule, an
    expectation that is not one of EXPECTATIONS, a case without pages."""
    try:
        spec, root = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [Problem(path, mark.line + 1 if mark else None, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]
    problems: list[Problem] = []

    def unknown(mapping: dict, allowed: set, where: tuple, what: str):
        for key in mapping:
            if key not in allowed:
                problems.append(Problem(path, line_of(root, where + (key,), key=True),
                                        f"unknown field '{key}' in {what}{did_you_mean(str(key), allowed)} "
                                        f"(allowed: {', '.join(sorted(allowed))})"))

    if not isinstance(spec, dict) or not isinstance(spec.get("cases"), list) or not spec.get("rule"):
        return [Problem(path, 1, "a rule-case file has `rule: <id>` and a list of `cases:`")]
    unknown(spec, CASE_FILE_FIELDS, (), "the case file")
    if rules is not None and spec["rule"] not in rules:
        problems.append(Problem(path, line_of(root, ("rule",)), f"rule '{spec['rule']}' is not in the rules"
                                f"{did_you_mean(str(spec['rule']), rules)}"))
    for index, case in enumerate(spec["cases"]):
        where = ("cases", index)
        if not isinstance(case, dict):
            problems.append(Problem(path, line_of(root, where), "a case is a mapping: name, expect, pages"))
            continue
        name = case.get("name", f"#{index + 1}")
        unknown(case, CASE_FIELDS, where, f"case '{name}'")
        if case.get("expect") not in EXPECTATIONS:
            problems.append(Problem(path, line_of(root, where + ("expect",)),
                                    f"case '{name}' expects {case.get('expect')!r} (allowed: {', '.join(EXPECTATIONS)})"))
        pages = case.get("pages")
        if not isinstance(pages, list) or not pages:
            problems.append(Problem(path, line_of(root, where), f"case '{name}' has no `pages:`"))
            continue
        for number, page in enumerate(pages):
            at = where + ("pages", number)
            if not isinstance(page, dict) or not page.get("url"):
                problems.append(Problem(path, line_of(root, at), f"a page of case '{name}' needs a `url:`"))
                continue
            unknown(page, PAGE_FIELDS, at, f"a page of case '{name}'")
            for field, allowed in PAGE_VALUES.items():
                if field in page and page[field] not in allowed:
                    problems.append(Problem(path, line_of(root, at + (field,)), f"{field} {page[field]!r} is not "
                                            f"allowed (allowed: {', '.join(allowed)})"))
    return problems


def run_cases(path: Path, rules: dict[str, Rule], data: dict | None = None) -> list[CaseResult]:
    problems = case_file_problems(path, rules)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RuleError(f"{problems[0]}{more}", problems)
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    rule = rules[spec["rule"]]
    context_date = date.fromisoformat(str(spec.get("audit_date", "2026-11-22")))
    data = data if data is not None else load_data()
    out = []
    for case in spec["cases"]:
        site = _site(case)
        verdict = judge(rule, site, Context(audit_date=context_date, data=data, site=site))
        out.append(CaseResult(rule.id, case["name"], case["expect"], verdict.outcome, verdict.reason))
    return out


# ---- meta checks: what every automated rule must have (tests/test_rule_cases.py and `egov-audit rules test`) ----

def review_only(rule: Rule) -> bool:
    """A rule whose best check cannot reach its pass bar (a person must judge): its positive case is a review."""
    best = max((CONFIDENCE_RANK[c.confidence] for c in rule.any + rule.all), default=0)
    return best < CONFIDENCE_RANK[rule.min_confidence]


def _kind(expect: str, rule: Rule | None) -> str:
    """'pass' for a case that shows the feature, 'not-pass' for one that must not pass."""
    positive = expect == "pass" or (expect == "review" and rule is not None and review_only(rule))
    return "pass" if positive else "not-pass"


def fixture_portal_kinds() -> dict[str, set]:
    """rule id → kinds of expectation the fixture portals (fixtures/sites/*/expected.yaml) give it."""
    seen: dict[str, set] = {}
    for expected in sorted(FIXTURES_DIR.glob("*/expected.yaml")):
        spec = yaml.safe_load(expected.read_text(encoding="utf-8")) or {}
        for rule_id, want in (spec.get("expected") or {}).items():
            seen.setdefault(rule_id, set()).add("pass" if want == "pass" else "not-pass")
    return seen


def case_kinds(rules: dict[str, Rule], cases_dir: Path = CASES_DIR) -> dict[str, set]:
    """rule id → kinds of case its rule-case file and the fixture portals give it."""
    seen = fixture_portal_kinds()
    for path in case_files(cases_dir):
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in spec.get("cases") or ():
            seen.setdefault(spec.get("rule"), set()).add(_kind(case.get("expect", ""), rules.get(spec.get("rule"))))
    return seen


def coverage_problem(rule: Rule, kinds: set) -> str | None:
    """Why an automated rule's cases do not test it both ways (None: they do)."""
    if rule.automation == "manual" or kinds >= {"pass", "not-pass"}:
        return None
    positive = "review" if review_only(rule) else "pass"
    lacking = [f"a case expecting {positive} (the feature shown)" if "pass" not in kinds else None,
               "a case expecting fail or not-pass (a page without it, or a trap)" if "not-pass" not in kinds else None]
    return (f"rule '{rule.id}' lacks {' and '.join(l for l in lacking if l)}: add it to "
            f"{CASES_DIR.name}/{rule.id}.yaml (or a fixture portal's expected.yaml)")
