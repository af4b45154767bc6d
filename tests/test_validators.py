"""W3C validity (#208/#209) with the real Nu Html Checker, and browser compatibility (#201) in real engines.

The validity-lab fixture has three portals: `clean` (valid HTML and CSS), `broken` (known vnu errors in
its HTML, in a style attribute and in its stylesheet) and `enginebreak` (valid, but its content is drawn
in a requestIdleCallback, which WebKit lacks, without a fallback). Each is crawled for real (Scrapy,
Chromium, WebKitGTK through WebKitWebDriver, Firefox ESR through WebDriver BiDi, vnu.jar on Java) and judged.
"""
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date

import pytest

from checks import Context
from crawler import vnu
from egov_audit.app import fixtureserver
from egov_audit.judge.engine import judge
from egov_audit.judge.rules import load_data, load_rule
from egov_audit.page.site import Site
from egov_audit.paths import FIXTURES_DIR, REPO_ROOT
from egov_audit.store.db import Store

RULES = ("markup-validity", "css-validity", "browser-compatibility")


def crawl(host: str, tmp_path, *extra, env=None):
    site = fixtureserver.start(FIXTURES_DIR / "validity-lab")
    db = tmp_path / f"{host}.db"
    try:
        subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "crawl", site.url("/", host), "--db", str(db),
                        "--fast", *extra], check=True, timeout=400, capture_output=True,
                       env={**os.environ, **(env or {})})
    finally:
        site.stop()
    return db


def artifacts(db, kind):
    conn = sqlite3.connect(db)
    try:
        return [json.loads(d) for (d,) in conn.execute("SELECT data FROM artifacts WHERE kind = ?", (kind,))]
    finally:
        conn.close()


def verdicts(db):
    store = Store(db)
    try:
        site = Site(store, None)
        context = Context(audit_date=date(2026, 11, 22), data=load_data(), site=site)
        return {rule_id: judge(load_rule(next((REPO_ROOT / "rules").glob(f"*/{rule_id}.yaml"))), site, context)
                for rule_id in RULES}
    finally:
        store.close()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("validity")
    return {host: crawl(host, tmp) for host in ("clean", "broken", "enginebreak")}


def test_vnu_checks_html_and_css_in_one_jvm_with_the_real_line_numbers():
    html = b"<!DOCTYPE html>\n<html lang=en>\n<head><title>t</title></head>\n<body>\n<center>x</center>\n</body></html>\n"
    with vnu.VnuService() as checker:
        assert checker.version and checker.version[0].isdigit()
        first = vnu.summarise(checker.check(html, "text/html; charset=utf-8"))
        css = vnu.summarise(checker.check(b"body { margin: 0 }\n\n.a { colr: red; }\n", "text/css; charset=utf-8"))
        pid = checker.process.pid
    assert first["errors"] == 1 and first["messages"][0]["line"] == 5 and "center" in first["messages"][0]["message"]
    assert css["errors"] == 1 and css["messages"][0]["line"] == 3 and "colr" in css["messages"][0]["message"]
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_a_checker_that_cannot_start_is_reported_not_hidden(monkeypatch):
    with pytest.raises(vnu.CheckerUnavailable, match="exited at start"):
        with vnu.VnuService(java="/bin/false"):
            pass
    monkeypatch.setenv("EGOV_VNU_JAR", "/nonexistent/vnu.jar")
    with pytest.raises(vnu.CheckerUnavailable, match="vnu.jar"):
        vnu.VnuService()


def test_clean_portal_passes_all_three(crawled):
    found = verdicts(crawled["clean"])
    assert {r: v.outcome for r, v in found.items()} == {r: "pass" for r in RULES}
    markup = artifacts(crawled["clean"], "markup-validation")[0]
    assert markup["checker_version"] and {d["document"] for d in markup["documents"]} == {"served", "rendered"}
    css = artifacts(crawled["clean"], "css-validation")[0]
    assert any(d["document"] == "stylesheet" and d["url"].endswith("/style.css") for d in css["documents"])
    assert "vnu" in found["markup-validity"].evidence[0]["excerpt"]


def test_known_markup_and_css_errors_fail_with_line_and_message(crawled):
    found = verdicts(crawled["broken"])
    assert found["markup-validity"].outcome == "fail" and found["css-validity"].outcome == "fail"
    assert found["browser-compatibility"].outcome == "pass"   # invalid, but it works alike everywhere
    served = next(d for d in artifacts(crawled["broken"], "markup-validation")[0]["documents"] if d["document"] == "served")
    messages = {m["message"] for m in served["messages"] if m["type"] == "error"}
    assert any("“center” element is obsolete" in m for m in messages)
    assert any("Duplicate ID “intro”" in m for m in messages)
    assert any("“img” element must have an “alt” attribute" in m for m in messages)
    assert all(m["line"] and m["extract"] for m in served["messages"])
    css = artifacts(crawled["broken"], "css-validation")[0]["documents"]
    sheet = next(d for d in css if d["document"] == "stylesheet")
    assert sheet["errors"] == 2 and {m["line"] for m in sheet["messages"]} == {10, 11}
    inline = next(d for d in css if d["document"] == "inline")
    assert inline["errors"] == 1 and "colr" in inline["messages"][0]["message"]


def test_page_broken_in_webkit_only_fails_with_a_screenshot_per_engine(crawled):
    record = artifacts(crawled["enginebreak"], "browser-compat")[0]
    engines = {e["engine"]: e for e in record["engines"]}
    assert all(engines[name]["available"] for name in ("chromium", "webkit", "gecko")), record
    assert "WebKitGTK" in engines["webkit"]["browser"] and "Firefox" in engines["gecko"]["browser"]
    home = record["pages"][0]
    shown = {name: next(p for p in engine["pages"] if p["url"] == home) for name, engine in engines.items()}
    assert shown["chromium"]["facts"]["main_text_length"] > 200 and shown["gecko"]["facts"]["main_text_length"] > 200
    assert shown["webkit"]["facts"]["main_text_length"] < 20
    assert len({p["screenshot"] for p in shown.values()}) == 3   # one screenshot per engine, each its own
    assert shown["chromium"]["script_errors"] == [] and shown["gecko"]["script_errors"] == []   # BiDi hears errors
    assert len(record["pages"]) == 3   # the home page and two navigation pages
    verdict = verdicts(crawled["enginebreak"])["browser-compatibility"]
    assert verdict.outcome == "fail"
    assert any("WebKitGTK" in e["excerpt"] and "content missing" in e["excerpt"] for e in verdict.evidence)
    assert not any(("Chromium" in e["excerpt"] or "Firefox" in e["excerpt"]) for e in verdict.evidence)


def test_firefox_reports_the_script_error_that_blanks_a_page():
    # a page (linked from nowhere) whose script reads navigator.userAgentData, which only Chromium has
    from crawler.engines import render_all
    site = fixtureserver.start(FIXTURES_DIR / "validity-lab")
    try:
        url = site.url("/chromium-only.html", "enginebreak")
        record = render_all([url], ("gecko",), 30, lambda png: str(len(png)))["record"]
    finally:
        site.stop()
    page = record["engines"][0]["pages"][0]
    assert page["loaded"] and page["facts"]["main_text_length"] == 0
    assert any("userAgentData" in error for error in page["script_errors"])


def test_engines_ask_the_egress_policy_before_opening_a_private_address():
    from crawler.egress import EgressPolicy
    from crawler.engines import render_all
    site = fixtureserver.start(FIXTURES_DIR / "validity-lab")
    try:
        url = site.url("/egress.html", "enginebreak")
        policy = EgressPolicy(site.url("/", "enginebreak"), allow_loopback=True)   # as --fast sets it
        record = render_all([url], ("chromium", "webkit", "gecko"), 30, lambda png: str(len(png)), policy=policy)["record"]
    finally:
        site.stop()
    assert all(e["available"] and e["pages"][0]["loaded"] for e in record["engines"]), record
    refused = {(u, where.split()[0]) for u, where, _ in policy.drain()}
    for engine in ("chromium", "webkit", "firefox"):   # WebKit through the filtering proxy
        assert ("http://10.255.255.1/private.css", engine) in refused
        assert ("http://192.168.255.1/private.png", engine) in refused
    assert not any(u == url for u, _ in refused)   # the page itself, on the start host, is allowed


def test_costs_are_recorded_per_portal(crawled):
    cost = artifacts(crawled["clean"], "gather-cost")[0]
    assert cost["validator"]["seconds"] > 0 and cost["validator"]["peak_rss_mb"] > 50
    assert cost["engines"]["chromium"]["seconds"] > 0 and cost["engines"]["webkit"]["peak_rss_mb"] > 20


def test_no_java_gives_error_verdicts_never_fail(tmp_path):
    db = crawl("broken", tmp_path, "--render", "never", env={"EGOV_JAVA": "/bin/false"})
    found = verdicts(db)
    assert found["markup-validity"].outcome == "error" and "could not run" in found["markup-validity"].reason
    assert found["css-validity"].outcome == "error"
    assert found["browser-compatibility"].outcome == "error" and "render never" in found["browser-compatibility"].reason


def test_report_shows_each_engine_side_by_side_and_the_checker_messages(crawled, tmp_path):
    report = tmp_path / "broken.html"
    subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "evaluate", "--db", str(crawled["broken"]),
                    "--report", str(report)], check=True, timeout=300, capture_output=True)
    html = report.read_text(encoding="utf-8")
    browsers = html[html.index('<section id="browsers">'):html.index('<section id="validation">')]
    assert "Chromium" in browsers and "WebKitGTK" in browsers
    assert browsers.count('class="thumb') >= 4   # home and one key page at least, in both engines
    validation = html[html.index('<section id="validation">'):html.index('<section id="crawl">')]
    # messages and extracts from the page are escaped, never markup
    assert "The “center” element is obsolete" in validation and "&lt;center&gt;" in validation
    assert "<center>" not in validation
