"""The multilingual lexicon (rules/_lexicon/): its validation, its coverage, and how each language's terms meet text."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from checks.text import KeywordSet
from egov_audit.html.textnorm import fold
from egov_audit.judge.lexicon import load_lexicon, read_lexicon
from egov_audit.judge.lexicon_doc import DOC_PATH, concept_uses, current
from egov_audit.judge.rules import RuleError, check_rules, load_rule, load_rules
from egov_audit.paths import RULES_DIR

# The languages of the portals LOSI assesses that every concept a rule uses must cover (issue #11).
REQUIRED = ("ar zh en fr ru es pt de it nl pl tr ja ko id ms vi th fa he el uk ro hu cs sv uz kk sw hi").split()


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def rules_dir(tmp_path):
    """A small rules folder with a lexicon of two concepts in two languages."""
    _write(tmp_path, "_lexicon/_concepts.yaml", """\
        concepts:
          faq: frequently asked questions
          open-data: open data
        """)
    _write(tmp_path, "_lexicon/en.yaml", """\
        language: en
        name: English
        concepts:
          faq: [frequently asked questions, FAQ]
          open-data: [open data]
        """)
    _write(tmp_path, "_lexicon/pl.yaml", """\
        language: pl
        name: Polski
        match: prefix
        concepts:
          faq: [najczęściej zadawan pytan]
          open-data: [otwart dan]
        """)
    (tmp_path / "_data").mkdir()
    return tmp_path


def _rule(folder: Path, keywords) -> Path:
    """The shipped FAQ rule with one keyword check giving `keywords`."""
    data = yaml.safe_load((RULES_DIR / "e-government-literacy" / "help-faq.yaml").read_text(encoding="utf-8"))
    data.pop("toolkit", None)
    data.pop("none", None)
    data["any"] = [{"check": "keyword-match", "with": {"keywords": keywords}}]
    path = folder / "e-government-literacy" / "help-faq.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_a_rule_naming_a_concept_gets_every_language_of_the_lexicon(rules_dir):
    rule = load_rule(_rule(rules_dir, {"concepts": ["faq"], "en": ["help centre"]}))
    given = rule.any[0].options.given["keywords"]
    assert given == {"en": ["frequently asked questions", "FAQ", "help centre"], "pl": ["najczęściej* zadawan* pytan*"]}
    # what a fail says was searched names the lexicon's languages
    from checks import CHECKS
    assert CHECKS["keyword-match"].searched(rule.any[0].options)["languages"] == ["en", "pl"]


def test_an_unknown_concept_is_an_error_naming_the_line_and_the_closest_concept(rules_dir):
    path = _rule(rules_dir, {"concepts": ["open-date"]})
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "open-date" in text)
    with pytest.raises(RuleError) as caught:
        load_rule(path)
    message = str(caught.value)
    assert f"{path}:{line}:" in message and "unknown concept 'open-date'" in message and "did you mean 'open-data'" in message


def test_lexicon_files_are_validated_with_file_and_line(rules_dir):
    _write(rules_dir, "_lexicon/it.yaml", """\
        language: it
        name: Italiano
        match: stems
        concepts:
          faq: [domande frequenti]
          open-dati: [dati aperti]
        """)
    _write(rules_dir, "_lexicon/nl.yaml", """\
        language: de
        name: Nederlands
        concepts:
          faq: [veelgestelde vragen, veelgestelde vragen]
        """)
    problems = [str(p) for p in read_lexicon(rules_dir).problems]
    it, nl = rules_dir / "_lexicon/it.yaml", rules_dir / "_lexicon/nl.yaml"
    assert f"{it}:3: `match` must be one of word, prefix, substring, got 'stems'" in problems
    assert any(p.startswith(f"{it}:6: unknown concept 'open-dati'") and "did you mean 'open-data'" in p for p in problems)
    assert f"{nl}:1: language 'de' differs from the file name (rename the file to de.yaml)" in problems
    assert f"{nl}:4: term 'veelgestelde vragen' appears twice in 'faq'" in problems
    # a broken lexicon stops judging (a language must not silently drop out), and `rules check` lists it
    _rule(rules_dir, {"concepts": ["faq"]})
    with pytest.raises(RuleError):
        load_rules(rules_dir)
    assert {str(p) for p in check_rules(rules_dir)[1]} >= set(problems)


def test_the_shipped_lexicon_is_valid():
    assert [str(p) for p in load_lexicon().problems] == []
    assert check_rules()[1] == []


def test_every_concept_a_rule_uses_covers_the_30_languages():
    """Scope: the concepts in the lexicon so far. Rules that still write their word lists inline are not concept
    users yet (a later step moves them); docs/lexicon.md lists which rules use which concept."""
    lexicon = load_lexicon()
    uses = concept_uses(load_rules())
    assert uses, "no rule names a lexicon concept"
    missing = {concept: [code for code in REQUIRED if not (lexicon.languages.get(code)
                                                           and lexicon.languages[code].terms.get(concept))]
               for concept in uses}
    assert {c: m for c, m in missing.items() if m} == {}
    assert set(uses) <= set(lexicon.concepts)


def test_the_coverage_table_is_current():
    assert DOC_PATH.read_text(encoding="utf-8") == current(), "run: egov-audit rules docs --write"


def _finds(terms: dict, text: str) -> str | None:
    match = KeywordSet.compile(terms).search(fold(text))
    return match.group(0) if match else None


def test_prefix_languages_find_inflected_phrases_and_keep_short_words_exact():
    lexicon = load_lexicon()
    pl = {"pl": lexicon.terms("procurement-notice")["pl"]}
    assert _finds(pl, "Ogłoszenia o zamówieniach publicznych 2026") == fold("ogłoszenia o zamówieniach")
    assert _finds(pl, "Plan zamówień publicznych na rok 2026") == fold("plan zamówień publicznych")
    tr = {"tr": lexicon.terms("budget-document")["tr"]}
    assert _finds(tr, "2026 YILI BELEDİYE BÜTÇESİ") == fold("belediye bütçesi")
    # "i" in "sprawozdan* z wykonania* budżet*" is not a wildcard for every word starting with i
    assert _finds({"pl": ["budżet* i finanse*"]}, "budżet igrzysk finansowych") is None
    assert _finds({"pl": ["budżet* i finanse*"]}, "Budżety i finanse miasta") == fold("budżety i finanse")


def test_scripts_without_spaces_match_inside_text_and_letter_variants_fold():
    lexicon = load_lexicon()
    assert _finds({"ja": lexicon.terms("procurement-notice")["ja"]}, "令和8年度の入札情報はこちら") == fold("入札情報")
    assert _finds({"th": lexicon.terms("faq")["th"]}, "หน้าแรกคำถามที่พบบ่อยติดต่อเรา") == fold("คำถามที่พบบ่อย")
    # Persian keheh/yeh written with their Arabic forms (or the reverse) are the same letters to a reader
    assert _finds({"fa": ["حریم خصوصی"]}, "سياست حريم خصوصي") is not None
    assert fold("کتاب") == fold("كتاب")
    # full-width Latin and half-width katakana (NFKC) fold like their ordinary forms; voicing marks stay (ガ is not カ)
    assert fold("ＦＡＱ") == "faq" and fold("ﾛｸﾞｲﾝ") == fold("ログイン")
    assert fold("ガス") != fold("カス")
    # Turkish dotless ı: AÇIK and açık fold alike
    assert fold("AÇIK VERİ") == fold("açık veri")


def test_the_existing_languages_compile_to_the_same_words_as_before_the_move():
    """The terms of the eight first languages moved from the rules unchanged: a concept is exactly the list the
    rule carried (spot check of two concepts; the verdict guard is tests/test_rule_cases.py)."""
    lexicon = load_lexicon()
    assert lexicon.terms("faq")["en"] == ["frequently asked questions", "FAQ", "FAQs", "help centre", "help center",
                                          "questions and answers", "help and support"]
    assert lexicon.languages["ru"].match == "word" and lexicon.languages["zh"].match == "word"
