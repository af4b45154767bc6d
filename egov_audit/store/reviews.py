"""Assessors' answers and reconciled final answers (tables of migration m005_reviews).

The machine's verdicts are never touched here: answers live beside them, each row keeping the verdict
(evaluation, outcome, confidence) the assessor saw. Answers are append-only; an assessor's newest answer
to an item is the one in force, so changing one's mind keeps the history. Every write is one transaction,
so a killed server loses no answer it confirmed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from egov_audit.store.db import Store

ANSWER_VALUES = ("yes", "no", "not_applicable")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Answer:
    run_id: str
    rule_id: str
    assessor: str
    answer: str
    note: str = ""
    evidence_url: str = ""
    answered_at: str = ""
    evaluation_id: str | None = None
    verdict_outcome: str | None = None
    verdict_confidence: str | None = None
    source: str = "app"


@dataclass
class FinalAnswer:
    run_id: str
    rule_id: str
    answer: str
    note: str
    reconciled_by: str
    decided_at: str


_ANSWER_COLUMNS = ("run_id", "rule_id", "assessor", "answer", "note", "evidence_url", "answered_at", "evaluation_id",
                   "verdict_outcome", "verdict_confidence", "source")


def _check(answer: str) -> None:
    if answer not in ANSWER_VALUES:
        raise ValueError(f"answer must be one of {', '.join(ANSWER_VALUES)}, not {answer!r}")


def save_answers(store: Store, answers: list[Answer]) -> int:
    """Store answers all together or not at all (one transaction)."""
    for a in answers:
        _check(a.answer)
        if not a.assessor.strip():
            raise ValueError("an answer needs an assessor name")
    stamp = _now()
    with store.conn:
        store.conn.executemany(
            f"INSERT INTO answers ({', '.join(_ANSWER_COLUMNS)}) VALUES ({', '.join('?' for _ in _ANSWER_COLUMNS)})",
            [(a.run_id, a.rule_id, a.assessor.strip(), a.answer, a.note or "", a.evidence_url or "",
              a.answered_at or stamp, a.evaluation_id, a.verdict_outcome, a.verdict_confidence, a.source)
             for a in answers])
    return len(answers)


def current_answers(store: Store, run_id: str) -> list[Answer]:
    """Each assessor's newest answer per item of a run."""
    rows = store.conn.execute(
        f"SELECT {', '.join(_ANSWER_COLUMNS)} FROM answers a WHERE run_id = ? AND id = "
        "(SELECT max(id) FROM answers b WHERE b.run_id = a.run_id AND b.rule_id = a.rule_id "
        "AND b.assessor = a.assessor) ORDER BY rule_id, assessor", (run_id,)).fetchall()
    return [Answer(*row) for row in rows]


def save_final(store: Store, final: FinalAnswer) -> None:
    _check(final.answer)
    if not final.reconciled_by.strip():
        raise ValueError("a final answer needs the name of who reconciled it")
    with store.conn:
        store.conn.execute("INSERT INTO final_answers (run_id, rule_id, answer, note, reconciled_by, decided_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (final.run_id, final.rule_id, final.answer, final.note or "",
                                                   final.reconciled_by.strip(), final.decided_at or _now()))


def recorded_finals(store: Store, run_id: str) -> dict[str, FinalAnswer]:
    """The newest reconciled final answer per item of a run."""
    rows = store.conn.execute(
        "SELECT run_id, rule_id, answer, note, reconciled_by, decided_at FROM final_answers f WHERE run_id = ? "
        "AND id = (SELECT max(id) FROM final_answers g WHERE g.run_id = f.run_id AND g.rule_id = f.rule_id)",
        (run_id,)).fetchall()
    return {row[1]: FinalAnswer(*row) for row in rows}


def answers_version(store: Store) -> tuple:
    """Changes whenever an answer, a final answer or an evaluation is added: a cache key for derived figures."""
    return store.conn.execute("SELECT (SELECT max(id) FROM answers), (SELECT max(id) FROM final_answers), "
                              "(SELECT count(*) FROM evaluations)").fetchone()


def runs_with_answers(store: Store) -> list[str]:
    return [r for (r,) in store.conn.execute("SELECT DISTINCT run_id FROM answers ORDER BY run_id")]


def run_exists(store: Store, run_id: str) -> bool:
    return store.conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is not None


def snapshot_path(store: Store, reference: str) -> tuple[str, str] | None:
    """(path in the snapshot store, kind) for a snapshot hash or path, or None when unknown."""
    row = store.conn.execute("SELECT path, kind FROM snapshots WHERE hash = ? OR path = ? LIMIT 1",
                       (reference, reference)).fetchone()
    return (row[0], row[1]) if row else None


def page_for_snapshot(store: Store, run_id: str, digest: str) -> dict | None:
    """The crawled page a snapshot belongs to in a run (URL and fetch time, shown above the snapshot)."""
    row = store.conn.execute("SELECT url, fetched_at, content_type FROM pages WHERE run_id = ? AND "
                       "(raw_hash = ? OR rendered_hash = ?) LIMIT 1", (run_id, digest, digest)).fetchone()
    return dict(zip(("url", "fetched_at", "content_type"), row)) if row else None
