"""Judge a stored run with the current rules and keep the verdicts (egov-audit evaluate).

No network: pages come from the snapshots. Every evaluation is kept with the rules digest and the
audit date, so re-judging after a rule change is traceable.
"""
from __future__ import annotations

import time
from datetime import date

from egov_audit.judge.engine import evaluate
from egov_audit.judge.rules import load_data, load_rules, rules_digest
from egov_audit.judge.scoring import score
from egov_audit.page.site import Site
from egov_audit.store.db import Store
from egov_audit.store.evaluations import Evaluation, StoredVerdict


def stored_verdict(verdict) -> StoredVerdict:
    rule = verdict.rule
    return StoredVerdict(rule_id=rule.id, rule_version=rule.version, codes=dict(rule.codes), criterion=rule.criterion,
                         automation=rule.automation, outcome=verdict.outcome, confidence=verdict.confidence,
                         reason=verdict.reason, evidence=verdict.evidence, searched=verdict.searched)


def evaluate_run(store: Store, run_id: str | None = None, audit_date: date | None = None,
                 edition: str | None = None, rules_dir=None) -> dict:
    started = time.perf_counter()
    from egov_audit.paths import RULES_DIR
    rules_dir = rules_dir or RULES_DIR
    rules = load_rules(rules_dir)   # first: a bad rule is the answer, whatever the run
    site = Site(store, run_id)
    audit_date = audit_date or date.fromisoformat(site.run["started"][:10])
    verdicts = evaluate(site, rules, load_data(rules_dir), audit_date)
    scores = score([{"codes": v.rule.codes, "criterion": v.rule.criterion, "outcome": v.outcome} for v in verdicts],
                   edition)
    evaluation_id = store.save_evaluation(site.run_id, audit_date.isoformat(), rules_digest(rules_dir),
                                          scores["edition"], scores, [stored_verdict(v) for v in verdicts])
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.outcome] = counts.get(v.outcome, 0) + 1
    return {"evaluation_id": evaluation_id, "run_id": site.run_id, "rules": len(rules), "counts": counts,
            "scores": scores, "seconds": round(time.perf_counter() - started, 2), "pages": len(site.pages)}


def latest_evaluation(store: Store, run_id: str) -> tuple[Evaluation | None, list[StoredVerdict]]:
    """The run's newest evaluation and its verdicts (the store decides which evaluation is the newest)."""
    evaluation = store.latest_evaluation(run_id)
    return evaluation, (store.verdicts(evaluation.id) if evaluation else [])
