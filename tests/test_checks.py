"""Check unit tests from inline HTML (as axe's checkSetup): each detector, with its traps."""
from datetime import date

import pytest

from checks import CHECKS, Context
from egov_audit.page.model import Page
from egov_audit.judge.rules import load_data

DATA = load_data()
CTX = Context(audit_date=date(2026, 11, 22), data=DATA)


def page(body: str, url: str = "http://127.0.0.1/page.html", head: str = "", lang: str = "en", kind: str = "html",
         scope_of=None, **row) -> Page:
    html = f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'
    return Page({"url": url, "kind": kind, "scope": "portal", **row}, html,
                host_scope=scope_of or (lambda host: "portal" if host == "127.0.0.1" else "external"))


def run(name: str, subject, **options):
    spec = CHECKS[name]
    wrong = [message for option, message in spec.option_problems(options) if option]   # a test's options must be valid
    assert not wrong, wrong
    return spec.run(subject, spec.make_options(options), CTX)


# ---- keyword-match ---------------------------------------------------------------
PB = {"es": ["presupuestos participativos"], "pt": ["orçamento participativo"], "en": ["participatory budgeting"],
      "ar": ["الموازنة التشاركية"], "zh": ["参与式预算"], "ru": ["инициативное бюджетирование"]}


def test_keywords_fold_case_and_accents_and_quote_the_original():
    result = run("keyword-match", page("<h1>ORCAMENTO PARTICIPATIVO 2026</h1>"), keywords=PB, fields=["headings"])
    assert result.passed
    assert result.evidence[0]["excerpt"] == "ORCAMENTO PARTICIPATIVO 2026"
    assert result.evidence[0]["selector"] == "h1"


def test_keywords_in_arabic_chinese_and_russian_match_inside_words():
    assert run("keyword-match", page("<p>شارك في الموازنة التشاركية لعام 2026</p>", lang="ar"), keywords=PB).passed
    assert run("keyword-match", page("<p>2026年参与式预算项目征集</p>", lang="zh"), keywords=PB).passed
    assert run("keyword-match", page("<p>Инициативное бюджетирование — 2026</p>", lang="ru"), keywords=PB).passed


def test_latin_keywords_match_at_word_starts_only():
    assert run("keyword-match", page("<p>Apply for building permits</p>"), keywords={"en": ["permit"]}).passed
    assert not run("keyword-match", page("<p>A hermit lives here</p>"), keywords={"en": ["permit"]}).passed


def test_text_inside_script_style_and_comments_does_not_count():
    body = ("<script>var menu = 'participatory budgeting';</script><style>.participatory-budgeting{}</style>"
            "<!-- participatory budgeting --><p>Parks and gardens</p>")
    assert not run("keyword-match", page(body), keywords=PB).passed


def test_fields_limit_where_keywords_are_read():
    p = page("<p>We support participatory budgeting in other cities.</p>")
    assert run("keyword-match", p, keywords=PB, fields=["text"]).passed
    assert not run("keyword-match", p, keywords=PB, fields=["title", "headings", "anchors"]).passed


def test_not_near_drops_a_match_in_the_wrong_context():
    trap = page("<p>The former mayor was convicted of corruption by the court on Monday.</p>")
    options = dict(keywords={"en": ["corruption"]}, not_near={"en": ["convicted", "court", "trial"]})
    assert not run("keyword-match", trap, **options).passed
    assert run("keyword-match", page("<p>Report corruption to the integrity office.</p>"), **options).passed


def test_recency_pass_old_and_undated():
    recent = page("<h2>Participatory budgeting 2025–2026</h2><p>Vote until 30 June 2026.</p>")
    old = page("<h2>Participatory budgeting</h2><p>The 2015 and 2017 editions funded 40 projects.</p>")
    undated = page("<h2>Participatory budgeting</h2><p>Residents propose and vote projects.</p>")
    footer_only = page("<h2>Participatory budgeting</h2><p>Residents vote.</p><footer>© 2026 City</footer>")
    options = dict(keywords=PB, recency_years=5)
    assert run("keyword-match", recent, **options).outcome == "pass"
    result = run("keyword-match", old, **options)
    assert result.outcome == "fail" and "2017" in result.reason
    assert run("keyword-match", undated, **options).outcome == "review"
    assert run("keyword-match", footer_only, **options).outcome == "review"   # a copyright year is no date of the process


def test_min_matches_needs_distinct_keywords():
    options = dict(keywords={"en": ["tender", "procurement"]}, min_matches=2)
    assert not run("keyword-match", page("<p>Tender. Tender. Tender.</p>"), **options).passed
    assert run("keyword-match", page("<p>Procurement: open tender notices</p>"), **options).passed


def test_pdf_text_is_read():
    pdf = Page({"url": "http://127.0.0.1/budget.pdf", "kind": "pdf", "title": "Budget"}, None,
               "Annual budget 2026. Participatory budgeting allocation: 2 million.")
    assert run("keyword-match", pdf, keywords=PB).passed


def test_url_pattern():
    assert run("url-pattern", page("", url="http://127.0.0.1/noticias/juicio.html"), pattern="(?i)/noticias/").passed
    assert not run("url-pattern", page("", url="http://127.0.0.1/tramites/"), pattern="(?i)/noticias/").passed


# ---- links -----------------------------------------------------------------------
def test_link_match_by_anchor_href_scope_and_position():
    p = page('<nav><a href="https://datos.city.gov/">Datos abiertos</a></nav><p><a href="/x">más</a></p>')
    assert run("link-match", p, anchor={"es": ["datos abiertos"]}, to=["external"], positions=["navigation"]).passed
    assert not run("link-match", p, anchor={"es": ["datos abiertos"]}, positions=["footer"]).passed
    assert run("link-match", p, href=r"//datos\.").passed


def test_link_match_with_a_host_list_counts_distinct_hosts():
    p = page('<footer><a href="https://www.facebook.com/city">f</a><a href="https://facebook.com/city2">f</a>'
             '<a href="https://www.instagram.com/city">i</a></footer>')
    assert run("link-match", p, hosts=["social-networks"], min_distinct=2).passed
    assert not run("link-match", p, hosts=["social-networks"], min_distinct=3).passed
    assert not run("link-match", page('<a href="https://facebook.com.evil.example/">f</a>'), hosts=["social-networks"]).passed


def test_file_links_open_formats_versus_pdf():
    open_data = page('<a href="/files/trees.csv">Trees</a><a href="/api/x?format=json">JSON</a>')
    pdf_only = page('<a href="/files/trees.pdf">Trees (PDF)</a>')
    assert run("file-links", open_data, formats=["csv", "json"], min_count=2).passed
    assert not run("file-links", pdf_only, formats=["csv", "json", "xlsx"]).passed


def test_language_switch():
    switcher = page('<header><a href="/en/">English</a> <a href="/fr/">Français</a></header>', lang="es")
    hreflang = page("", head='<link rel="alternate" hreflang="en" href="/en/">', lang="es")
    assert run("language-switch", switcher).passed
    assert run("language-switch", hreflang).passed
    assert not run("language-switch", page("<p>Bienvenidos</p>", lang="es")).passed


def test_contact_info_needs_labelled_phone_not_any_digits():
    contact = page('<p>Teléfono: +34 912 345 678 · <a href="mailto:info@city.es">info@city.es</a></p>'
                   "<p>Dirección: Plaza Mayor 1, 28001</p>", lang="es")
    result = run("contact-info", contact, min_kinds=3)
    assert result.passed
    numbers_only = page("<p>Expediente 2026/123456789 aprobado</p>", lang="es")
    assert not run("contact-info", numbers_only, kinds=["tel"]).passed


# ---- forms -----------------------------------------------------------------------
COMPLAINT_FORM = """<h2>Buzón de quejas y sugerencias</h2><form method="post" action="/enviar">
<label for="m">Su mensaje</label><textarea id="m" name="mensaje"></textarea>
<label for="e">Correo</label><input id="e" name="email" type="email">
<label><input type="checkbox" name="anon"> Enviar de forma anónima</label><button>Enviar</button></form>"""


def test_form_present_with_fields_keywords_and_anonymous_option():
    p = page(COMPLAINT_FORM, lang="es")
    assert run("form-present", p, fields=["textarea", "email"], keywords={"es": ["quejas"]}).passed
    assert run("form-present", p, fields=["textarea"], anonymous=True).passed
    assert not run("form-present", p, fields=["file"]).passed
    assert not run("form-present", p, fields=["textarea"], keywords={"es": ["denuncia"]}).passed


def test_a_search_box_is_not_a_service_form():
    search = page('<form role="search" action="/buscar"><input name="q"><button>Buscar</button></form>')
    assert not run("form-present", search, fields=["text"]).passed
    assert run("search-form", search).passed


def test_page_meta_and_structured_data():
    p = page("", head='<meta name="viewport" content="width=device-width, initial-scale=1">'
                      '<script type="application/ld+json">{"@type": "GovernmentOrganization", "name": "City"}</script>')
    assert run("page-meta", p, viewport=True, html_lang=True).passed
    assert not run("page-meta", page(""), viewport=True).passed
    assert run("structured-data", p, types=["GovernmentOrganization"]).passed


# ---- errors become errors --------------------------------------------------------
def test_unknown_host_list_raises_so_the_engine_reports_an_error():
    with pytest.raises(KeyError):
        run("link-match", page('<a href="https://x.example/">x</a>'), hosts=["no-such-list"])


def test_hostile_markup_does_not_crash():
    hostile = page('<a href="javascript:alert(1)">x</a><a href="http://[::1">bad</a><form><input type="search" name="q">'
                   "</form>" + "<div>" * 5000 + "deep" + "</div>" * 5000)
    for name in ("keyword-match", "link-match", "form-present", "search-form", "contact-info", "file-links"):
        options = {"keywords": PB} if name == "keyword-match" else {"anchor": {"en": ["x"]}} if name == "link-match" else {}
        run(name, hostile, **options)


def test_platform_signature_needs_platform_markup_not_just_a_path():
    table = {"demo-platform": {"name": "Demo", "min_weight": 2, "signals": [
        {"where": "html", "pattern": "demo-platform-app\\.js", "weight": 2},
        {"where": "url", "pattern": "/budgets", "weight": 1}],
        "features": {"budgets": {"url": "/budgets"}}}}
    ctx = Context(audit_date=date(2026, 11, 22), data={"platforms": table})
    spec = CHECKS["platform"]
    real = page('<script src="/packs/demo-platform-app.js"></script><h1>Budgets</h1>', url="http://127.0.0.3/p/1/budgets")
    lookalike = page("<h1>Budgets</h1>", url="http://127.0.0.1/budgets")
    assert spec.run(real, {"platforms": ["demo-platform"], "feature": "budgets"}, ctx).passed
    assert not spec.run(lookalike, {"platforms": ["demo-platform"], "feature": "budgets"}, ctx).passed
    assert not spec.run(real, {"platforms": ["demo-platform"], "feature": "petitions"}, ctx).passed


def test_keyword_endings_plural_yes_other_words_no_stems_on_request():
    assert run("keyword-match", page("<p>Denuncias ciudadanas</p>", lang="es"), keywords={"es": ["denuncia"]}).passed
    assert not run("keyword-match", page("<p>Orçamento Participativo 2016</p>", lang="pt"), keywords={"pt": ["participa"]}).passed
    assert not run("keyword-match", page("<p>Our database</p>"), keywords={"en": ["data"]}).passed
    assert run("keyword-match", page("<p>Our database</p>"), keywords={"en": ["data*"]}).passed
    assert run("keyword-match", page("<p>Противодействие коррупционным проявлениям</p>", lang="ru"),
               keywords={"ru": ["коррупц"]}).passed


def test_headline_linking_to_a_news_story_is_not_evidence_when_the_rule_rejects_news(tmp_path):
    from egov_audit.judge.rules import load_rule
    rule_file = tmp_path / "pb-demo.yaml"
    rule_file.write_text("""id: pb-demo
version: 1
title: Participatory budgeting (test)
codes: {losi2024: "#275"}
criterion: participation-engagement
definition: A participatory budget in the last five years.
automation: assisted
any:
  - {check: keyword-match, confidence: medium, with: {fields: [anchors, headings], keywords: {en: [participatory budgeting]}}}
none:
  - {check: url-pattern, with: {pattern: '(?i)/news/'}}
""", encoding="utf-8")
    rule = load_rule(rule_file)
    call = rule.any[0]
    headline = page('<ul><li><a href="/news/2026/pb-in-lisbon.html">Participatory budgeting in Lisbon</a></li></ul>')
    real = page('<ul><li><a href="/participate/budget/">Participatory budgeting 2026</a></li></ul>')
    assert not CHECKS["keyword-match"].run(headline, call.options, CTX).passed
    assert CHECKS["keyword-match"].run(real, call.options, CTX).passed


def test_a_dead_data_link_is_not_open_data():
    states = {"http://127.0.0.1/files/trees.csv": (404, "http"), "http://127.0.0.1/files/bins.csv": (200, None)}
    p = Page({"url": "http://127.0.0.1/open-data.html", "kind": "html"},
             '<html><body><a href="/files/trees.csv">Trees CSV</a><a href="/files/bins.csv">Bins CSV</a></body></html>',
             fetched=states.get)
    assert run("file-links", p, formats=["csv"], min_count=1).passed
    assert not run("file-links", p, formats=["csv"], min_count=2).passed


def test_a_fixed_width_viewport_is_not_responsive():
    fixed = page("", head='<meta name="viewport" content="width=1024">')
    assert not run("page-meta", fixed, viewport=True).passed
    assert run("page-meta", page("", head='<meta name="viewport" content="initial-scale=1">'), viewport=True).passed


def test_every_word_of_a_russian_phrase_inflects():
    p = page("<h1>Выдача повторного свидетельства о смерти</h1>", lang="ru")
    assert run("keyword-match", p, keywords={"ru": ["свидетельство о смерти"]}).passed


def test_data_catalogue_from_ckan_and_dkan_answers_says_where_it_was_found():
    import json
    from egov_audit.page.site import MemorySite
    ckan = {"success": True, "result": {"count": 2, "results": [
        {"title": "Air quality", "notes": "Hourly NO2", "metadata_modified": "2026-10-01", "license_title": "CC-BY",
         "organization": {"title": "City"}, "resources": [{"format": "CSV"}], "tags": [{"name": "environment"}]},
        {"title": "Schools", "notes": "List", "metadata_modified": "2026-09-01", "license_title": "CC-BY",
         "organization": {"title": "City"}, "resources": [{"format": "PDF"}], "tags": [{"name": "education"}]}]}}
    dkan = [{"title": "Budget", "description": "Lines", "modified": "2026-01-01", "publisher": {"name": "City"},
             "distribution": [{"mediaType": "text/csv"}], "keyword": ["budget"]}]
    home = page("<p>home</p>", url="http://127.0.0.1/")
    data_host = page("<p>data</p>", url="http://127.0.0.2/", scope="satellite")
    site = MemorySite([home, data_host], {"data-api": [
        {"platform": "ckan", "host": "127.0.0.2", "url": "http://127.0.0.2/api/3/action/package_search", "status": 200,
         "body": json.dumps(ckan)}]})
    ctx = Context(audit_date=date(2026, 11, 22), data=DATA, site=site)
    result = CHECKS["data-catalogue"].run(site, {"min_open_share": 0.5}, ctx)
    assert result.passed and "data host 127.0.0.2" in result.evidence[0]["excerpt"] and "2 datasets" in result.evidence[0]["excerpt"]
    assert not CHECKS["data-catalogue"].run(site, {"min_open_share": 0.9}, ctx).passed
    site.artifacts["data-api"] = [{"platform": "dkan", "host": "data.example.org", "url": "https://data.example.org/api/1/metastore/schemas/dataset/items",
                                   "status": 200, "body": json.dumps(dkan)}]
    result = CHECKS["data-catalogue"].run(site, {}, ctx)
    assert result.passed and "linked external portal" in result.evidence[0]["excerpt"]
    site.artifacts["data-api"] = [{"platform": "ckan", "host": "x", "url": "http://x/api", "status": None,
                                   "error_kind": "timeout", "error": "took too long", "body": ""}]
    with pytest.raises(RuntimeError):   # a portal that does not answer is an error, never a fail
        CHECKS["data-catalogue"].run(site, {}, ctx)


def test_supplementary_rule_is_reported_but_in_no_scored_profile():
    from egov_audit.judge.rules import load_rules
    from egov_audit.judge.scoring import editions, in_profile
    [rule] = [r for r in load_rules() if r.id == "accessibility-statement"]
    assert rule.codes == {} and rule.raw.get("supplementary") is True
    assert not any(in_profile(p, rule.codes, rule.criterion) for p in editions()["profiles"].values())


def test_data_probes_follow_the_page_when_it_is_given():
    from crawler import dataprobe
    apis = dataprobe.load()
    shell = '<link rel="preload" href="/larsseit-light.woff2" as="font"><div class="app-loading-container"></div>'
    assert apis.suspect_page(shell)
    platforms = {p for p, _ in apis.probe_urls("https://speak.city.example/en/", shell)}
    assert "govocal" in platforms and "ckan-datarequests" not in platforms
    everything = {p for p, _ in apis.probe_urls("https://datos.city.example/")}   # no page: every first probe
    assert {"govocal", "socrata", "opendatasoft", "ckan"} <= everything
    assert "ckan-datarequests" not in everything      # a follow-up: only after a real CKAN answer


def test_participation_api_that_does_not_answer_is_review_not_fail():
    from checks import CHECKS, Context
    from egov_audit.page.site import MemorySite
    probe = {"platform": "govocal", "url": "https://speak.city.example/web_api/v1/projects", "status": 503,
             "body": "Service Unavailable", "host": "speak.city.example"}
    context = Context(audit_date=date(2026, 11, 22), data={})
    result = CHECKS["participation-api"].run(MemorySite([], {"data-api": [probe]}), {"recency_years": 5}, context)
    assert result.outcome == "review" and "HTTP 503" in result.reason
    answer = ('{"data": [{"id": "p1", "type": "project", "attributes": {"title_multiloc": {"en": "Budget 2019"}},'
              ' "relationships": {"current_phase": {"data": {"id": "ph1", "type": "phase"}}}}],'
              ' "included": [{"id": "ph1", "type": "phase", "attributes": {"participation_method": "voting",'
              ' "voting_method": "budgeting", "start_at": "2019-03-01", "end_at": "2019-04-01"}}]}')
    old = CHECKS["participation-api"].run(MemorySite([], {"data-api": [{**probe, "status": 200, "body": answer}]}),
                                          {"recency_years": 5}, context)
    assert old.outcome == "fail" and "2019" in old.reason


def test_years_near_reads_chinese_numeral_and_hijri_years_and_skips_update_stamps():
    from checks.text import years_near
    from egov_audit.html.textnorm import fold
    assert years_near(fold("参与式预算民主恳谈会 二〇二五年十二月十日"), 0, 5, 200) == [2025]
    assert years_near(fold("الموازنة التشاركية لعام ١٤٤٧هـ"), 0, 5, 200) == [2025]
    assert years_near(fold("مساحة 1450 هكتار"), 0, 5, 200) == []          # hectares, not a Hijri year
    assert years_near(fold("Bürgerhaushalt von 2012 bis 2016. Stand: 12.01.2026"), 0, 5, 200) == [2012, 2016]
    assert years_near(fold("budget participatif — mis à jour le 3 février 2026"), 0, 5, 200) == []


def test_file_format_reads_query_and_export_paths_and_skips_feeds():
    from checks.links import NOT_DATA_LINK, file_format
    assert file_format("https://x.example/exportar?base=despesas&formato=csv") == "csv"
    assert file_format("https://x.example/daten/ladesaeulen/export/geojson") == "geojson"
    assert file_format("https://x.example/item?content_type=json") is None      # not a format parameter
    assert NOT_DATA_LINK.search("https://x.example/post-sitemap.xml") and NOT_DATA_LINK.search("https://x.example/feeds/news.xml")
