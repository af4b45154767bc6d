"""A real crawl of the crawl-lab fixture portal served on loopback, in a subprocess."""
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from egov_audit.app import fixtureserver
from egov_audit.paths import FIXTURES_DIR


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    site = fixtureserver.start(FIXTURES_DIR / "crawl-lab")
    db = tmp_path_factory.mktemp("lab") / "a.db"
    try:
        subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "audit", site.url("/"), "--db", str(db),
                        "--fast", "--no-w3c-and-engines", "--timeout", "8", "--max-size-mb", "1", "--render", "never"], check=True, timeout=240)
    finally:
        site.stop()
    conn = sqlite3.connect(db)
    yield site, conn
    conn.close()


def page(conn, url):
    return conn.execute("SELECT status, error_kind, scope FROM pages WHERE url = ?", (url,)).fetchone()


def test_robots_sitemap_errors_and_scope(crawled):
    site, conn = crawled
    assert conn.execute("SELECT reason FROM skipped WHERE url = ?", (site.url("/private/staff.html"),)).fetchone() == ("robots.txt",)
    assert page(conn, site.url("/only-in-sitemap.html"))[0] == 200
    assert page(conn, site.url("/slow.html"))[1] == "timeout"
    assert page(conn, site.url("/loop"))[1] == "redirect"
    assert page(conn, site.url("/broken.html"))[:2] == (500, "http")
    assert page(conn, site.url("/huge.html"))[1] == "too_large"
    assert page(conn, site.url("/soft404.html"))[1] == "soft_404"
    assert page(conn, site.url("/", "ext"))[2] == "external"
    assert page(conn, site.url("/deep/page.html", "ext")) is None
    assert page(conn, site.url("/datasets/trees.html", "sat"))[2] == "satellite"


def test_pdf_text_is_stored(crawled):
    site, conn = crawled
    row = conn.execute("SELECT p.kind, p.text_length, s.path FROM pages p JOIN snapshots s ON s.hash = p.text_hash "
                       "WHERE p.url = ?", (site.url("/budget-2026.pdf"),)).fetchone()
    assert row[0] == "pdf" and row[1] > 20


def test_json_result_validates_and_report_escapes(crawled, tmp_path):
    import json
    from egov_audit.app.result import validate_result
    site, conn = crawled
    db = Path(conn.execute("PRAGMA database_list").fetchone()[2])
    document = json.loads(db.with_suffix(".result.json").read_text())
    validate_result(document)
    assert document["pages_crawled"] == conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    html = db.with_suffix(".report.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert 'href="javascript:' not in html


def test_no_duplicate_pages_and_click_depth(crawled):
    site, conn = crawled
    assert conn.execute("SELECT count(*) - count(DISTINCT url) FROM pages").fetchone() == (0,)
    # tax.html is only reachable through /services/ (permits.html may be recorded under /moved.html, which redirects to it)
    assert conn.execute("SELECT click_depth FROM pages WHERE url = ?", (site.url("/services/tax.html"),)).fetchone() == (2,)


def test_turned_off_w3c_and_engines_are_not_checked_never_failed(crawled):
    """--no-w3c-and-engines: #201/#208/#209 say they were not checked (error, with the reason), not `fail`."""
    _, conn = crawled
    rows = dict(conn.execute("SELECT rule_id, outcome || ' ' || reason FROM verdicts WHERE rule_id IN "
                             "('browser-compatibility', 'markup-validity', 'css-validity')").fetchall())
    assert len(rows) == 3, rows
    for rule_id, verdict in rows.items():
        assert verdict.startswith("error ") and "turned off (--no-w3c-and-engines)" in verdict, (rule_id, verdict)
