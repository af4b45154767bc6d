"""auto mode renders an application shell in real Chromium; never mode does not."""
import sqlite3
import subprocess
import sys

from egov_audit.app import fixtureserver
from egov_audit.paths import FIXTURES_DIR


def crawl(tmp_path, render):
    site = fixtureserver.start(FIXTURES_DIR / "crawl-lab")
    db = tmp_path / f"{render}.db"
    try:
        subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "crawl", site.url("/"), "--db", str(db), "--fast", "--no-w3c-and-engines",
                        "--timeout", "3", "--max-size-mb", "1", "--render", render], check=True, timeout=240)
    finally:
        site.stop()
    return site, sqlite3.connect(db), db


def test_auto_renders_shell_and_follows_script_links(tmp_path):
    site, conn, db = crawl(tmp_path, "auto")
    assert conn.execute("SELECT rendered FROM pages WHERE url = ?", (site.url("/app/"),)).fetchone() == (1,)
    assert conn.execute("SELECT status FROM pages WHERE url = ?", (site.url("/app/appointments.html"),)).fetchone() == (200,)
    shot = conn.execute("SELECT s.path FROM pages p JOIN snapshots s ON s.hash = p.screenshot_hash WHERE p.url = ?",
                        (site.url("/"),)).fetchone()
    assert shot and (db.with_name("auto.snapshots") / shot[0]).read_bytes()[:4] == b"\x89PNG"
    # every rendered page keeps its screenshot (evidence found on it shows it), not only the home page
    unshot = conn.execute("SELECT url FROM pages WHERE rendered = 1 AND screenshot_hash IS NULL").fetchall()
    assert not unshot
    assert conn.execute("SELECT screenshot_hash FROM pages WHERE url = ?", (site.url("/app/"),)).fetchone()[0]


def test_never_mode_does_not_render(tmp_path):
    site, conn, _ = crawl(tmp_path, "never")
    assert conn.execute("SELECT rendered, needs_render FROM pages WHERE url = ?", (site.url("/app/"),)).fetchone() == (0, 1)
    assert conn.execute("SELECT 1 FROM pages WHERE url = ?", (site.url("/app/appointments.html"),)).fetchone() is None
