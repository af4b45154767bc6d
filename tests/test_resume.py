"""A crawl killed with SIGKILL continues when the same command runs again: no refetch, no duplicate rows."""
import signal
import sqlite3
import subprocess
import sys
import time

from egov_audit.app import fixtureserver
from egov_audit.paths import FIXTURES_DIR


def test_resume_after_kill(tmp_path):
    site = fixtureserver.start(FIXTURES_DIR / "crawl-lab")
    db = tmp_path / "r.db"
    cmd = [sys.executable, "-m", "egov_audit.app.cli", "crawl", site.url("/"), "--db", str(db), "--fast", "--no-w3c-and-engines",
           "--delay", "0.3", "--timeout", "3", "--max-size-mb", "1", "--render", "never"]
    try:
        first = subprocess.Popen(cmd)
        deadline = time.time() + 60
        while time.time() < deadline:   # kill once some, not all, pages are stored
            time.sleep(0.3)
            if db.exists():
                with sqlite3.connect(db) as conn:
                    try:
                        n = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
                    except sqlite3.OperationalError:
                        n = 0
                if n >= 8:
                    break
        first.send_signal(signal.SIGKILL)
        first.wait()
        with sqlite3.connect(db) as conn:
            before = {u for (u,) in conn.execute("SELECT url FROM pages")}
            assert conn.execute("SELECT status FROM runs").fetchone() == ("running",)
        hits_before = len(site.hits)
        subprocess.run(cmd, check=True, timeout=240)
        refetched = [p for (_, _, p) in site.hits[hits_before:] if site.url(p) in before and p not in ("/robots.txt",)]
    finally:
        site.stop()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*), min(status) FROM runs").fetchone() == (1, "finished")
    assert conn.execute("SELECT count(*) - count(DISTINCT url) FROM pages").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM pages").fetchone()[0] > len(before)
    assert conn.execute("SELECT 1 FROM pages WHERE url = ?", (site.url("/services/permits.html"),)).fetchone()
    assert refetched == []
