"""axe-core in real Chromium on the rendered home page and its navigation pages; the WCAG rule judges the scans."""
import json
import sqlite3
import subprocess
import sys
from datetime import date
from urllib.parse import urlsplit

import pytest

from egov_audit.app import fixtureserver
from egov_audit.judge.engine import judge
from egov_audit.paths import FIXTURES_DIR
from egov_audit.judge.rules import load_data, load_rule
from egov_audit.page.site import Site
from egov_audit.store.db import Store
from checks import Context


def crawl(host: str, tmp_path):
    site = fixtureserver.start(FIXTURES_DIR / "a11y-lab")
    db = tmp_path / f"{host}.db"
    try:
        subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "crawl", site.url("/", host), "--db", str(db),
                        "--fast", "--no-w3c-and-engines", "--render", "auto", "--axe-pages", "3"], check=True, timeout=240, capture_output=True)
    finally:
        site.stop()
    return db


def scans(db):
    conn = sqlite3.connect(db)
    return {url: json.loads(data) for url, data in conn.execute("SELECT url, data FROM artifacts WHERE kind = 'axe'")}


def wcag_verdict(db):
    store = Store(db)
    try:
        rule_path = next((FIXTURES_DIR.parent.parent / "rules").glob("*/wcag-accessibility.yaml"))
        context = Context(audit_date=date(2026, 11, 22), data=load_data())
        return judge(load_rule(rule_path), Site(store, None), context)
    finally:
        store.close()


def test_clean_portal_passes_with_every_assessed_page_named(tmp_path):
    db = crawl("clean", tmp_path)
    found = scans(db)
    assert len(found) == 3   # home + its two navigation pages
    assert all(s["violations"] == 0 and s["axe_version"] for s in found.values())
    verdict = wcag_verdict(db)
    assert verdict.outcome == "pass"
    assert len(verdict.evidence) == 3


def test_violations_fail_with_rule_ids_impacts_and_selectors(tmp_path):
    db = crawl("broken", tmp_path)
    home = next(s for url, s in scans(db).items() if urlsplit(url).path == "/")
    ids = {r["id"] for r in home["rules"]}
    assert {"html-has-lang", "image-alt", "link-name", "color-contrast"} <= ids
    assert all(r["impact"] and r["nodes"][0]["target"] for r in home["rules"])
    assert any("wcag" in t for r in home["rules"] for t in r["wcag"])
    forms = next(s for url, s in scans(db).items() if url.endswith("/forms.html"))
    assert "label" in {r["id"] for r in forms["rules"]}
    verdict = wcag_verdict(db)
    assert verdict.outcome == "fail" and "image-alt" in verdict.reason
