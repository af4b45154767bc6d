"""Page and portal language (egov_audit/page/language.py), and the honest verdict where a rule's words do not cover
the portal's language: `review`, never `fail` (#11)."""
from __future__ import annotations

from datetime import date

from checks import Context
from egov_audit.judge.engine import judge
from egov_audit.judge.rules import load_data, load_rules
from egov_audit.outcomes import Outcome
from egov_audit.page.language import language_of, portal_languages
from egov_audit.page.model import Page
from egov_audit.page.site import MemorySite

THAI = "ข้อมูลข่าวสารของราชการ กรุงเทพมหานคร ประกาศจัดซื้อจัดจ้าง งบประมาณรายจ่ายประจำปี การประชุมสภา " * 2
SWAHILI = ("Bajeti ya halmashauri ya jiji kwa mwaka 2026 imepitishwa na baraza la madiwani baada ya "
           "mashauriano na wananchi katika kata zote za jiji.")


def test_a_declared_language_is_believed_when_the_text_is_in_its_script():
    assert language_of("pt-BR", "Orçamento municipal aprovado pela Câmara para o exercício de 2026, com anexos.") == "pt"
    assert language_of("ja", "令和8年度の当初予算の概要を公表します。入札情報はこちらをご覧ください。市議会の会議録。") == "ja"


def test_the_text_decides_when_the_declaration_contradicts_its_script_or_is_missing():
    assert language_of("en", THAI) == "th"            # a template left at lang="en" over Thai text
    assert language_of("", SWAHILI) == "sw"
    assert language_of("", "Login") == ""             # too little text to say


def _page(url: str, lang: str, body: str, depth: int = 1) -> Page:
    html = f'<!DOCTYPE html><html lang="{lang}"><head><title>{url}</title></head><body><main>{body}</main></body></html>'
    return Page({"url": url, "final_url": url, "kind": "html", "scope": "portal", "click_depth": depth}, html, None,
                lambda host: "portal")


def _judge(rule_id: str, pages: list[Page]):
    rule = next(r for r in load_rules() if r.id == rule_id)
    site = MemorySite(pages)
    return judge(rule, site, Context(audit_date=date(2026, 11, 22), data=load_data(), site=site)), site


GEORGIAN = "<h1>თბილისის მერია</h1><p>ქალაქის სერვისები, სიახლეები და ღონისძიებები მოქალაქეებისთვის. საკრებულო და მერია.</p>"
ITALIAN = "<h1>Comune di Rivalta</h1><p>Servizi, notizie e appuntamenti per i cittadini del comune, uffici e orari di apertura.</p>"


def test_a_word_based_rule_that_finds_nothing_on_an_uncovered_portal_is_review_not_fail():
    pages = [_page("https://tbilisi.gov.ge/", "ka", GEORGIAN, 0), _page("https://tbilisi.gov.ge/a", "ka", GEORGIAN)]
    verdict, site = _judge("budget-information", pages)
    assert portal_languages(site) == ["ka"]
    assert verdict.outcome == Outcome.REVIEW
    assert verdict.reason.startswith("portal language ka not covered; searched only language-independent evidence")


def test_a_covered_language_still_fails_and_a_rule_without_words_is_not_excused():
    # Italian is in the lexicon: the budget rule searched Italian words and found none, which is a real fail
    pages = [_page("https://www.comune.rivalta.it/", "it", ITALIAN, 0), _page("https://www.comune.rivalta.it/a", "it", ITALIAN)]
    verdict, _ = _judge("budget-information", pages)
    assert verdict.outcome == Outcome.FAIL
    # a rule that reads no words (links to social networks, by host) does not depend on the language: still fail
    georgian = [_page("https://tbilisi.gov.ge/", "ka", GEORGIAN, 0)]
    verdict, _ = _judge("social-networks", georgian)
    assert verdict.outcome == Outcome.FAIL and "not covered" not in verdict.reason
