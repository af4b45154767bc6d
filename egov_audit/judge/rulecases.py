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
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from checks import Context
from egov_audit.judge.engine import judge
from egov_audit.page.model import Page
from egov_audit.paths import REPO_ROOT
from egov_audit.judge.rules import Rule, load_data
from egov_audit.page.site import MemorySite

# what an expected verdict (in expected.yaml or a rule case) accepts
ALLOWED = {"pass": {"pass"}, "fail": {"fail"}, "review": {"review"}, "not-pass": {"fail", "review"},
           "manual": {"manual"}, "error": {"error"}}

CASES_DIR = REPO_ROOT / "fixtures" / "rules"


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


def case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*.yaml"))


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


def run_cases(path: Path, rules: dict[str, Rule], data: dict | None = None) -> list[CaseResult]:
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
