"""Batch audits of several fixture portals (one unreachable), resume, the ranking and the researcher exports."""
import csv
import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from egov_audit.app import fixtureserver
from egov_audit.paths import FIXTURES_DIR
from egov_audit.app.targets import TargetsError, read_targets

AUDIT = ["--fast", "--render", "never", "--axe-pages", "0", "--audit-date", "2026-11-22",
         "--no-w3c-and-engines"]   # #201/#208/#209 are tested in test_validators.py


def batch(targets, db, out, *extra, timeout=400):
    return subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "batch", str(targets), "--db", str(db),
                           "--out", str(out), "--workers", "3", *AUDIT, *extra],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def finished_batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("batch")
    v1, v2 = fixtureserver.start(FIXTURES_DIR / "watch-v1"), fixtureserver.start(FIXTURES_DIR / "watch-v2")
    targets = tmp / "targets.csv"
    # semicolons, a BOM and an extra column: files from spreadsheets look like this
    targets.write_text("\ufeffname;country;url;level;notes\n"
                       f"Lakeside;Testland;{v1.url('/')};city;first\n"
                       f"Hillside;Testland;{v2.url('/')};city;\n"
                       "Nowhere;Atlantis;http://127.0.0.1:9/;national;closed port\n", encoding="utf-8")
    db, out = tmp / "cities.db", tmp / "out"
    try:
        started = time.perf_counter()
        first = batch(targets, db, out)
        seconds = time.perf_counter() - started
        with sqlite3.connect(db) as conn:
            runs_after_first = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        again = batch(targets, db, out)
    finally:
        v1.stop()
        v2.stop()
    print(f"batch of 3 fixture portals: {seconds:.1f} s")
    return {"db": db, "out": out, "first": first, "again": again, "runs_after_first": runs_after_first}


def test_batch_statuses_and_exit_code(finished_batch):
    first = finished_batch["first"]
    assert first.returncode == 1, first.stderr[-3000:]     # one portal ended in error
    conn = sqlite3.connect(finished_batch["db"])
    rows = dict(conn.execute("SELECT name, status FROM batch_targets"))
    assert rows["Lakeside"] in ("ok", "partial") and rows["Hillside"] in ("ok", "partial")
    assert rows["Nowhere"] == "error"
    reason = conn.execute("SELECT reason FROM batch_targets WHERE name = 'Nowhere'").fetchone()[0]
    assert "home page could not be fetched" in reason and "refused" in reason.lower()
    assert "Ranking" in first.stderr and "Lakeside" in first.stderr
    assert (finished_batch["out"] / "001-Lakeside" / "report.html").exists()


def test_rerun_skips_completed_portals(finished_batch):
    again = finished_batch["again"]
    assert "resuming (2 already done)" in again.stderr, again.stderr[-2000:]
    conn = sqlite3.connect(finished_batch["db"])
    # only the unreachable portal was tried again
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == finished_batch["runs_after_first"] + 1
    assert conn.execute("SELECT count(*) FROM batches").fetchone()[0] == 1


def test_exports_of_the_batch(finished_batch):
    out = finished_batch["out"]
    conn = sqlite3.connect(finished_batch["db"])
    rules = conn.execute("SELECT count(DISTINCT rule_id) FROM verdicts").fetchone()[0]
    with open(out / "indicators.csv", encoding="utf-8-sig", newline="") as f:
        long = list(csv.DictReader(f))
    assert len(long) == 2 * rules
    assert {r["portal"] for r in long} == {"Lakeside", "Hillside"}
    pb = {r["portal"]: r for r in long if r["indicator_id"] == "participatory-budgeting"}
    assert pb["Lakeside"]["outcome"] == "pass" and pb["Lakeside"]["losi_code"] == "#275"
    assert pb["Lakeside"]["evidence_url"].endswith("/participatory-budget.html")
    assert pb["Hillside"]["outcome"] == "fail" and pb["Hillside"]["evidence_url"] == ""
    with open(out / "matrix.csv", encoding="utf-8-sig", newline="") as f:
        matrix = list(csv.DictReader(f))
    assert [r["portal"] for r in matrix] == ["Lakeside", "Hillside"]
    lakeside = matrix[0]
    assert lakeside["#275"] == "1" and matrix[1]["#275"] == "0" and lakeside["country"] == "Testland"
    assert lakeside["#250"] == "manual"              # the e-mail response test needs a person
    assert lakeside["#201"] == "error"               # --render never: no browser engine could check #201
    assert set(lakeside.values()) <= {"1", "0", "review", "manual", "error", "na", ""} | {
        lakeside[k] for k in ("portal", "country", "level", "start_url", "run_id", "audit_date", "index", "band",
                              "provisional")}
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert len(results["results"]) == 2
    questionnaires = sorted((out / "questionnaires").glob("*.csv"))
    assert len(questionnaires) == 2
    with open(questionnaires[0], encoding="utf-8-sig", newline="") as f:
        sheet = list(csv.DictReader(f))
    assert len(sheet) == rules and {"assessor_answer", "assessor_note", "definition"} <= set(sheet[0])
    assert {r["answer"] for r in sheet} <= {"yes", "no", "to confirm", "to assess", "could not check", "not applicable"}
    from openpyxl import load_workbook
    book = load_workbook(out / "results.xlsx", read_only=True)
    assert book.sheetnames[:3] == ["ranking", "indicators", "matrix"] and len(book.sheetnames) == 5
    ranking = list(book["ranking"].iter_rows(values_only=True))
    assert ranking[0][0] == "portal" and len(ranking) == 3
    assert ranking[1][4] >= ranking[2][4]                    # best index first


def test_export_command_and_spreadsheet_safety(finished_batch, tmp_path):
    db = tmp_path / "copy.db"
    db.write_bytes(finished_batch["db"].read_bytes())
    conn = sqlite3.connect(db)
    # a page we do not control put a formula at the start of an excerpt
    conn.execute("UPDATE verdicts SET evidence = ? WHERE rowid = (SELECT min(rowid) FROM verdicts WHERE outcome = 'pass')",
                 (json.dumps([{"url": "http://x/", "excerpt": "=HYPERLINK(\"http://evil\")", "selector": ""}]),))
    conn.commit()
    out = tmp_path / "long.csv"
    done = subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "export", "--format", "csv", "--db", str(db),
                           "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    missing = subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "export", "--db", str(db), "--run", "nope"],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no such run" in missing.stderr


def test_interrupted_batch_continues(tmp_path):
    """SIGTERM mid-crawl: the batch stops its audits; the same command then finishes the same run."""
    site = fixtureserver.start(FIXTURES_DIR / "crawl-lab")
    targets = tmp_path / "t.csv"
    targets.write_text(f"name,country,url\nLab,Testland,{site.url('/')}\n", encoding="utf-8")
    db, out = tmp_path / "b.db", tmp_path / "out"
    cmd = [sys.executable, "-m", "egov_audit.app.cli", "batch", str(targets), "--db", str(db), "--out", str(out),
           "--fast", "--render", "never", "--axe-pages", "0", "--timeout", "8", "--no-w3c-and-engines"]
    try:
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        pages = 0
        while time.time() < deadline and pages < 5:
            time.sleep(0.5)
            try:
                with sqlite3.connect(db) as conn:
                    pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
            except sqlite3.OperationalError:
                pages = 0
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err[-2000:]
        with sqlite3.connect(db) as conn:
            status, run_id = conn.execute("SELECT status, run_id FROM batch_targets").fetchone()
            assert status == "running" and run_id
            assert conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0] in (
                "interrupted", "running")
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    finally:
        site.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resuming (0 already done)" in done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1        # the same run, continued
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "finished"
        assert conn.execute("SELECT status FROM batch_targets").fetchone()[0] in ("ok", "partial")


def test_targets_file_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,url\nA,http://a.example/\n", encoding="utf-8")
    with pytest.raises(TargetsError, match="missing column"):
        read_targets(bad)
    bad.write_text("name,country,url\nA,X,ftp://a.example/\nB,X,http://b.example/\nC,X,http://b.example\n",
                   encoding="utf-8")
    with pytest.raises(TargetsError) as info:
        read_targets(bad)
    assert "row 1" in str(info.value) and "row 3" in str(info.value) and "already row 2" in str(info.value)
    good = tmp_path / "good.csv"
    good.write_text("name,country,url,extra_hosts\nA,X,https://a.example,sede.a.example data.a.example\n",
                    encoding="utf-8")
    rows, digest = read_targets(good)
    assert rows[0].url == "https://a.example/" and rows[0].extra_hosts == ["sede.a.example", "data.a.example"]
    assert digest == read_targets(good)[1]
