"""The judging tables: evaluations (one offline judging of a run) and their verdicts.

A verdict's UN codes are stored per edition in its `codes` column (JSON: code system → code, as
rules/editions.yaml names them), so a new edition needs no new column.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from egov_audit.store.records import Record
from egov_audit.store.util import code_version, now_iso

EVALUATION_COLUMNS = ("id", "run_id", "created", "audit_date", "rules_digest", "code_version", "edition", "scores")
VERDICT_COLUMNS = ("evaluation_id", "run_id", "rule_id", "rule_version", "codes", "criterion", "automation", "outcome",
                   "confidence", "reason", "evidence", "searched")
# "The latest evaluation of a run": the newest by creation time; rowid breaks ties within one second.
_LATEST = ("SELECT " + ", ".join(EVALUATION_COLUMNS) + " FROM evaluations WHERE run_id = ? "
           "ORDER BY created DESC, rowid DESC LIMIT 1")


@dataclass
class Evaluation(Record):
    id: str
    run_id: str
    created: str
    audit_date: str
    rules_digest: str
    code_version: str
    edition: str
    scores: dict                         # index, band, provisional, criteria, profiles


@dataclass
class StoredVerdict(Record):
    rule_id: str
    rule_version: int
    criterion: str
    automation: str
    outcome: str
    confidence: str | None = None
    reason: str | None = None
    codes: dict = field(default_factory=dict)       # code system → code, e.g. the LOSI code of the rule
    evidence: list = field(default_factory=list)
    searched: dict = field(default_factory=dict)
    evaluation_id: str = ""
    run_id: str = ""


def _evaluation(row) -> Evaluation:
    values = dict(zip(EVALUATION_COLUMNS, row))
    values["scores"] = json.loads(values["scores"] or "{}")
    return Evaluation(**values)


class EvaluationsTable:
    """Mixed into Store: every statement on `evaluations` and `verdicts`."""

    def save_evaluation(self, run_id: str, audit_date: str, rules_digest: str, edition: str, scores: dict,
                        verdicts: list[StoredVerdict]) -> str:
        """Store one judging of a run with all its verdicts, as one transaction; returns the evaluation id."""
        evaluation_id = f"{run_id}-e{uuid.uuid4().hex[:6]}"
        with self.conn:
            self.conn.execute(
                f"INSERT INTO evaluations ({', '.join(EVALUATION_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (evaluation_id, run_id, now_iso(), audit_date, rules_digest, code_version(), edition,
                 json.dumps(scores)))
            self.conn.executemany(
                f"INSERT INTO verdicts ({', '.join(VERDICT_COLUMNS)}) VALUES ({', '.join('?' for _ in VERDICT_COLUMNS)})",
                [(evaluation_id, run_id, v.rule_id, v.rule_version, json.dumps(v.codes, sort_keys=True), v.criterion,
                  v.automation, v.outcome, v.confidence, v.reason, json.dumps(v.evidence, ensure_ascii=False),
                  json.dumps(v.searched, ensure_ascii=False)) for v in verdicts])
        return evaluation_id

    def latest_evaluation(self, run_id: str) -> Evaluation | None:
        """The run's newest evaluation (what reports, exports, diff, batch and monitor show), or None."""
        row = self.conn.execute(_LATEST, (run_id,)).fetchone()
        return _evaluation(row) if row else None

    def verdicts(self, evaluation_id: str) -> list[StoredVerdict]:
        """An evaluation's verdicts, by criterion and rule id."""
        found = []
        for row in self.conn.execute(f"SELECT {', '.join(VERDICT_COLUMNS)} FROM verdicts WHERE evaluation_id = ? "
                                     "ORDER BY criterion, rule_id", (evaluation_id,)):
            values = dict(zip(VERDICT_COLUMNS, row))
            values["codes"] = json.loads(values["codes"] or "{}")
            values["evidence"] = json.loads(values["evidence"] or "[]")
            values["searched"] = json.loads(values["searched"] or "{}")
            found.append(StoredVerdict(**values))
        return found

    def verdict_count(self, evaluation_id: str, outcome: str) -> int:
        return self.conn.execute("SELECT count(*) FROM verdicts WHERE evaluation_id = ? AND outcome = ?",
                                 (evaluation_id, outcome)).fetchone()[0]
