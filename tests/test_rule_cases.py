"""Every automated rule has page fixtures that make it pass and that make it fail (traps included)."""
import pytest

from egov_audit.judge.rulecases import case_files, run_cases
from egov_audit.judge.rules import load_data, load_rules

RULES = {r.id: r for r in load_rules()}
DATA = load_data()


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_rule_cases(path):
    results = run_cases(path, RULES, DATA)
    wrong = [f"{r.name}: expected {r.expect}, got {r.got} ({r.reason[:150]})" for r in results if not r.ok]
    assert not wrong, "\n".join(wrong)


def review_only(rule) -> bool:
    """A rule whose best check cannot reach its pass bar (a person must judge): its positive case is a review."""
    from egov_audit.judge.rules import CONFIDENCE_RANK
    best = max((CONFIDENCE_RANK[c.confidence] for c in rule.any + rule.all), default=0)
    return best < CONFIDENCE_RANK[rule.min_confidence]


def test_every_automated_rule_has_a_passing_and_a_failing_fixture():
    import glob

    import yaml
    seen: dict[str, set] = {}
    for f in glob.glob(str(case_files()[0].parent / "*.yaml")) if case_files() else []:
        spec = yaml.safe_load(open(f, encoding="utf-8"))
        for case in spec["cases"]:
            rule = RULES.get(spec["rule"])
            positive = "pass" if case["expect"] == "pass" or (case["expect"] == "review" and rule and review_only(rule)) else "not-pass"
            seen.setdefault(spec["rule"], set()).add(positive)
    from tests.support.fixturecheck import fixture_sites
    for site in fixture_sites():
        spec = yaml.safe_load((site / "expected.yaml").read_text(encoding="utf-8"))
        for rule_id, want in (spec.get("expected") or {}).items():
            seen.setdefault(rule_id, set()).add("pass" if want == "pass" else "not-pass")
    lacking = sorted(r.id for r in RULES.values() if r.automation != "manual" and seen.get(r.id) != {"pass", "not-pass"})
    assert not lacking, f"{len(lacking)} automated rules lack a passing or a failing fixture: {lacking}"
