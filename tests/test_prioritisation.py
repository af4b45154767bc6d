"""A tight page budget goes to the portal's sections first, not to news pagination or calendars."""
import sqlite3
import subprocess
import sys

from egov_audit.app import fixtureserver
from egov_audit.paths import FIXTURES_DIR


def test_tight_budget_spends_on_sections_before_archives(tmp_path):
    site = fixtureserver.start(FIXTURES_DIR / "demo-city")
    db = tmp_path / "tight.db"
    try:
        subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "crawl", site.url("/"), "--db", str(db),
                        "--fast", "--no-w3c-and-engines", "--render", "never", "--max-pages", "20"], check=True, timeout=180)
    finally:
        site.stop()
    conn = sqlite3.connect(db)
    portal = [url for (url,) in conn.execute("SELECT url FROM pages WHERE scope = 'portal' AND kind NOT IN ('robots', 'sitemap')")]
    left_over = [url for (url,) in conn.execute("SELECT url FROM skipped WHERE reason = 'budget'")]
    assert len(portal) == 20
    for section in ("/services/", "/departments/", "/contact.html", "/budget/", "/open-data.html", "/about/accessibility.html"):
        assert site.url(section) in portal, section
    archive = [u for u in portal if "/news/page/" in u or "/events/calendar/" in u]
    assert archive == []
    # the archive was there to be had: it is what the budget left over
    assert any("/news/page/" in u or "/events/calendar/" in u for u in left_over)
