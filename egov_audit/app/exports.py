"""Researcher exports of judged runs: JSON documents, a long CSV, a wide matrix, questionnaires, one workbook.

Everything is built from the result document (egov_audit.app.result.build_result, the published contract),
so an export says exactly what the report and the JSON say. Several audit databases can be exported
together (a batch, or cities audited by different people).
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from egov_audit.app.result import build_result
from egov_audit.editions import code_columns, code_systems, display_code
from egov_audit.outcomes import Outcome
from egov_audit.store.db import Store

# The long table has one column per code system of rules/editions.yaml (its `column`), after indicator_id.
LONG_COLUMNS = ("portal", "start_url", "run_id", "audit_date", "edition", "indicator_id", *code_columns().values(),
                "criterion", "automation", "outcome", "decided_by", "machine_outcome", "confidence", "evidence_url",
                "evidence_excerpt", "reason")
# run_id makes a filled-in sheet importable (`review import`); decided_by says whose the answer is
QUESTION_COLUMNS = ("run_id", "code", "indicator_id", "question", "definition", "answer", "decided_by", "confidence",
                    "evidence_url", "evidence_excerpt", "note", "assessor_answer", "assessor_note",
                    "assessor_evidence_url")
# The wide matrix is for statistics: a met indicator is 1, an unmet one 0; open items keep their word.
MATRIX_VALUES = {Outcome.PASS: "1", Outcome.FAIL: "0", Outcome.NOT_APPLICABLE: "na", Outcome.REVIEW: "review",
                 Outcome.MANUAL: "manual", Outcome.ERROR: "error"}
ANSWERS = {Outcome.PASS: "yes", Outcome.FAIL: "no", Outcome.NOT_APPLICABLE: "not applicable",
           Outcome.REVIEW: "to confirm", Outcome.MANUAL: "to assess", Outcome.ERROR: "could not check"}


@dataclass
class Target:
    """Batch metadata that belongs beside a portal's numbers (name, country, level), when known."""
    name: str = ""
    country: str = ""
    level: str = ""


def evaluated_runs(store: Store, all_runs: bool = False) -> list[str]:
    """Runs that have been judged: the newest of each portal, or every one (oldest first)."""
    runs = sorted(store.judged_runs(), key=lambda r: (r.started, r.id))
    if all_runs:
        return [r.id for r in runs]
    latest: dict[str, str] = {}
    for run in runs:
        latest[run.start_url] = run.id      # later runs overwrite: the newest run per start URL
    return list(latest.values())


def targets_by_url(store: Store) -> dict[str, Target]:
    """Batch metadata recorded for start URLs (empty when the DB was not made by `batch`)."""
    return {t.url: Target(t.name or "", t.country or "", t.level or "") for t in store.batch_targets()}


def collect(db_paths: list[Path], run_ids: list[str] | None = None, all_runs: bool = False) -> list[dict]:
    """Result documents for the chosen runs across databases, each with its batch metadata under "target"."""
    documents = []
    for db in db_paths:
        if not Path(db).exists():
            raise FileNotFoundError(f"no audit database at {db}")
        store = Store(db)
        try:
            targets = targets_by_url(store)
            chosen = run_ids or evaluated_runs(store, all_runs)
            for run_id in chosen:
                if run_ids and not store.has_run(run_id):
                    continue                 # asked for a run that lives in another of the databases
                document = build_result(store, run_id)
                target = targets.get(document["start_url"])
                document["target"] = {"name": target.name, "country": target.country, "level": target.level} \
                    if target else {"name": document["portal"], "country": "", "level": ""}
                documents.append(document)
        finally:
            store.close()
    if run_ids:
        found = {d["run_id"] for d in documents}
        missing = [r for r in run_ids if r not in found]
        if missing:
            raise LookupError(f"no such run in the given databases: {', '.join(missing)}")
    return documents


def _audit_date(document: dict) -> str:
    return (document.get("evaluation") or {}).get("audit_date") or document["started"][:10]


def long_rows(documents: list[dict]) -> list[dict]:
    rows = []
    for d in documents:
        for i in d["indicators"]:
            first = i["evidence"][0] if i["evidence"] else {}
            rows.append({"portal": d["target"]["name"] or d["portal"], "start_url": d["start_url"], "run_id": d["run_id"],
                         "audit_date": _audit_date(d), "edition": d["edition"], "indicator_id": i["id"],
                         **{column: i["codes"].get(code, "") for code, column in code_columns().items()},
                         "criterion": i["criterion"], "automation": i["automation"], "outcome": i["outcome"],
                         "decided_by": i.get("decided_by", "machine"),
                         "machine_outcome": i.get("machine_outcome", i["outcome"]),
                         "confidence": i["confidence"] or "", "evidence_url": first.get("url") or "",
                         "evidence_excerpt": (first.get("excerpt") or "")[:300], "reason": i["reason"]})
    return rows


def _code(i: dict) -> str:
    return display_code(i["codes"], fallback=i["id"])


def _code_order(i: dict) -> tuple:
    """Primary (LOSI) codes in number order (#201, #202 … #225a, #225b), unscored rules, then the other code
    systems' codes in editions.yaml's order."""
    code = _code(i)
    number = re.search(r"\d+", code)
    system = next((rank for rank, name in enumerate(code_systems()) if i["codes"].get(name)), 0)
    return (system, number is None, int(number.group()) if number else 0, code, i["id"])


def matrix_columns(documents: list[dict]) -> list[tuple[str, str]]:
    """(column name, indicator id) in catalogue order: the UN code, or code + id where a code is shared."""
    seen: dict[str, dict] = {}
    for d in documents:
        for i in d["indicators"]:
            seen.setdefault(i["id"], i)
    counts: dict[str, int] = {}
    for i in seen.values():
        counts[_code(i)] = counts.get(_code(i), 0) + 1
    return [(_code(i) if counts[_code(i)] == 1 else f"{_code(i)} {i['id']}", i["id"])
            for i in sorted(seen.values(), key=_code_order)]


def matrix_rows(documents: list[dict]) -> tuple[list[str], list[dict]]:
    columns = matrix_columns(documents)
    header = ["portal", "country", "level", "start_url", "run_id", "audit_date", "index", "band", "provisional",
              "assessor_answers", "confirmed"]
    rows = []
    for d in documents:
        outcome = {i["id"]: i["outcome"] for i in d["indicators"]}
        s = d["scores"]
        row = {"portal": d["target"]["name"] or d["portal"], "country": d["target"]["country"],
               "level": d["target"]["level"], "start_url": d["start_url"], "run_id": d["run_id"],
               "audit_date": _audit_date(d), "index": "" if s.get("index") is None else f"{s['index']:.4f}",
               "band": s.get("band") or "", "provisional": "1" if s.get("provisional") else "0",
               # how many of the row's values are the assessors' final answers (the rest are the machine's)
               "assessor_answers": str((d.get("assessment") or {}).get("final_answers", 0)),
               "confirmed": "1" if s.get("confirmed") else "0"}
        for name, rule_id in columns:
            row[name] = MATRIX_VALUES.get(outcome.get(rule_id, ""), "")
        rows.append(row)
    return header + [name for name, _ in columns], rows


def questionnaire_rows(document: dict, definitions: dict[str, str]) -> list[dict]:
    """The assessor's sheet: our answer and evidence pre-filled, two empty columns for the human."""
    rows = []
    for i in sorted(document["indicators"], key=_code_order):   # the order of the UN questionnaire
        code = _code(i)
        first = i["evidence"][0] if i["evidence"] else {}
        note = i["reason"]
        final = (i.get("assessment") or {}).get("final")
        if final:
            note = f"assessors' final answer ({final['how']}{' by ' + final['reconciled_by'] if final.get('reconciled_by') else ''}); machine: {i.get('machine_outcome')}. {note}"
        if i["outcome"] == Outcome.FAIL and i.get("searched"):
            s = i["searched"]
            note = f"{note} (searched {s.get('pages_considered', '?')} pages in {', '.join(s.get('languages') or [])})"
        rows.append({"run_id": document["run_id"], "code": code, "indicator_id": i["id"], "question": i["title"],
                     "definition": definitions.get(i["id"], ""), "answer": ANSWERS.get(i["outcome"], i["outcome"]),
                     "decided_by": i.get("decided_by", "machine"),
                     "confidence": i["confidence"] or "", "evidence_url": first.get("url") or "",
                     "evidence_excerpt": (first.get("excerpt") or "")[:300], "note": note,
                     "assessor_answer": "", "assessor_note": "", "assessor_evidence_url": ""})
    return rows


def rule_definitions() -> dict[str, str]:
    from egov_audit.judge.rules import rule_catalogue
    return {rule_id: " ".join((entry.get("definition") or "").split()) for rule_id, entry in rule_catalogue().items()}


def ranking(documents: list[dict]) -> list[dict]:
    """Portals by index, best first; unjudged ones last."""
    rows = [{"portal": d["target"]["name"] or d["portal"], "country": d["target"]["country"], "start_url": d["start_url"],
             "run_id": d["run_id"], "index": d["scores"].get("index"), "band": d["scores"].get("band") or "",
             "upper_bound": d["scores"].get("upper_bound"), "provisional": bool(d["scores"].get("provisional")),
             "confirmed": bool(d["scores"].get("confirmed")),
             "pages": d["pages_crawled"]} for d in documents]
    return sorted(rows, key=lambda r: (r["index"] is None, -(r["index"] or 0), r["portal"]))


# ---- writers ---------------------------------------------------------------------------------------------

def _csv_text(header: list[str] | tuple, rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "portal"


def write_json(documents: list[dict], path: Path) -> list[Path]:
    from egov_audit.app.result import validate_result
    for d in documents:
        validate_result(d)
    body = documents[0] if len(documents) == 1 else {"results": documents}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
    return [path]


def write_long_csv(documents: list[dict], path: Path) -> list[Path]:
    # utf-8-sig: spreadsheet programs then read Arabic, Chinese and Cyrillic excerpts correctly
    path.write_text(_csv_text(LONG_COLUMNS, long_rows(documents)), encoding="utf-8-sig")
    return [path]


def write_matrix(documents: list[dict], path: Path) -> list[Path]:
    header, rows = matrix_rows(documents)
    path.write_text(_csv_text(header, rows), encoding="utf-8-sig")
    return [path]


def write_questionnaires(documents: list[dict], folder: Path) -> list[Path]:
    """One CSV per portal in ``folder``: <portal>-<run>.questionnaire.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    definitions = rule_definitions()
    written = []
    for d in documents:
        path = folder / f"{_safe_name(d['target']['name'] or d['portal'])}-{d['run_id']}.questionnaire.csv"
        path.write_text(_csv_text(QUESTION_COLUMNS, questionnaire_rows(d, definitions)), encoding="utf-8-sig")
        written.append(path)
    return written


def write_xlsx(documents: list[dict], path: Path) -> list[Path]:
    """One workbook: ranking, long table, matrix, and a questionnaire sheet per portal."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheets = [("ranking", ["portal", "country", "start_url", "run_id", "index", "band", "upper_bound", "provisional",
                           "confirmed", "pages"], ranking(documents)),
              ("indicators", list(LONG_COLUMNS), long_rows(documents)),
              ("matrix", *matrix_rows(documents))]
    definitions = rule_definitions()
    used = {name for name, *_ in sheets}
    for d in documents:
        base = ("Q " + _safe_name(d["target"]["name"] or d["portal"]))[:28]
        name, n = base, 2
        while name in used:                      # sheet names are unique and at most 31 characters
            name, n = f"{base[:26]}~{n}", n + 1
        used.add(name)
        sheets.append((name, list(QUESTION_COLUMNS), questionnaire_rows(d, definitions)))
    book.remove(book.active)
    for name, header, rows in sheets:
        sheet = book.create_sheet(name)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(row.get(column)) for column in header])
        sheet.freeze_panes = "A2"
    book.save(path)
    return [path]


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value):
    """Spreadsheet-safe: no control characters, and text from pages never becomes a formula."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if value[:1] in ("=", "+", "-", "@"):
            value = "'" + value
    return value


WRITERS = {"json": write_json, "csv": write_long_csv, "matrix": write_matrix, "questionnaire": write_questionnaires,
           "xlsx": write_xlsx}
DEFAULT_NAMES = {"json": "results.json", "csv": "indicators.csv", "matrix": "matrix.csv",
                 "questionnaire": "questionnaires", "xlsx": "results.xlsx"}


def export(documents: list[dict], fmt: str, out: Path) -> list[Path]:
    if fmt not in WRITERS:
        raise ValueError(f"unknown format '{fmt}' (json, csv, matrix, questionnaire, xlsx)")
    if not documents:
        raise LookupError("no judged run to export (run `egov-audit evaluate` or `audit` first)")
    if fmt != "questionnaire":
        out.parent.mkdir(parents=True, exist_ok=True)
    return WRITERS[fmt](documents, out)
