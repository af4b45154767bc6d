"""egov-audit review import: a questionnaire a spreadsheet assessor filled in comes back as their answers.

Reads the CSV (`export --format questionnaire`) or the xlsx workbook (`export --format xlsx`, its "Q …"
sheets) with the assessor_answer / assessor_note (and optional assessor_evidence_url) columns filled in.
Every row is checked first; any bad row (unknown run or indicator, an answer we cannot read, a non-http
evidence URL) is reported with its row number and nothing is imported: a half-imported sheet would make
a portal look answered when it is not. Rows with an empty assessor_answer are skipped (not answered).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from egov_audit.judge.evaluation import latest_evaluation
from egov_audit.store import reviews
from egov_audit.store.db import Store

ANSWER_WORDS = {"yes": "yes", "y": "yes", "1": "yes", "true": "yes", "pass": "yes",
                "no": "no", "n": "no", "0": "no", "false": "no", "fail": "no",
                "not applicable": "not_applicable", "not_applicable": "not_applicable", "n/a": "not_applicable",
                "na": "not_applicable"}
REQUIRED = ("run_id", "indicator_id", "assessor_answer")


class ImportProblem(ValueError):
    """The file cannot be imported; .problems lists every bad row ("row N: …")."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s), nothing imported:\n" + "\n".join(problems))
        self.problems = problems


@dataclass
class Row:
    where: str           # "row 7" or "sheet 'Q city' row 7"
    values: dict


def read_rows(path: Path) -> list[Row]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            _check_header(reader.fieldnames or [], str(path.name))
            return [Row(f"row {n}", row) for n, row in enumerate(reader, start=2)]
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook
        book = load_workbook(path, read_only=True, data_only=True)
        rows = []
        sheets = [s for s in book.worksheets if s.title.startswith("Q ")] or book.worksheets[:1]
        for sheet in sheets:
            cells = list(sheet.iter_rows(values_only=True))
            if not cells:
                continue
            header = [str(c or "").strip() for c in cells[0]]
            _check_header(header, f"sheet '{sheet.title}'")
            for n, values in enumerate(cells[1:], start=2):
                row = {h: ("" if v is None else str(v)) for h, v in zip(header, values) if h}
                rows.append(Row(f"sheet '{sheet.title}' row {n}", row))
        return rows
    raise ImportProblem([f"{path.name}: not a questionnaire (.csv or .xlsx)"])


def _check_header(header: list[str], where: str) -> None:
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportProblem([f"{where}: missing column(s) {', '.join(missing)} (export a new questionnaire)"])


def parse(store: Store, rows: list[Row], assessor: str, source: str) -> list[reviews.Answer]:
    problems, answers = [], []
    verdicts_of: dict[str, dict | None] = {}
    for row in rows:
        raw = (row.values.get("assessor_answer") or "").strip()
        if not raw:
            continue
        run_id = (row.values.get("run_id") or "").strip()
        rule_id = (row.values.get("indicator_id") or "").strip()
        if run_id not in verdicts_of:
            evaluation, verdicts = latest_evaluation(store, run_id) if reviews.run_exists(store, run_id) \
                else (None, [])
            verdicts_of[run_id] = None if evaluation is None else \
                {"evaluation": evaluation["id"], "verdicts": {v["rule_id"]: v for v in verdicts}}
        judged = verdicts_of[run_id]
        answer = ANSWER_WORDS.get(raw.lower())
        evidence_url = (row.values.get("assessor_evidence_url") or "").strip()
        if judged is None:
            problems.append(f"{row.where}: run '{run_id}' is not a judged run of this database")
        elif rule_id not in judged["verdicts"]:
            problems.append(f"{row.where}: indicator '{rule_id}' was not judged in run {run_id}")
        elif answer is None:
            problems.append(f"{row.where}: assessor_answer '{raw}' is not yes, no or not applicable")
        elif evidence_url and not evidence_url.lower().startswith(("http://", "https://")):
            problems.append(f"{row.where}: assessor_evidence_url must start with http:// or https://")
        else:
            verdict = judged["verdicts"][rule_id]
            answers.append(reviews.Answer(run_id, rule_id, assessor, answer,
                                          note=(row.values.get("assessor_note") or "").strip(),
                                          evidence_url=evidence_url, evaluation_id=judged["evaluation"],
                                          verdict_outcome=verdict["outcome"],
                                          verdict_confidence=verdict["confidence"], source=source))
    if problems:
        raise ImportProblem(problems)
    return answers


def import_questionnaire(store: Store, path: Path, assessor: str) -> int:
    """Import every answered row of the file, all in one transaction; returns how many."""
    if not assessor.strip():
        raise ImportProblem(["--assessor: give the assessor's name"])
    answers = parse(store, read_rows(path), assessor.strip(), f"import:{path.name}")
    return reviews.save_answers(store, answers)
