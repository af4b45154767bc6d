"""The check registry and the shapes checks exchange with the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable


@dataclass
class CheckResult:
    outcome: str                                   # pass | fail | review
    evidence: list[dict] = field(default_factory=list)
    reason: str = ""                               # why (shown for review and fail)

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"


FAIL = CheckResult("fail")


@dataclass
class Context:
    """What every check may read besides the page: the audit date and the shared data files."""
    audit_date: date
    data: dict                                     # name → parsed rules/_data/<name>.yaml
    site: object = None                            # egov_audit.page.site.Site, for site checks


@dataclass
class CheckSpec:
    name: str
    run: Callable                                  # (page_or_site, options, context) -> CheckResult
    prepare: Callable | None                       # options -> compiled options (once per rule)
    site: bool                                     # True: judged once per run on the Site


CHECKS: dict[str, CheckSpec] = {}


def register(name: str, *, site: bool = False, prepare: Callable | None = None):
    def wrap(fn):
        CHECKS[name] = CheckSpec(name, fn, prepare, site)
        return fn
    return wrap
