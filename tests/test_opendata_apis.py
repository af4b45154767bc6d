"""Open data, dataset-request and participation APIs probed during a real crawl of fixture hosts, judged offline.

Socrata (ciudad-es datos host: /api/catalog/v1), Opendatasoft (stadt-de offenedaten host: Explore API v2.1),
CKAN ckanext-datarequests (demo-city data host), Go Vocal (platforms-lab govocal host: /web_api/v1/projects),
and a catalogue API that answers 500 (opendata-lab): review or error, never fail.
"""
import subprocess
import sys
from datetime import date

from checks import CHECKS, Context
from checks.opendata import catalogues, sectors_of
from egov_audit.app import fixtureserver
from egov_audit.judge.engine import judge
from egov_audit.paths import FIXTURES_DIR
from egov_audit.judge.rules import load_data, load_rules
from egov_audit.page.site import Site
from egov_audit.store.db import Store

RULES = {r.id: r for r in load_rules()}
AUDIT_DATE = date(2026, 11, 22)


def crawl(site_name: str, host: str, tmp_path, path: str = "/") -> Site:
    """Crawl one fixture host for real (Scrapy, loopback, no rendering) and load the stored run."""
    server = fixtureserver.start(FIXTURES_DIR / site_name)
    db = tmp_path / f"{site_name}-{host}.db"
    try:
        subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "crawl", server.url(path, host), "--db", str(db),
                        "--fast", "--no-w3c-and-engines", "--fresh", "--render", "never", "--timeout", "10", "--max-pages", "20"],
                       check=True, timeout=180, capture_output=True)
    finally:
        server.stop()
    store = Store(db)
    run_id = store.conn.execute("SELECT id FROM runs ORDER BY started DESC LIMIT 1").fetchone()[0]
    return Site(store, run_id)


def verdict(site: Site, rule_id: str):
    return judge(RULES[rule_id], site, Context(audit_date=AUDIT_DATE, data=load_data(), site=site))


def test_socrata_catalogue_is_read_from_the_discovery_api(tmp_path):
    site = crawl("ciudad-es", "datos", tmp_path)
    found, failures = catalogues(site.artifacts["data-api"])
    assert not failures
    [socrata] = [c for c in found if c.platform == "socrata"]
    assert socrata.total == 5
    assert sum(d.open for d in socrata.datasets) == 4          # the fifth is a link to another portal
    assert {d.licence for d in socrata.datasets if d.licence} == {"Creative Commons Attribution 4.0"}
    assert max(d.modified for d in socrata.datasets)[:10] == "2026-11-22"
    assert {"environment", "health", "education", "employment"} <= set(sectors_of(socrata))
    result = verdict(site, "open-data-portal")
    assert result.outcome == "pass" and result.confidence == "high"
    excerpt = next(e["excerpt"] for e in result.evidence if e.get("field") == "data-api")
    assert "Socrata" in excerpt and "Discovery API v1" in excerpt and "5 datasets" in excerpt
    assert "80% in open formats" in excerpt and "latest update 2026-11-22" in excerpt


def test_opendatasoft_catalogue_is_read_from_the_explore_api(tmp_path):
    site = crawl("stadt-de", "offenedaten", tmp_path)
    found, _ = catalogues(site.artifacts["data-api"])
    [ods] = [c for c in found if c.platform == "opendatasoft"]
    assert ods.total == 4 and all(d.open for d in ods.datasets)
    assert {d.licence for d in ods.datasets} == {"Datenlizenz Deutschland – Namensnennung – Version 2.0"}
    assert max(d.modified for d in ods.datasets)[:10] == "2026-11-21"
    assert {"environment", "education"} <= set(sectors_of(ods))
    result = verdict(site, "open-data-portal")
    assert result.outcome == "pass"
    excerpt = next(e["excerpt"] for e in result.evidence if e.get("field") == "data-api")
    assert "Opendatasoft Explore API v2.1: 4 datasets" in excerpt and "100% in open formats" in excerpt
    assert "licence Datenlizenz Deutschland" in excerpt


def test_a_catalogue_api_answering_500_is_review_never_fail(tmp_path):
    site = crawl("opendata-lab", "datos", tmp_path)
    assert any(p.get("status") == 500 for p in site.artifacts["data-api"])
    result = verdict(site, "open-data-portal")
    assert result.outcome in ("review", "error"), (result.outcome, result.reason)
    assert "HTTP 500" in result.reason     # the verdict says why, even when a weaker keyword hit ranked first
    check = CHECKS["data-catalogue"].run(site, {}, Context(audit_date=AUDIT_DATE, data=load_data(), site=site))
    assert check.outcome == "review" and "did not answer" in check.reason and "HTTP 500" in check.reason


def test_ckan_datarequests_extension_credits_dataset_requests(tmp_path):
    site = crawl("demo-city", "data", tmp_path, path="/licence.html")
    result = verdict(site, "dataset-requests")
    assert result.outcome == "pass" and result.confidence == "high"
    api = [e for e in result.evidence if e.get("platform") == "ckan-datarequests"]
    assert api and "3 requests" in api[0]["excerpt"] and "latest 2026-10-02" in api[0]["excerpt"]


def test_go_vocal_budgeting_phase_credits_participatory_budgeting(tmp_path):
    site = crawl("platforms-lab", "govocal", tmp_path)
    assert any(p["platform"] == "govocal" and p.get("status") == 200 for p in site.artifacts["data-api"])
    for rule_id in ("participatory-budgeting", "participatory-budgeting-osi"):
        result = verdict(site, rule_id)
        assert result.outcome == "pass", (rule_id, result.reason)
        assert "Green Streets 2026" in result.evidence[0]["excerpt"]
        assert "budgeting" in result.evidence[0]["excerpt"]


def test_extension_probes_follow_only_a_real_ckan_answer():
    from crawler import dataprobe
    apis = dataprobe.load()
    url = "https://datos.city.example/api/3/action/status_show"
    assert not any(p == "ckan-datarequests" for p, _ in apis.probe_urls("https://datos.city.example/"))
    followups = apis.followups("ckan", url, 200, '{"success": true, "result": {"ckan_version": "2.10.4"}}')
    assert {u for _, u in followups} == {"https://datos.city.example/api/3/action/datarequest_index",
                                          "https://datos.city.example/api/3/action/list_datarequests"}
    # a soft-404 HTML page, an error answer or another platform's probe asks nothing more
    assert apis.followups("ckan", url, 200, "<html>Not found</html>") == []
    assert apis.followups("ckan", url, 500, '{"success": true}') == []
    assert apis.followups("ckan", url, 200, '{"success": false}') == []
    assert apis.followups("socrata", url, 200, '{"success": true}') == []
