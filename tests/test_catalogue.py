"""Meta tests on the catalogue: every rule is valid data, the LOSI 2024 set is complete, docs are current."""
from collections import Counter

from checks import CHECKS
from egov_audit.judge.catalogue_doc import DOC_PATH, current
from egov_audit.judge.rules import load_data, load_rules

LANGUAGES = {"ar", "zh", "en", "fr", "ru", "es", "pt", "de"}
RULES = load_rules()   # validates every file against the schema, checks names and options


def test_losi_2024_catalogue_is_complete():
    losi = [r for r in RULES if "losi2024" in r.codes]
    codes = Counter(r.codes["losi2024"] for r in losi)
    assert len(losi) == 95, (f"{len(losi)} rules carry a losi2024 code, the LOSI 2024 catalogue has 95 indicators: "
                             "a new indicator outside it has an osi2024 code or is `supplementary: true` with no codes")
    # #236 is listed twice in the reference catalogue (open data provision, and its institutional-framework copy)
    assert len(codes) >= 94
    assert Counter(r.criterion for r in losi) == {"content-provision": 30, "services-provision": 22,
                                                  "participation-engagement": 15, "technology": 12,
                                                  "e-government-literacy": 10, "institutional-framework": 6}
    automated = [r for r in losi if r.automation != "manual"]
    assert len(automated) >= 50


def test_osi_eparticipation_profile_has_the_required_indicators():
    osi = {r.codes.get("osi2024"): r for r in RULES if r.criterion == "e-participation"}
    for code in ("#021", "#037", "#040", "#042", "#302", "#303", "#323"):
        assert code in osi, code
        assert osi[code].automation in ("automatic", "assisted"), code


def test_manual_rules_say_why_and_automated_rules_have_checks():
    for rule in RULES:
        if rule.automation == "manual":
            assert rule.manual_reason, rule.id
        else:
            assert rule.any or rule.all, rule.id
            assert all(c.name in CHECKS for c in rule.any + rule.all + rule.none)


def test_keywords_cover_the_eight_languages():
    for rule in RULES:
        for call in rule.any + rule.all:
            for key in ("keywords", "anchor"):
                words = call.options.get(key)
                if isinstance(words, dict) and len(words) > 1:
                    missing = LANGUAGES - set(words)
                    assert not missing, f"{rule.id}: {call.name}.{key} lacks {sorted(missing)}"


def test_referenced_platforms_and_host_lists_exist():
    data = load_data()
    for rule in RULES:
        for call in rule.any + rule.all + rule.none:
            for pid in call.options.get("platforms") or ():
                assert pid in data.get("platforms", {}), f"{rule.id}: platform {pid}"
            hosts = call.options.get("hosts")
            for name in ([hosts] if isinstance(hosts, str) else hosts or ()):
                assert name in data.get("hosts", {}), f"{rule.id}: host list {name}"


def test_indicator_docs_are_current():
    assert DOC_PATH.read_text(encoding="utf-8") == current(), "run: egov-audit rules docs --write"
