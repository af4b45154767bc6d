"""Judge a stored run with the current rules and keep the verdicts (egov-audit evaluate).

No network: pages come from the snapshots. Every evaluation is kept with the rules digest and the
audit date, so re-judging after a rule change is traceable.
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import date

from egov_audit.judge.engine import evaluate
from egov_audit.judge.rules import load_data, load_rules, rules_digest
from egov_audit.judge.scoring import editions, score
from egov_audit.page.site import Site
from egov_audit.store.db import Store, code_version, now_iso


def verdict_row(verdict) -> dict:
    rule = verdict.rule
    return {"rule_id": rule.id, "rule_version": rule.version, "losi_code": rule.codes.get("losi2024"),
            "osi_code": rule.codes.get("osi2024"), "criterion": rule.criterion, "automation": rule.automation,
            "outcome": verdict.outcome, "confidence": verdict.confidence, "reason": verdict.reason,
            "evidence": json.dumps(verdict.evidence, ensure_ascii=False),
            "searched": json.dumps(verdict.searched, ensure_ascii=False)}


def evaluate_run(store: Store, run_id: str | None = None, audit_date: date | None = None,
                 edition: str | None = None, rules_dir=None) -> dict:
    started = time.perf_counter()
    from egov_audit.paths import RULES_DIR
    rules_dir = rules_dir or RULES_DIR
    rules = load_rules(rules_dir)   # first: a bad rule is the answer, whatever the run
    site = Site(store, run_id)
    audit_date = audit_date or date.fromisoformat(site.run["started"][:10])
    verdicts = evaluate(site, rules, load_data(rules_dir), audit_date)
    rows = [verdict_row(v) for v in verdicts]
    scores = score([{"codes": v.rule.codes, "criterion": v.rule.criterion, "outcome": v.outcome} for v in verdicts],
                   edition)
    evaluation_id = f"{site.run_id}-e{uuid.uuid4().hex[:6]}"
    with store.conn:
        store.conn.execute(
            "INSERT INTO evaluations (id, run_id, created, audit_date, rules_digest, code_version, edition, scores) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (evaluation_id, site.run_id, now_iso(), audit_date.isoformat(), rules_digest(rules_dir), code_version(),
             scores["edition"], json.dumps(scores)))
        store.conn.executemany(
            f"INSERT INTO verdicts (evaluation_id, run_id, {', '.join(rows[0])}) VALUES (?, ?, {', '.join('?' for _ in rows[0])})",
            [(evaluation_id, site.run_id, *row.values()) for row in rows])
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.outcome] = counts.get(v.outcome, 0) + 1
    return {"evaluation_id": evaluation_id, "run_id": site.run_id, "rules": len(rules), "counts": counts,
            "scores": scores, "seconds": round(time.perf_counter() - started, 2), "pages": len(site.pages)}


def latest_evaluation(store: Store, run_id: str) -> tuple[dict | None, list[dict]]:
    row = store.conn.execute("SELECT id, created, audit_date, rules_digest, edition, scores FROM evaluations "
                             "WHERE run_id = ? ORDER BY created DESC, rowid DESC LIMIT 1", (run_id,)).fetchone()
    if row is None:
        return None, []
    evaluation = dict(zip(("id", "created", "audit_date", "rules_digest", "edition", "scores"), row))
    evaluation["scores"] = json.loads(evaluation["scores"])
    cursor = store.conn.execute("SELECT * FROM verdicts WHERE evaluation_id = ? ORDER BY criterion, rule_id",
                                (evaluation["id"],))
    names = [d[0] for d in cursor.description]
    verdicts = []
    for values in cursor.fetchall():
        item = dict(zip(names, values))
        item["evidence"] = json.loads(item["evidence"] or "[]")
        item["searched"] = json.loads(item["searched"] or "{}")
        verdicts.append(item)
    return evaluation, verdicts
