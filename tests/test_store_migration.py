"""Migration m005 on a database made before it: verdict codes move from one column per code system into
`codes` (per edition), and every reader still shows them — the result, the CSV exports, diff, Datasette."""
from __future__ import annotations

import json
import sqlite3

import pytest

from egov_audit.editions import code_columns, code_systems, primary_code
from egov_audit.store.db import Store
from egov_audit.store.migrations import MIGRATIONS, m006_codes_per_edition

OLD_VERSION = MIGRATIONS.index(m006_codes_per_edition)   # the schema before verdict codes were per edition
PORTAL, START = "www.lakeside.example", "https://www.lakeside.example/"
# rule id → its codes in the old columns (losi_code, osi_code): both, the primary only, the other only
OLD_CODES = {"sitemap": ("#205", "#005"), "internal-search": ("#206", None), "e-petition": (None, "#323")}
OUTCOMES = {"run-1": {"sitemap": "pass", "internal-search": "pass", "e-petition": "fail"},
            "run-2": {"sitemap": "pass", "internal-search": "fail", "e-petition": "pass"}}


def _old_database(path) -> None:
    """A DB as egov-audit wrote it before m006 (a column per code system), with two judged runs of one portal."""
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:OLD_VERSION]:
        with conn:
            migration(conn)
    conn.execute(f"PRAGMA user_version = {OLD_VERSION}")
    scores = {"index": 0.5, "band": "Middle", "provisional": False, "criteria": {}, "upper_bound": 0.5}
    with conn:
        for n, run_id in enumerate(OUTCOMES, start=1):
            conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, 'finished', '{}', 'old', 1)",
                         (run_id, PORTAL, START, f"2026-0{n}-01T10:00:00+00:00", f"2026-0{n}-01T10:05:00+00:00"))
            conn.execute("INSERT INTO pages (run_id, url, host, scope, status, kind, error_kind) "
                         "VALUES (?, ?, ?, 'portal', 200, 'html', NULL)", (run_id, START, PORTAL))
            conn.execute("INSERT INTO evaluations VALUES (?, ?, ?, ?, 'digest', 'old', ?, ?)",
                         (f"{run_id}-e", run_id, f"2026-0{n}-01T11:00:00+00:00", f"2026-0{n}-01",
                          primary_code(), json.dumps(scores)))
            for rule_id, (losi, osi) in OLD_CODES.items():
                conn.execute("INSERT INTO verdicts (evaluation_id, run_id, rule_id, rule_version, losi_code, osi_code, "
                             "criterion, automation, outcome, confidence, reason, evidence, searched) "
                             "VALUES (?, ?, ?, 1, ?, ?, 'technology', 'automatic', ?, 'high', 'why', '[]', '{}')",
                             (f"{run_id}-e", run_id, rule_id, losi, osi, OUTCOMES[run_id][rule_id]))
    conn.close()


@pytest.fixture()
def migrated(tmp_path):
    db = tmp_path / "old.db"
    _old_database(db)
    store = Store(db)          # opening an old database migrates it
    yield db, store
    store.close()


def _expected(rule_id: str) -> dict:
    """The old columns' values, keyed by the code system editions.yaml says each column held."""
    by_column = dict(zip(("losi_code", "osi_code"), OLD_CODES[rule_id]))
    return {code: by_column[column] for code, column in code_columns().items() if by_column.get(column)}


def test_old_code_columns_become_codes_per_edition(migrated):
    db, store = migrated
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) > OLD_VERSION
    columns = {row[1] for row in conn.execute("PRAGMA table_info(verdicts)")}
    assert "codes" in columns and not columns & set(code_columns().values())
    stored = {rule_id: json.loads(codes) for rule_id, codes in
              conn.execute("SELECT rule_id, codes FROM verdicts WHERE run_id = 'run-1'")}
    assert stored == {rule_id: _expected(rule_id) for rule_id in OLD_CODES}
    assert stored["sitemap"] == {primary_code(): "#205", list(code_systems())[1]: "#005"}
    conn.close()
    evaluation = store.latest_evaluation("run-2")
    assert evaluation.id == "run-2-e" and evaluation.scores["band"] == "Middle"
    assert {v.rule_id: v.codes for v in store.verdicts(evaluation.id)} == stored


def test_readers_still_show_the_codes(migrated):
    db, store = migrated
    from egov_audit.app.exports import LONG_COLUMNS, collect, long_rows, matrix_columns
    from egov_audit.app.history import diff_runs
    from egov_audit.app.result import build_result

    document = build_result(store, "run-2")
    assert {i["id"]: i["codes"] for i in document["indicators"]} == {r: _expected(r) for r in OLD_CODES}

    documents = collect([db], all_runs=True)
    assert set(code_columns().values()) <= set(LONG_COLUMNS)
    rows = {(r["run_id"], r["indicator_id"]): r for r in long_rows(documents)}
    assert (rows[("run-2", "sitemap")]["losi_code"], rows[("run-2", "sitemap")]["osi_code"]) == ("#205", "#005")
    assert (rows[("run-2", "e-petition")]["losi_code"], rows[("run-2", "e-petition")]["osi_code"]) == ("", "#323")
    assert [name for name, _ in matrix_columns(documents)] == ["#205", "#206", "OSI #323"]

    diff = diff_runs(store, "run-1", "run-2")
    assert [(c.rule_id, c.code) for c in diff.lost] == [("internal-search", "#206")]
    assert [(c.rule_id, c.code) for c in diff.gained] == [("e-petition", "OSI #323")]


def test_datasette_queries_read_the_migrated_codes(migrated):
    db, _ = migrated
    from egov_audit.app.datasette_metadata import QUERIES, TABLES
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    missing = [dict(r) for r in conn.execute(QUERIES["missing_indicators"]["sql"], {"portal": PORTAL})]
    assert {(r["run_id"], r["rule_id"], r["losi_code"], r["osi_code"]) for r in missing} == {
        ("run-1", "e-petition", None, "#323"), ("run-2", "internal-search", "#206", None)}
    regressions = [dict(r) for r in conn.execute(QUERIES["regressions"]["sql"])]
    assert [(r["rule_id"], r["losi_code"], r["previous_outcome"], r["latest_outcome"]) for r in regressions] == [
        ("internal-search", "#206", "pass", "fail")]
    described = set(TABLES["verdicts"][1])
    assert described == {row[1] for row in conn.execute("PRAGMA table_info(verdicts)")}
    conn.close()


def test_a_new_database_has_no_code_columns_by_name(tmp_path):
    store = Store(tmp_path / "new.db")
    store.close()
    conn = sqlite3.connect(tmp_path / "new.db")
    columns = {row[1] for row in conn.execute("PRAGMA table_info(verdicts)")}
    conn.close()
    assert "codes" in columns and not columns & set(code_columns().values())
