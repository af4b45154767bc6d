"""The assessor's workbench on a real small audit (two fixture portals crawled and judged by the real CLI):
two assessors in real Chromium answer a portal's queue with the keyboard, disagree on two items, reconcile
them, and the score and exports change; hostile portal text and notes never run; off loopback the app
refuses to start without a token and refuses requests without it. Screenshots for the README go to
tests/artifacts/workbench/."""
import csv
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from egov_audit.app import fixtureserver
from egov_audit.app.workbench.accuracy import cohen_kappa
from egov_audit.app.workbench.assessment import (ItemState, MIN_ANSWERS_FOR_RATE, apply_to_document, in_sample,
                                                 queue_reason, rule_rates)
from egov_audit.paths import FIXTURES_DIR, REPO_ROOT, snapshot_dir_for
from egov_audit.store.reviews import Answer, FinalAnswer

CLI = [sys.executable, "-m", "egov_audit.app.cli"]
AUDIT = ["--fast", "--render", "never", "--axe-pages", "0", "--audit-date", "2026-11-22",
         "--no-w3c-and-engines"]   # #201/#208/#209 are tested in test_validators.py
SHOTS = REPO_ROOT / "tests" / "artifacts" / "workbench"
SCRIPT = "<script>window.__pwned=1</script>"
ATTR = "\"'><img src=x onerror=window.__pwned=1>"
JS_URL = "javascript:window.__pwned=1"
HOSTILE_PAGE = (b"<html><head><link rel=stylesheet href='http://127.0.0.1:9/x.css'></head><body>"
                b"<h1 id=hostile>stored hostile page</h1>"
                b"<script>document.getElementById('hostile').textContent='pwned'</script>"
                b"<img src='http://127.0.0.1:9/beacon.png'><iframe src='http://127.0.0.1:9/'></iframe></body></html>")


# ---- a real audit of two small portals, copied for each test ------------------------------------------------

@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("workbench") / "cities.db"
    for name in ("watch-v1", "watch-v2"):
        site = fixtureserver.start(FIXTURES_DIR / name)
        try:
            subprocess.run(CLI + ["audit", site.url("/"), "--db", str(db), *AUDIT,
                                  "--json", str(db.with_name(f"{name}.json")), "--report", str(db.with_name(f"{name}.html"))],
                           check=True, timeout=300, capture_output=True)
        finally:
            site.stop()
    return db


def copy_db(source: Path, folder: Path) -> Path:
    target = folder / "cities.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    shutil.copytree(snapshot_dir_for(source), snapshot_dir_for(target))
    return target


def runs(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r for (r,) in conn.execute("SELECT id FROM runs ORDER BY started, rowid")]


def verdicts(db: Path, run_id: str) -> dict[str, dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM verdicts WHERE evaluation_id = (SELECT id FROM evaluations WHERE run_id = ? "
                        "ORDER BY created DESC, rowid DESC LIMIT 1)", (run_id,)).fetchall()
    conn.close()
    return {r["rule_id"]: dict(r) for r in rows}


def export_json(db: Path, run_id: str, out: Path) -> dict:
    subprocess.run(CLI + ["export", "--format", "json", "--db", str(db), "--run", run_id, "--out", str(out)],
                   check=True, timeout=120, capture_output=True)
    return json.loads(out.read_text(encoding="utf-8"))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db: Path, host: str = "127.0.0.1", *extra: str):
        self.port = free_port(host)
        self.base = f"http://{host}:{self.port}"
        self.process = subprocess.Popen(CLI + ["review", "--db", str(db), "--host", host, "--port", str(self.port),
                                               *extra], stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection((host, self.port), timeout=1):
                    return
            except OSError:
                if time.time() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the workbench did not start")
                time.sleep(0.2)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.stderr.read() if self.process.stderr else ""


def plant_hostile(db: Path, run_id: str, rule_id: str) -> str:
    """What a hostile portal can put in front of an assessor: the excerpt, reason, selector and URL of an evidence
    item, and the stored page itself (scripts, and requests to the network)."""
    from egov_audit.store.snapshots import SnapshotStore
    digest, rel, size = SnapshotStore(snapshot_dir_for(db)).put(HOSTILE_PAGE)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT OR IGNORE INTO snapshots (hash, kind, path, size, stored_size) VALUES (?, 'raw', ?, ?, ?)",
                     (digest, rel, len(HOSTILE_PAGE), size))
        url = conn.execute("SELECT start_url FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
        conn.execute("UPDATE pages SET raw_hash = ?, content_type = 'text/html' WHERE run_id = ? AND url = ?",
                     (digest, run_id, url))
        evidence = [{"url": JS_URL, "excerpt": f"{SCRIPT} {ATTR} the open data portal", "matched": "open data",
                     "selector": ATTR, "click_depth": 1, "snapshot": digest, "screenshot": None}]
        conn.execute("UPDATE verdicts SET evidence = ?, reason = ? WHERE run_id = ? AND rule_id = ?",
                     (json.dumps(evidence), SCRIPT, run_id, rule_id))
    conn.close()
    return digest


# ---- unit level: the rules of the queue and of final answers --------------------------------------------------

def test_queue_reasons_sample_and_final_answers():
    assert [queue_reason(o, c) for o, c in (("review", "low"), ("manual", None), ("error", None), ("pass", "low"),
                                            ("pass", "high"), ("fail", "high"))] == \
        ["review", "manual", "error", "low-confidence pass", None, None]
    chosen = [r for r in range(2000) if in_sample("s", "run", f"rule-{r}", 0.10)]
    assert 150 < len(chosen) < 250                                   # about 10 %
    assert chosen == [r for r in range(2000) if in_sample("s", "run", f"rule-{r}", 0.10)]   # stable
    assert chosen != [r for r in range(2000) if in_sample("other seed", "run", f"rule-{r}", 0.10)]
    one = ItemState("r", {"A": Answer("run", "r", "A", "yes")})
    assert one.final is None                                         # one assessor is not final
    agreed = ItemState("r", {"A": Answer("run", "r", "A", "no", answered_at="1"),
                             "B": Answer("run", "r", "B", "no", answered_at="2")})
    assert agreed.final["answer"] == "no" and agreed.final["how"] == "agreed"
    split = ItemState("r", {"A": Answer("run", "r", "A", "yes"), "B": Answer("run", "r", "B", "no")})
    assert split.conflict and split.final is None
    split.recorded = FinalAnswer("run", "r", "no", "", "C", "t")
    assert split.final == {"answer": "no", "how": "reconciled", "reconciled_by": "C", "note": "", "decided_at": "t"}


def test_cohen_kappa_textbook_values():
    # 50 items, two raters: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → po 0.7, pe 0.5, κ 0.4
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    assert cohen_kappa(pairs) == 0.4
    assert cohen_kappa([("yes", "yes")] * 3) is None                 # one category on both sides: undefined
    assert cohen_kappa([]) is None
    assert cohen_kappa([("yes", "no"), ("no", "yes")]) == -1.0


def test_document_takes_final_answers_and_rule_rates_need_enough_answers():
    document = {"edition": "losi2024", "scores": {"index": 0.0, "edition": "losi2024"},
                "indicators": [{"id": "a", "codes": {}, "criterion": "content", "outcome": "fail"},
                               {"id": "b", "codes": {}, "criterion": "content", "outcome": "pass"}]}
    states = {"a": ItemState("a", {"A": Answer("r", "a", "A", "yes", answered_at="1"),
                                   "B": Answer("r", "a", "B", "yes", answered_at="2")})}
    rates = rule_rates([("b", "pass", "yes")] * (MIN_ANSWERS_FOR_RATE - 1) + [("b", "pass", "no")] +
                       [("a", "fail", "yes")] * (MIN_ANSWERS_FOR_RATE - 1))
    apply_to_document(document, states, rates)
    a, b = document["indicators"]
    assert (a["outcome"], a["machine_outcome"], a["decided_by"]) == ("pass", "fail", "assessors")
    assert (b["outcome"], b["decided_by"]) == ("pass", "machine")
    assert b["rule_confirmation"] == {"answers": MIN_ANSWERS_FOR_RATE, "confirmed": MIN_ANSWERS_FOR_RATE - 1}
    assert "rule_confirmation" not in a                              # too few answers to say anything
    assert document["assessment"]["final_answers"] == 1 and not document["scores"]["confirmed"]
    assert document["assessment"]["machine_scores"]["index"] == 0.0


# ---- the workflow in Chromium -------------------------------------------------------------------------------

def _answer_all(page, keys: dict[str, str], default: str, portal_url: str, hostile_rule: str | None = None,
                notes: dict[str, str] | None = None) -> list[str]:
    """Answer every item of the opened queue with the keyboard; returns the rule ids in the order answered."""
    done = []
    for _ in range(200):
        if "/item/" not in page.url:
            break
        rule_id = page.url.split("/item/")[1].split("?")[0].split("/")[1]
        if rule_id == hostile_rule:
            page.fill("#note", f"{SCRIPT} {ATTR} hostile note")
            page.keyboard.press("Escape")                            # leave the field: keys answer again
        elif rule_id in (notes or {}):
            page.fill("#note", notes[rule_id])
            page.keyboard.press("Escape")
        with page.expect_navigation():
            page.keyboard.press(keys.get(rule_id, default))
        done.append(rule_id)
    assert page.url.startswith(portal_url.split("?")[0]), page.url
    return done


def test_two_assessors_answer_reconcile_and_scores_and_exports_follow(base_db, tmp_path):
    from playwright.sync_api import sync_playwright

    from crawler.browser import chromium_launch_options
    from egov_audit.judge.rules import rule_catalogue
    from egov_audit.judge.scoring import score

    db = copy_db(base_db, tmp_path)
    run_id = runs(db)[0]
    machine = verdicts(db, run_id)
    queued = [r for r, v in machine.items() if queue_reason(v["outcome"], v["confidence"])]
    hostile_rule = next(r for r in queued if machine[r]["outcome"] == "review")
    plant_hostile(db, run_id, hostile_rule)
    machine = verdicts(db, run_id)
    before = export_json(db, run_id, tmp_path / "before.json")
    SHOTS.mkdir(parents=True, exist_ok=True)
    server = Server(db)
    try:
        # on loopback without a token, a request for another host name (DNS rebinding) is refused
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(server.base + "/", headers={"Host": "rebind.example"}),
                                   timeout=20)
        assert refused.value.code == 400
        with sync_playwright() as p:
            browser = p.chromium.launch(**chromium_launch_options())
            ana = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            ana.set_default_timeout(60_000)            # the machine is shared: be patient, not flaky
            ana.goto(server.base + "/")
            ana.fill("#assessor", "Ana")
            ana.screenshot(path=str(SHOTS / "01-name.png"))
            with ana.expect_navigation():
                ana.click("#login button")
            portal_url = f"{server.base}/?portal={run_id}"
            ana.goto(portal_url)
            shown = [ana.locator("tr.queue-item").nth(n).get_attribute("data-rule")
                     for n in range(ana.locator("tr.queue-item").count())]
            assert set(queued) <= set(shown)                         # everything open is queued (plus the sample)
            ana.screenshot(path=str(SHOTS / "02-queue.png"), full_page=True)
            with ana.expect_navigation():
                ana.click("#start")
            first = ana.url                    # loaded: the keyboard script is listening
            with ana.expect_navigation():
                ana.keyboard.press("j")
            assert ana.url != first and shown[1] in ana.url
            with ana.expect_navigation():
                ana.keyboard.press("k")
            assert ana.url == first
            ana.goto(f"{server.base}/item/{run_id}/{hostile_rule}?portal={run_id}")
            # hostile evidence: shown as text, never run, never a javascript: link; the term is highlighted
            assert ana.evaluate("window.__pwned") is None
            assert SCRIPT in ana.locator(".excerpt").inner_text()
            assert ana.locator(".excerpt mark").inner_text() == "open data"
            assert ana.locator("a[href^='javascript']").count() == 0 and SCRIPT in ana.locator("#reason").inner_text()
            # the stored page opens as crawled, with nothing run and nothing loaded
            requests, failed = [], []
            ana.context.on("request", lambda r: requests.append(r.url))
            ana.context.on("requestfailed", lambda r: failed.append((r.url, r.failure)))
            with ana.context.expect_page() as opened:
                ana.click("a.snapshot")
            snap = opened.value
            snap.wait_for_load_state("load")
            assert snap.locator("#hostile").inner_text() == "stored hostile page"    # its script did not run
            # and it loaded nothing: every request the page tried was stopped by the CSP before the network
            outside = [u for u in requests if "/snapshot/" not in u]
            assert outside and sorted(outside) == sorted(u for u, why in failed if why == "csp"), (requests, failed)
            snap.close()
            ana.screenshot(path=str(SHOTS / "hostile-item.png"), full_page=True)
            with_evidence = next((r for r in shown if r != hostile_rule and machine[r]["evidence"] != "[]"), shown[0])
            ana.goto(f"{server.base}/item/{run_id}/{with_evidence}?portal={run_id}")
            ana.screenshot(path=str(SHOTS / "03-item.png"), full_page=True)
            ana.goto(f"{server.base}/item/{run_id}/{shown[0]}?portal={run_id}")
            answered_ana = _answer_all(ana, {}, "y", portal_url, hostile_rule)
            assert sorted(answered_ana) == sorted(shown)
            assert ana.evaluate("window.__pwned") is None

            ben = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            ben.set_default_timeout(60_000)
            ben.goto(server.base + "/")
            ben.fill("#assessor", "Ben")
            with ben.expect_navigation():
                ben.click("#login button")
            ben.goto(f"{server.base}/item/{run_id}/{hostile_rule}?portal={run_id}")
            # blind: Ana's answer and note stay hidden until Ben finished too
            assert ben.locator(".others").count() == 0 and "hostile note" not in ben.content()
            assert ben.locator(".blind").count() == 1
            ben.goto(f"{server.base}/item/{run_id}/{shown[0]}?portal={run_id}")
            disagree = {shown[0]: "n", shown[1]: "n"}
            answered_ben = _answer_all(ben, disagree, "y", portal_url,
                                       notes={r: "not on the portal: the page found is a news item" for r in disagree})
            assert sorted(answered_ben) == sorted(shown)
            ben.goto(f"{server.base}/item/{run_id}/{hostile_rule}?portal={run_id}")
            assert "hostile note" in ben.locator(".others").inner_text()     # now visible, as text
            assert SCRIPT in ben.locator(".others .note").inner_text() and ben.evaluate("window.__pwned") is None

            ben.goto(f"{server.base}/reconcile/{run_id}")
            conflicts = ben.locator("section.conflict")
            assert conflicts.count() == 2
            assert sorted(conflicts.nth(n).get_attribute("data-rule") for n in range(2)) == sorted(disagree)
            ben.screenshot(path=str(SHOTS / "04-reconcile.png"), full_page=True)
            decision = {shown[0]: "no", shown[1]: "yes"}
            for rule_id, final in decision.items():
                section = ben.locator(f"section.conflict[data-rule='{rule_id}']")
                section.locator(".final-note").fill("checked the live page together")
                with ben.expect_navigation():
                    section.locator(f".final-{'na' if final == 'not_applicable' else final}").click()
            assert ben.locator("#no-conflicts").count() == 1
            assert ben.locator("li.reconciled").count() == 2 and "by Ben" in ben.locator("li.reconciled").first.inner_text()
            ben.goto(portal_url)
            row = ben.locator(f"tr[data-run='{run_id}']")
            assert f"{len(shown)} of {len(machine)} indicators" in row.locator(".finals").inner_text()
            ben.screenshot(path=str(SHOTS / "05-scores.png"), full_page=True)
            ben.goto(server.base + "/accuracy")
            assert ben.locator("tr.all td").nth(2).inner_text() == str(len(shown))
            ben.screenshot(path=str(SHOTS / "06-accuracy.png"), full_page=True)
            browser.close()
    finally:
        server.stop()

    # the machine's verdicts are untouched; the answers were stored with assessor, time and the verdict answered
    assert verdicts(db, run_id) == machine
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT assessor, count(*), min(answered_at) > '', count(DISTINCT verdict_outcome) > 0, "
                              "min(evaluation_id IS NOT NULL) FROM answers WHERE run_id = ? GROUP BY assessor",
                              (run_id,)).fetchall()
        note = conn.execute("SELECT note FROM answers WHERE assessor = 'Ana' AND rule_id = ?", (hostile_rule,)).fetchone()[0]
        finals = dict(conn.execute("SELECT rule_id, reconciled_by FROM final_answers WHERE run_id = ?", (run_id,)))
    assert stored == [("Ana", len(shown), 1, 1, 1), ("Ben", len(shown), 1, 1, 1)]
    assert note.startswith(SCRIPT)
    assert finals == {shown[0]: "Ben", shown[1]: "Ben"}

    # the score is recomputed from the final answers, and the exports say whose answers they are
    after = export_json(db, run_id, tmp_path / "after.json")
    expected = {r: ("fail" if r == shown[0] else "pass") if r in shown else v["outcome"] for r, v in machine.items()}
    catalogue = rule_catalogue()
    want = score([{"codes": catalogue[r]["codes"] or {}, "criterion": v["criterion"], "outcome": expected[r]}
                  for r, v in machine.items()], after["edition"])
    assert after["scores"]["index"] == want["index"] != before["scores"]["index"]
    assert after["assessment"]["machine_scores"]["index"] == before["scores"]["index"]
    assert after["assessment"]["final_answers"] == len(shown) and not after["scores"]["confirmed"]
    by_id = {i["id"]: i for i in after["indicators"]}
    assert by_id[shown[0]]["outcome"] == "fail" and by_id[shown[0]]["assessment"]["final"]["reconciled_by"] == "Ben"
    assert {i["id"] for i in after["indicators"] if i["decided_by"] == "assessors"} == set(shown)
    assert all(by_id[r]["machine_outcome"] == machine[r]["outcome"] for r in machine)

    out = tmp_path / "exports"
    subprocess.run(CLI + ["export", "--format", "matrix", "--db", str(db), "--out", str(out / "matrix.csv")],
                   check=True, timeout=120, capture_output=True)
    matrix = {r["run_id"]: r for r in csv.DictReader((out / "matrix.csv").open(encoding="utf-8-sig"))}
    assert matrix[run_id]["assessor_answers"] == str(len(shown)) and matrix[run_id]["index"] == f"{want['index']:.4f}"
    assert matrix[runs(db)[1]]["assessor_answers"] == "0"
    subprocess.run(CLI + ["export", "--format", "questionnaire", "--db", str(db), "--out", str(out / "q")],
                   check=True, timeout=120, capture_output=True)
    sheet = next(f for f in (out / "q").iterdir() if run_id in f.name)
    rows = {r["indicator_id"]: r for r in csv.DictReader(sheet.open(encoding="utf-8-sig"))}
    assert rows[shown[0]]["answer"] == "no" and rows[shown[0]]["decided_by"] == "assessors"
    assert sum(r["decided_by"] == "assessors" for r in rows.values()) == len(shown)
    report = tmp_path / "report.html"
    subprocess.run(CLI + ["report", "--db", str(db), "--run", run_id, "--report", str(report), "--json",
                          str(tmp_path / "r.json")], check=True, timeout=120, capture_output=True)
    assert f"{len(shown)} of {len(machine)} answers are the" in report.read_text(encoding="utf-8")


# ---- binding off loopback -------------------------------------------------------------------------------------

def test_off_loopback_needs_a_token_and_requests_without_it_are_refused(base_db, tmp_path):
    db = copy_db(base_db, tmp_path)
    port = free_port("127.0.0.2")
    refused = subprocess.run(CLI + ["review", "--db", str(db), "--host", "127.0.0.2", "--port", str(port)],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "refusing to listen on 127.0.0.2" in refused.stderr
    short = tmp_path / "short.token"
    short.write_text("abc\n")
    assert subprocess.run(CLI + ["review", "--db", str(db), "--host", "127.0.0.2", "--token-file", str(short)],
                          capture_output=True, text=True, timeout=60).returncode == 2
    token_file = tmp_path / "workbench.token"
    token = "s3cret-" + os.urandom(12).hex()
    token_file.write_text(token + "\n")
    server = Server(db, "127.0.0.2", "--token-file", str(token_file))

    def status(path: str, headers: dict | None = None, data: bytes | None = None) -> int:
        request = urllib.request.Request(server.base + path, headers=headers or {}, data=data)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    try:
        assert status("/") == 401
        assert status("/accuracy.csv") == 401
        assert status("/login", data=b"assessor=x") == 401
        assert status("/?token=wrong-token-of-some-length") == 401
        assert status("/", {"Authorization": f"Bearer {token}"}) == 200
        assert status(f"/?token={token}") == 200
        with urllib.request.urlopen(urllib.request.Request(server.base + "/accuracy.csv", headers={
                "Authorization": f"Bearer {token}"}), timeout=20) as response:
            assert response.read().decode().startswith("group,name,decided,agreement,")
    finally:
        server.stop()


# ---- spreadsheet assessors and the accuracy figures -------------------------------------------------------------

def _fill(rows: list[dict], answers: dict[str, str], note: str) -> list[dict]:
    return [{**r, "assessor_answer": answers.get(r["indicator_id"], ""), "assessor_note": note} for r in rows]


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_imported_questionnaires_and_accuracy(base_db, tmp_path):
    db = copy_db(base_db, tmp_path)
    first, second = runs(db)
    folder = tmp_path / "q"
    subprocess.run(CLI + ["export", "--format", "questionnaire", "--db", str(db), "--out", str(folder)],
                   check=True, timeout=120, capture_output=True)
    sheets = {run_id: next(f for f in folder.iterdir() if run_id in f.name) for run_id in (first, second)}
    rows = list(csv.DictReader(sheets[first].open(encoding="utf-8-sig")))
    machine = verdicts(db, first)
    # Assessor A answers yes where the machine passed or left the item open, no where it failed, except that A
    # (and B with A) says yes to the first two fails and no to the first pass; B differs from A on three items.
    passes = sorted(r for r, v in machine.items() if v["outcome"] == "pass")
    fails = sorted(r for r, v in machine.items() if v["outcome"] == "fail")
    a = {r: "no" if v["outcome"] == "fail" else "yes" for r, v in machine.items()}
    a.update({fails[0]: "yes", fails[1]: "yes", passes[0]: "no"})
    flipped = [fails[2], fails[3], passes[1]]
    b = dict(a, **{r: "yes" if a[r] == "no" else "no" for r in flipped})

    # a bad sheet: every bad row is named, nothing is imported
    bad_rows = _fill(rows, a, "")
    bad_rows[3]["assessor_answer"] = "maybe"
    bad_rows[5]["indicator_id"] = "no-such-indicator"
    bad = subprocess.run(CLI + ["review", "import", str(_write(tmp_path / "bad.csv", bad_rows)), "--assessor", "A",
                                "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "row 5: assessor_answer 'maybe'" in bad.stderr and "row 7: indicator" in bad.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 0

    for name, answers in (("A", a), ("B", b)):
        path = _write(tmp_path / f"{name}.csv", _fill(rows, answers, f"checked by {name}"))
        done = subprocess.run(CLI + ["review", "import", str(path), "--assessor", name, "--db", str(db)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and f"imported {len(rows)} answer(s)" in done.stdout, done.stderr

    # the second portal comes back as an xlsx workbook, both assessors agreeing with the machine everywhere
    from openpyxl import load_workbook
    subprocess.run(CLI + ["export", "--format", "xlsx", "--db", str(db), "--out", str(tmp_path / "all.xlsx")],
                   check=True, timeout=120, capture_output=True)
    second_machine = verdicts(db, second)
    for name in ("A", "B"):
        book = load_workbook(tmp_path / "all.xlsx")
        for sheet in (s for s in book.worksheets if s.title.startswith("Q ")):
            header = [c.value for c in sheet[1]]
            for cells in sheet.iter_rows(min_row=2):
                values = dict(zip(header, (c.value for c in cells)))
                if values["run_id"] == second:
                    cells[header.index("assessor_answer")].value = \
                        "no" if second_machine[values["indicator_id"]]["outcome"] == "fail" else "yes"
        book.save(tmp_path / f"{name}.xlsx")
        subprocess.run(CLI + ["review", "import", str(tmp_path / f"{name}.xlsx"), "--assessor", name, "--db", str(db)],
                       check=True, timeout=120, capture_output=True)

    done = subprocess.run(CLI + ["accuracy", "--db", str(db), "--csv", str(tmp_path / "accuracy.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "κ machine" in done.stdout
    print("\n" + "\n".join(done.stdout.splitlines()[:4]))
    figures = {(r["group"], r["name"]): r for r in csv.DictReader((tmp_path / "accuracy.csv").open(encoding="utf-8"))}
    everything = figures[("all", "all")]

    # expected figures, counted here from what the assessors were told to answer
    agreeing = {v["rule_id"]: "no" if v["outcome"] == "fail" else "yes" for v in second_machine.values()}
    items = [(machine[r]["outcome"], a[r], b[r]) for r in machine] + \
            [(v["outcome"], agreeing[r], agreeing[r]) for r, v in second_machine.items()]
    decided = [(m, x) for m, x, y in items if x == y]
    said = [(m, x) for m, x in decided if m in ("pass", "fail", "not_applicable")]
    as_answer = {"pass": "yes", "fail": "no", "not_applicable": "not_applicable"}
    assert int(everything["decided"]) == len(decided) == len(machine) + len(second_machine) - len(flipped)
    assert float(everything["agreement"]) == round(sum(as_answer[m] == x for m, x in said) / len(said), 4)
    assert int(everything["agreement_n"]) == len(said)
    assert float(everything["left_open"]) == round((len(decided) - len(said)) / len(decided), 4)
    machine_passes = [x for m, x in decided if m == "pass"]
    assert float(everything["pass_precision"]) == round(machine_passes.count("yes") / len(machine_passes), 4) < 1
    yes = [m for m, x in decided if x == "yes"]
    assert float(everything["pass_recall"]) == round(yes.count("pass") / len(yes), 4) < 1
    assert int(everything["kappa_assessors_n"]) == len(items)
    assert float(everything["kappa_assessors"]) == cohen_kappa([(x, y) for _m, x, y in items]) < 1
    assert int(everything["kappa_machine_assessors_n"]) == len(decided)
    # per indicator over both portals: the first portal's answer contradicts the machine's fail, the second's agrees
    pair = [as_answer.get(machine[fails[0]]["outcome"]) == a[fails[0]],
            as_answer.get(second_machine[fails[0]]["outcome"]) == agreeing[fails[0]]]
    assert float(figures[("indicator", fails[0])]["agreement"]) == pair.count(True) / 2 < 1
    assert {g for g, _ in figures} == {"all", "automation", "indicator"}

    # the second portal has a final answer for every indicator: confirmed
    document = export_json(db, second, tmp_path / "second.json")
    assert document["scores"]["confirmed"] and document["assessment"]["assessors"] == ["A", "B"]
    partly = export_json(db, first, tmp_path / "first.json")
    assert not partly["scores"]["confirmed"]
    assert {i["id"] for i in partly["indicators"] if i["decided_by"] == "machine"} == set(flipped)

    # diff compares the runs with the assessors' answers in place, and says so
    compared = subprocess.run(CLI + ["diff", "--db", str(db), "--from", first, "--to", second, "--json"],
                              capture_output=True, text=True, timeout=120)
    changes = json.loads(compared.stdout)
    assert changes["score_before"] == partly["scores"]["index"] and changes["score_after"] == document["scores"]["index"]
    touched = changes["gained"] + changes["lost"] + changes["changed"] + changes["unchecked"]
    assert touched and all(c["decided_by_after"] == "assessors" for c in touched)
    assert {c["rule_id"] for c in touched if c["decided_by_before"] == "machine"} <= set(flipped)
    text = subprocess.run(CLI + ["diff", "--db", str(db), "--from", first, "--to", second],
                          capture_output=True, text=True, timeout=120).stdout
    assert "[answered by assessors: before and after]" in text

    # the report says which answers are the assessors', and how often a rule was confirmed once enough answers exist
    from reports.html import render_report
    partly["indicators"] = [dict(i, rule_confirmation={"answers": 6, "confirmed": 5}) if i["id"] == flipped[0] else i
                            for i in partly["indicators"]]
    html = render_report(partly)
    assert "rule confirmed by assessors\n   5 of 6 times" in html
    assert f"{len(machine) - len(flipped)} of {len(machine)} answers are the" in html and "not yet confirmed" in html
    assert html.count("assessors' answer (agreed") == len(machine) - len(flipped)
