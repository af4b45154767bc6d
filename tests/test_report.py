"""The HTML report, "the city's view": a real audit of a11y-lab's violating portal, with hostile content
planted in its database, rendered by the real CLI and opened in real Chromium (no network, no script)."""
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from egov_audit.app import fixtureserver
from egov_audit.paths import FIXTURES_DIR, REPO_ROOT
from egov_audit.judge.rules import rule_files
from reports.a11y import success_criteria
from egov_audit.judge.rules import YAML_LOADER as LOADER
from reports.guidance import criteria_data, recommendation
from reports.html import depth_phrase, is_http_url

ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
SCRIPT = "<script>window.__pwned=1</script>"
ATTR = "\"'><img src=x onerror=window.__pwned=1>"
JS_URL = "javascript:window.__pwned=1"
AXE_RULES = {"html-has-lang", "image-alt", "link-name", "color-contrast", "label"}


# ---- unit level -------------------------------------------------------------------------------------------

def test_every_rule_has_a_recommendation_and_a_un_link():
    rules = {}
    for path in rule_files():
        rule = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
        rules[rule["id"]] = rule
    assert len(rules) >= 116
    missing = sorted(rule_id for rule_id, rule in rules.items() if not rule.get("recommendation"))
    assert not missing, f"rules without their own `recommendation:` in their rule file: {missing}"
    for rule_id, rule in rules.items():
        rec = recommendation(rule_id, rule["criterion"])
        assert rec and rec["text"] == " ".join(rule["recommendation"].split()) and len(rec["text"]) >= 80, rule_id
        assert rec["url"].startswith("https://publicadministration.un.org/egovkb/"), rule_id


def test_every_criterion_has_default_advice_and_a_un_page():
    """A new rule without advice of its own still gets its criterion's, so no unmet indicator goes without."""
    data = criteria_data()
    from egov_audit.judge.catalogue_doc import CRITERIA_ORDER
    for criterion in CRITERIA_ORDER:
        rec = recommendation("a-rule-not-in-the-catalogue", criterion)
        assert rec and len(rec["text"]) >= 80, criterion
        assert rec["url"] == data["sources"][data["criteria"][criterion]["toolkit"]]["url"], criterion
    assert recommendation("participatory-budgeting", None)["url"].endswith("Local-E-government-Toolkit")


def test_helpers_phrase_depth_parse_wcag_tags_and_refuse_non_http_links():
    assert depth_phrase(0) == "found on the home page"
    assert depth_phrase(1) == "found 1 click from the home page"
    assert depth_phrase(3) == "found 3 clicks from the home page"
    assert depth_phrase(None) == ""
    assert success_criteria(["wcag2aa", "wcag143", "wcag21a", "wcag1410", "wcag111"]) == ["1.4.3", "1.4.10", "1.1.1"]
    assert is_http_url("https://city.gov/a?b=1")
    for bad in (JS_URL, " JavaScript:alert(1)", "data:text/html,x", "//evil.example", None, "vbscript:x"):
        assert not is_http_url(bad)


# ---- a real audit, made hostile, rendered and opened in Chromium -------------------------------------------

@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    db = out / "broken.db"
    site = fixtureserver.start(FIXTURES_DIR / "a11y-lab")
    try:
        subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "audit", site.url("/", "broken"), "--db", str(db),
                        "--fast", "--no-w3c-and-engines", "--axe-pages", "3"], check=True, timeout=300, capture_output=True)
    finally:
        site.stop()
    plant_hostile_content(db)
    html = out / "report.html"
    subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "report", "--db", str(db), "--json", str(out / "result.json"),
                    "--report", str(html)], check=True, timeout=120, capture_output=True)
    return {"html": html, "document": json.loads((out / "result.json").read_text(encoding="utf-8"))}


def plant_hostile_content(db: Path) -> None:
    """What a hostile portal can put in front of the report: titles, excerpts, URLs, selectors, axe snippets."""
    conn = sqlite3.connect(db)
    with conn:
        run_id, start_url = conn.execute("SELECT id, start_url FROM runs").fetchone()
        shot = conn.execute("SELECT s.path FROM pages p JOIN snapshots s ON s.hash = p.screenshot_hash "
                            "WHERE p.url = ?", (start_url,)).fetchone()[0]
        conn.execute("UPDATE pages SET title = ? WHERE run_id = ?", (SCRIPT + ATTR, run_id))
        evaluation = conn.execute("SELECT id FROM evaluations ORDER BY created DESC LIMIT 1").fetchone()[0]
        evidence = [
            {"url": JS_URL, "excerpt": ATTR + SCRIPT, "selector": SCRIPT, "click_depth": 2, "snapshot": None,
             "screenshot": shot},
            {"url": start_url + "?q=" + ATTR, "excerpt": "News", "selector": "h2", "click_depth": 0,
             "snapshot": None, "screenshot": shot},                    # the same image again: embedded once
            {"url": start_url, "excerpt": "x", "selector": "", "click_depth": 1, "snapshot": None,
             "screenshot": "../../../../etc/passwd", "link": JS_URL},   # not a known snapshot: never read
        ]
        conn.execute("UPDATE verdicts SET outcome = 'review', confidence = 'low', reason = ?, evidence = ? "
                     "WHERE evaluation_id = ? AND rule_id = 'news-section'",
                     (SCRIPT, json.dumps(evidence), evaluation))
        scan = {"url": JS_URL, "axe_version": "4.12.1", "violations": 1, "incomplete": 1, "passes": 3,
                "rules": [{"id": "hostile-rule" + SCRIPT, "impact": "moderate", "help": ATTR, "wcag": ["wcag131"],
                           "nodes": [{"target": [SCRIPT, ["iframe", ATTR]], "html": "<img src=x onerror=window.__pwned=1>"}],
                           "node_count": 1}],
                "incomplete_rules": [{"id": "aria-hidden-focus-review", "impact": "serious", "help": "check by hand",
                                      "wcag": ["wcag412"], "nodes": [{"target": ["div.modal"], "html": "<div>"}],
                                      "node_count": 1}]}
        conn.execute("INSERT INTO artifacts (run_id, kind, url, data, created) VALUES (?, 'axe', ?, ?, '2026-11-22')",
                     (run_id, JS_URL, json.dumps(scan)))
    conn.close()


@pytest.fixture(scope="module")
def page(report):
    from playwright.sync_api import sync_playwright

    from crawler.browser import chromium_launch_options
    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch_options())
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        requests = []
        tab.on("request", lambda r: requests.append(r.url))
        url = report["html"].as_uri()
        tab.goto(url)
        tab.wait_for_load_state("load")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "report.png"
        tab.screenshot(path=str(shot), full_page=True)
        print(f"\nfull-page screenshot of the report: {shot}")
        yield {"tab": tab, "requests": requests, "url": url, **report}
        browser.close()


def test_structure_gauge_bars_indicators_checklist(page):
    tab, doc = page["tab"], page["document"]
    assert tab.locator("svg.gauge").count() == 1
    detail = doc["scores"]["profiles"][doc["edition"]]["criteria_detail"]
    assert tab.locator("svg.bars rect.bar").count() == len(detail) == 6
    assert tab.locator("tr.indicator").count() == len(doc["indicators"])
    manual = [i for i in doc["indicators"] if i["outcome"] == "manual"]
    assert manual and tab.locator("li.check").count() == len(manual)
    assert tab.locator("li.check .box").count() == 3 * len(manual)
    if doc["scores"]["provisional"]:
        assert f"{doc['scores']['upper_bound']:.2f}" in tab.locator("#provisional").inner_text()
    assert tab.locator("p.profile-line[data-profile='osi-eparticipation']").count() == 1
    # every unmet indicator says what was searched and how to improve, with the UN page
    unmet = [i for i in doc["indicators"] if i["outcome"] in ("fail", "review", "error")]
    # compared by indicator, not by count: a failure names the indicators (a count said only "108 == 109")
    advised = set(tab.locator("tr.indicator:has(.improve)").evaluate_all("rows => rows.map(r => r.id)"))
    linked = set(tab.locator("tr.indicator:has(.improve a[href^='https://publicadministration.un.org/'])")
                 .evaluate_all("rows => rows.map(r => r.id)"))
    lacking = sorted(i["id"] for i in unmet if f"i-{i['id']}" not in advised)
    assert not lacking, (f"unmet indicators shown without improvement advice: {lacking} — give the rule a "
                         "`recommendation:` or its criterion one in rules/_criteria.yaml")
    unlinked = sorted(i["id"] for i in unmet if f"i-{i['id']}" not in linked)
    assert not unlinked, f"unmet indicators whose advice links no UN page: {unlinked} (`toolkit:` / rules/_criteria.yaml)"
    assert len(advised) == len(unmet), f"advice beside indicators that are met: {sorted(advised - {'i-' + i['id'] for i in unmet})}"
    assert tab.locator("tr.indicator .searched").count() >= len([i for i in unmet if i.get("searched")]) > 0
    assert "found 2 clicks from the home page" in tab.locator("#i-news-section").inner_text()


def test_accessibility_section_lists_violations_and_keeps_incomplete_apart(page):
    tab = page["tab"]
    listed = set(tab.locator("#accessibility table.violations code.a11y-rule").all_inner_texts())
    assert AXE_RULES <= listed
    assert "aria-hidden-focus-review" not in listed            # axe "incomplete": to review, not a violation
    assert "aria-hidden-focus-review" in tab.locator("#accessibility details.to-review").first.text_content()
    by_sc = tab.locator("#accessibility table.by-criterion").inner_text()
    for sc in ("1.1.1 Non-text Content", "1.4.3", "3.1.1", "4.1.2"):
        assert sc in by_sc
    assert "critical" in tab.locator("#accessibility table.by-impact").inner_text()


def test_no_request_no_script_no_javascript_links(page):
    tab = page["tab"]
    assert [u for u in page["requests"] if not u.startswith("data:")] == [page["url"]]
    assert tab.evaluate("typeof window.__pwned") == "undefined"
    assert tab.evaluate("document.querySelectorAll('script, img, iframe, object, embed').length") == 0
    hrefs = tab.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and not [h for h in hrefs if not (h.startswith("#") or re.match(r"https?://", h))]
    assert not [h for h in hrefs if "javascript:" in h.lower()]
    text = tab.locator("body").inner_text()
    assert SCRIPT in text and JS_URL in text                  # shown as text, never run or linked
    html = page["html"].read_text(encoding="utf-8")
    assert "<script" not in html.lower().replace("&lt;script", "")


def test_screenshots_embedded_once_and_thumbnail_opens_full_size(page):
    tab = page["tab"]
    html = page["html"].read_text(encoding="utf-8")
    # every rendered page has a screenshot; each distinct image is embedded once however often it is cited
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert images and len(images) == len(set(images))
    assert tab.locator("a.thumb").count() > len(images)          # an image cited several times is embedded once
    thumbs = tab.locator("#i-news-section a.thumb")
    assert thumbs.count() == 2
    thumb_box = thumbs.first.bounding_box()
    thumbs.first.click()
    target = thumbs.first.get_attribute("href")
    view = tab.locator(target)
    view.wait_for(state="visible")
    full = view.locator(".full")
    assert full.evaluate("e => getComputedStyle(e).backgroundImage").startswith('url("data:image/png;base64,')
    assert full.bounding_box()["width"] > 3 * thumb_box["width"]
    view.locator("a.close").click()
    view.wait_for(state="hidden")


def test_the_report_renders_from_the_result_document_alone(report, tmp_path):
    """A saved result.json re-renders the same report with no database at all (screenshots from the snapshot
    folder); without the snapshots it still renders, only without the images."""
    import shutil
    source = report["html"].with_name("broken.db")
    saved = tmp_path / "result.json"
    shutil.copy(report["html"].with_name("result.json"), saved)
    shutil.copytree(source.with_name("broken.snapshots"), tmp_path / "elsewhere.snapshots")
    again = tmp_path / "again.html"
    subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "report", "--from-json", str(saved), "--db",
                    str(tmp_path / "elsewhere.db"), "--report", str(again)], check=True, timeout=120, capture_output=True)
    assert not (tmp_path / "elsewhere.db").exists()                # no database was opened or made
    assert again.read_text(encoding="utf-8") == report["html"].read_text(encoding="utf-8")
    assert "data:image/png" in again.read_text(encoding="utf-8")   # the screenshots came from the snapshot folder
    document = report["document"]
    assert document["schema_version"] == "1.1" and document["accessibility"]["pages"]
    assert all("definition" in i and "recommendation" in i for i in document["indicators"])
    bare = tmp_path / "bare.html"
    subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "report", "--from-json", str(saved), "--db",
                    str(tmp_path / "none.db"), "--report", str(bare)], check=True, timeout=120, capture_output=True)
    text = bare.read_text(encoding="utf-8")
    assert "data:image/png" not in text and 'class="a11y-page"' in text


def test_a_run_not_yet_judged_still_renders(report, tmp_path):
    import shutil

    from egov_audit.app.result import build_result
    from egov_audit.store.db import Store
    from reports.html import render_report
    source = report["html"].with_name("broken.db")
    shutil.copy(source, tmp_path / "crawl.db")
    shutil.copytree(source.with_name("broken.snapshots"), tmp_path / "crawl.snapshots")
    conn = sqlite3.connect(tmp_path / "crawl.db")
    with conn:
        conn.execute("DELETE FROM verdicts")
        conn.execute("DELETE FROM evaluations")
    conn.close()
    store = Store(tmp_path / "crawl.db")
    try:
        html = render_report(build_result(store), store.snapshots)
    finally:
        store.close()
    assert "No indicator has been judged for this run yet" in html
    assert 'class="a11y-page"' in html                          # the axe scans are crawl data: still shown


def test_checklist_prints_alone_when_targeted(page):
    tab = page["tab"].context.browser.new_page()
    try:
        tab.goto(page["url"] + "#checklist")
        tab.emulate_media(media="print")
        assert tab.locator("#checklist").is_visible()
        assert not tab.locator("#indicators").is_visible() and not tab.locator("header").is_visible()
        tab.goto(page["url"] + "#scores")
        assert tab.locator("#indicators").is_visible()             # the whole report prints otherwise
    finally:
        tab.close()
