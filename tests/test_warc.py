"""The evidence archive: a real crawl of the demo portal writes a WARC that reads back, and a WACZ that replays."""
import gzip
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile

import pytest
from w3lib.url import safe_url_string
from warcio.archiveiterator import ArchiveIterator

from crawler.warc import run_warc_files, warc_dir_for
from egov_audit.app import fixtureserver
from egov_audit.paths import FIXTURES_DIR


def _read(path):
    records = {}
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            records[rec.rec_headers.get_header("WARC-Record-ID")] = {
                "type": rec.rec_type, "uri": rec.rec_headers.get_header("WARC-Target-URI"),
                "status": rec.http_headers.get_statuscode() if rec.http_headers and rec.rec_type == "response" else None,
                "concurrent": rec.rec_headers.get_header("WARC-Concurrent-To"),
                "digests": bool(rec.rec_headers.get_header("WARC-Payload-Digest")),
                "body": rec.content_stream().read()}
    return records


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The demo portal crawled (render auto: the home page and the JS section go through Chromium), then
    'interrupted' and resumed, so the run has two crawl sessions."""
    site = fixtureserver.start(FIXTURES_DIR / "demo-city")
    db = tmp_path_factory.mktemp("warc") / "city.db"
    cmd = [sys.executable, "-m", "egov_audit.app.cli", "crawl", site.url("/"), "--db", str(db), "--fast", "--no-w3c-and-engines",
           "--axe-pages", "0", "--timeout", "20"]
    try:
        subprocess.run(cmd, check=True, timeout=240)
        first = run_warc_files(db, sqlite3.connect(db).execute("SELECT id FROM runs").fetchone()[0])
        digest_before = hashlib.sha256(first[0].read_bytes()).hexdigest()
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE runs SET status = 'interrupted'")
        subprocess.run(cmd, check=True, timeout=240)   # resumes the run: a second session, a second file
    finally:
        site.stop()
    conn = sqlite3.connect(db)
    run_id = conn.execute("SELECT id FROM runs").fetchone()[0]
    yield site, db, conn, run_id, digest_before
    conn.close()


def test_one_file_per_session_and_the_first_is_untouched(crawled):
    site, db, conn, run_id, digest_before = crawled
    files = run_warc_files(db, run_id)
    assert [f.name for f in files] == [f"{run_id}.warc.gz", f"{run_id}-2.warc.gz"]
    assert files[0].parent == warc_dir_for(db) == db.with_name("city.warc")
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == digest_before
    for path in files:
        with open(path, "rb") as fh:
            first = next(iter(ArchiveIterator(fh)))
            assert first.rec_type == "warcinfo"
            info = first.content_stream().read().decode()
        assert f"isPartOf: {run_id}" in info and "egov-audit/" in info


def test_every_fetched_page_has_its_response_and_request(crawled):
    site, db, conn, run_id, _ = crawled
    records = {}
    for path in run_warc_files(db, run_id):
        records.update(_read(path))
    responses = {r["uri"]: r for r in records.values() if r["type"] == "response"}
    requests = [r for r in records.values() if r["type"] == "request"]
    assert len(requests) == sum(1 for r in records.values() if r["type"] == "response")
    for req in requests:   # each request names the response it belongs to
        assert records[req["concurrent"]]["type"] == "response"
        assert records[req["concurrent"]]["uri"] == req["uri"]
    assert all(r["digests"] for r in records.values() if r["type"] == "response")
    rows = conn.execute("SELECT url, final_url, status, kind, rendered, warc_file, warc_record_id, warc_rendered_id "
                        "FROM pages WHERE status IS NOT NULL").fetchall()
    assert len(rows) > 60
    redirects = 0
    for url, final_url, status, kind, rendered, warc_file, record_id, rendered_id in rows:
        assert final_url in responses or rendered_id, url
        assert record_id or rendered_id, url
        assert warc_file and (warc_dir_for(db) / warc_file).exists()
        if record_id:   # the id on the page is its final response (after redirects)
            assert records[record_id]["type"] == "response"
            assert records[record_id]["uri"] == final_url
            assert int(records[record_id]["status"]) == status
        if rendered_id:   # the DOM Chromium rendered is a resource record of its own
            assert records[rendered_id]["type"] == "resource" and b"<html" in records[rendered_id]["body"].lower()
        if final_url != safe_url_string(url):   # the redirect hop itself is recorded
            assert responses[safe_url_string(url)]["status"][0] == "3", url
            redirects += 1
    assert redirects, "the demo portal has a redirect"
    home = conn.execute("SELECT rendered, warc_record_id, warc_rendered_id FROM pages WHERE url = ?",
                        (site.url("/"),)).fetchone()
    assert home[0] == 1 and home[1] and home[2]
    assert site.url("/robots.txt") in responses
    assert any(uri.startswith(site.url("/", "data")) and "/api/" in uri for uri in responses)   # catalogue API probes


def test_warcio_check_passes_every_digest(crawled):
    site, db, conn, run_id, _ = crawled
    for path in run_warc_files(db, run_id):
        done = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:]
        assert "digest pass" in done.stdout and "digest fail" not in done.stdout


def test_evidence_names_existing_warc_records(crawled):
    site, db, conn, run_id, _ = crawled
    from egov_audit.judge.evaluation import evaluate_run, latest_evaluation
    from egov_audit.store.db import Store
    records = {}
    for path in run_warc_files(db, run_id):
        records.update(_read(path))
    store = Store(db)
    try:
        evaluate_run(store, run_id)
        _, verdicts = latest_evaluation(store, run_id)
    finally:
        store.close()
    evidence = [e for v in verdicts for e in v["evidence"]]
    assert evidence
    named = [e for e in evidence if e.get("warc_record_id")]
    assert len(named) >= 0.9 * len(evidence)
    for item in named:
        assert records[item["warc_record_id"]]["type"] in ("response", "resource")


def test_wacz_package(crawled, tmp_path):
    site, db, conn, run_id, _ = crawled
    out = tmp_path / "city.wacz"
    done = subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "archive", "--db", str(db), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {f"archive/{run_id}.warc.gz", f"archive/{run_id}-2.warc.gz", "pages/pages.jsonl",
                "datapackage.json", "datapackage-digest.json"} <= names
        assert "indexes/index.cdx.gz" in names or "indexes/index.cdxj" in names
        package = json.loads(z.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1"
        listed = {r["path"] for r in package["resources"]}
        assert listed == names - {"datapackage.json", "datapackage-digest.json"}
        for resource in package["resources"]:
            data = z.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), resource["path"]
            assert resource["bytes"] == len(data)
        digest = json.loads(z.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(z.read("datapackage.json")).hexdigest()

        lines = [json.loads(l) for l in z.read("pages/pages.jsonl").decode().splitlines() if l.strip()]
        assert lines[0]["format"] == "json-pages-1.0"
        assert lines[1]["url"] == site.url("/") and lines[1].get("seed") and lines[1]["ts"]
        assert len(lines) > 40

        index = [l.split(" ", 2) for l in gzip.decompress(z.read("indexes/index.cdx.gz")).decode().splitlines()]
        home = [json.loads(fields) for _, _, fields in index if json.loads(fields)["url"] == site.url("/")]
        assert any(h.get("status") == "200" for h in home)
        entry = next(h for h in home if h.get("status") == "200")
        warc = z.read("archive/" + entry["filename"])   # the index points at the home page's record
        start = int(entry["offset"])
        record = next(iter(ArchiveIterator(io.BytesIO(warc[start:start + int(entry["length"])]))))
        assert record.rec_headers.get_header("WARC-Target-URI") == site.url("/")
    from wacz.main import main as wacz_main
    assert wacz_main(["validate", "-f", str(out)]) == 0


def test_a_killed_crawls_broken_tail_is_left_out(crawled, tmp_path):
    site, db, conn, run_id, _ = crawled
    from egov_audit.app.wacz import build_wacz
    copy = tmp_path / "city.db"
    shutil.copy(db, copy)
    shutil.copytree(warc_dir_for(db), warc_dir_for(copy))
    last = run_warc_files(copy, run_id)[0]
    data = last.read_bytes()
    last.write_bytes(data[:-200])   # as if the crawl was killed while writing its last record
    summary = build_wacz(copy, tmp_path / "x.wacz", run_id)
    assert summary.repaired == [last.name]
    from wacz.main import main as wacz_main
    assert wacz_main(["validate", "-f", str(tmp_path / "x.wacz")]) == 0
