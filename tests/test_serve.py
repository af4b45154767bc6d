"""`egov-audit serve` over HTTP on loopback: metadata and canned queries on a DB with two judged runs."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from egov_audit.app import fixtureserver
from egov_audit.app.datasette_metadata import QUERIES, TABLES
from egov_audit.paths import FIXTURES_DIR


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(base, path, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=20) as response:
        body = response.read().decode("utf-8")
        return json.loads(body) if ".json" in path else body


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    site = fixtureserver.start(FIXTURES_DIR / "demo-city")
    db = tmp_path_factory.mktemp("serve") / "city.db"
    cli = [sys.executable, "-m", "egov_audit.app.cli"]
    try:
        for _ in range(2):   # two runs of the same portal, each judged
            subprocess.run(cli + ["crawl", site.url("/"), "--db", str(db), "--fast", "--no-w3c-and-engines", "--render", "never",
                                  "--axe-pages", "0"], check=True, timeout=240)
            subprocess.run(cli + ["evaluate", "--db", str(db)], check=True, timeout=240, stdout=subprocess.DEVNULL)
    finally:
        site.stop()
    conn = sqlite3.connect(db)
    (old_run,), (new_run,) = conn.execute("SELECT id FROM runs ORDER BY started, rowid").fetchall()
    new_eval = conn.execute("SELECT id FROM evaluations WHERE run_id = ?", (new_run,)).fetchone()[0]
    passed = [r for (r,) in conn.execute(
        "SELECT v.rule_id FROM verdicts v JOIN verdicts o ON o.rule_id = v.rule_id JOIN evaluations oe "
        "ON oe.id = o.evaluation_id WHERE v.evaluation_id = ? AND oe.run_id = ? AND v.outcome = 'pass' "
        "AND o.outcome = 'pass' ORDER BY v.rule_id", (new_eval, old_run))]
    regressed, stale = passed[0], passed[1]
    with conn:
        # the latest run's newest evaluation loses one indicator …
        conn.execute("UPDATE verdicts SET outcome = 'fail' WHERE evaluation_id = ? AND rule_id = ?", (new_eval, regressed))
        # … and an older evaluation of the same run, which must be ignored, lost another
        conn.execute("INSERT INTO evaluations SELECT 'older', run_id, '2000-01-01T00:00:00+00:00', audit_date, "
                     "rules_digest, code_version, edition, json_set(scores, '$.index', 0.01) FROM evaluations WHERE id = ?",
                     (new_eval,))
        conn.execute("INSERT INTO verdicts (evaluation_id, run_id, rule_id, rule_version, codes, criterion, automation, "
                     "outcome, confidence, reason, evidence, searched) SELECT 'older', run_id, rule_id, rule_version, "
                     "codes, criterion, automation, CASE WHEN rule_id = ? THEN 'error' ELSE outcome END, confidence, "
                     "reason, evidence, searched FROM verdicts WHERE evaluation_id = ?", (stale, new_eval))
    port = _free_port()
    server = subprocess.Popen(cli + ["serve", "--db", str(db), "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                _get(base, "/-/versions.json")
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        yield {"base": base, "conn": conn, "site": site, "old_run": old_run, "new_run": new_run,
               "new_eval": new_eval, "regressed": regressed, "stale": stale}
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
        conn.close()


def _query(served, name, **params):
    return _get(served["base"], f"/city/{name}.json", _shape="array", **params)


def test_metadata_describes_the_tables(served):
    meta = _get(served["base"], "/-/metadata.json")
    assert meta["title"] == "egov-audit"
    tables = meta["databases"]["city"]["tables"]
    for name in ("runs", "pages", "links", "skipped", "snapshots", "artifacts", "evaluations", "verdicts"):
        assert tables[name]["description"], name
    assert "warc_record_id" in tables["pages"]["columns"]
    assert set(QUERIES) <= set(meta["databases"]["city"]["queries"])
    conn = served["conn"]
    for table, (_, columns) in TABLES.items():   # every column of the schema has a meaning, and no invented one
        actual = {c[1] for c in conn.execute(f"PRAGMA table_info({table})")}
        if actual:
            assert set(columns) == actual - {"id"} or set(columns) == actual, table


def test_score_ranking_is_the_latest_evaluation(served):
    rows = _query(served, "score_ranking")
    assert len(rows) == 1
    row = rows[0]
    scores = json.loads(served["conn"].execute("SELECT scores FROM evaluations WHERE id = ?",
                                               (served["new_eval"],)).fetchone()[0])
    assert row["portal"] == "127.0.0.1" and row["run_id"] == served["new_run"]
    assert row["evaluation_id"] == served["new_eval"]
    assert row["index"] == pytest.approx(scores["index"]) and row["band"] == scores["band"]


def test_missing_indicators_and_regressions(served):
    conn = served["conn"]
    rows = _query(served, "missing_indicators", portal="127.0.0.1")
    expected = {(served["new_run"], r) for (r,) in conn.execute(
        "SELECT rule_id FROM verdicts WHERE evaluation_id = ? AND outcome IN ('fail', 'review', 'error')",
        (served["new_eval"],))}
    old_eval = conn.execute("SELECT id FROM evaluations WHERE run_id = ?", (served["old_run"],)).fetchone()[0]
    expected |= {(served["old_run"], r) for (r,) in conn.execute(
        "SELECT rule_id FROM verdicts WHERE evaluation_id = ? AND outcome IN ('fail', 'review', 'error')", (old_eval,))}
    assert {(r["run_id"], r["rule_id"]) for r in rows} == expected
    assert (served["new_run"], served["regressed"]) in expected
    assert (served["new_run"], served["stale"]) not in expected   # from the older evaluation: ignored
    assert all(set(r) >= {"portal", "losi_code", "outcome", "reason"} for r in rows)
    assert _query(served, "missing_indicators", portal="nowhere.example") == []

    regressions = _query(served, "regressions")
    assert [(r["rule_id"], r["previous_outcome"], r["latest_outcome"]) for r in regressions] == [
        (served["regressed"], "pass", "fail")]
    assert regressions[0]["previous_run"] == served["old_run"] and regressions[0]["latest_run"] == served["new_run"]


def test_errors_and_click_depth(served):
    conn = served["conn"]
    errors = _query(served, "errors_per_run")
    expected = dict(((run, kind), n) for run, kind, n in conn.execute(
        "SELECT run_id, error_kind, count(*) FROM pages WHERE error_kind IS NOT NULL GROUP BY 1, 2"))
    assert expected and {(r["run_id"], r["error_kind"]): r["pages"] for r in errors} == expected
    depth = _query(served, "pages_by_click_depth")
    for run in (served["old_run"], served["new_run"]):
        total = conn.execute("SELECT count(*) FROM pages WHERE run_id = ?", (run,)).fetchone()[0]
        assert sum(r["pages"] for r in depth if r["run_id"] == run) == total
        assert [r["pages"] for r in depth if r["run_id"] == run and r["click_depth"] == 0] == [1]


def test_table_pages(served):
    rows = _get(served["base"], "/city/pages.json", _shape="array", _size="5", url=served["site"].url("/"))
    assert rows and rows[0]["url"] == served["site"].url("/") and rows[0]["click_depth"] == 0
    html = _get(served["base"], "/city/runs")
    assert TABLES["runs"][0].split(" (")[0] in html
