"""Every automated rule has page fixtures that make it pass and that make it fail (traps included).

The meta checks live in egov_audit.judge.rulecases, shared with `egov-audit rules test ID`.
"""
import pytest
import yaml

from egov_audit.judge.rulecases import case_files, case_kinds, coverage_problem, run_cases
from egov_audit.judge.rules import load_data, load_rules

RULES = {r.id: r for r in load_rules()}
DATA = load_data()


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_rule_cases(path):
    results = run_cases(path, RULES, DATA)
    wrong = [f"{r.name}: expected {r.expect}, got {r.got} ({r.reason[:150]})" for r in results if not r.ok]
    assert not wrong, "\n".join(wrong)


def test_every_automated_rule_has_a_passing_and_a_failing_fixture():
    seen = case_kinds(RULES)
    problems = [p for p in (coverage_problem(rule, seen.get(rule.id, set())) for rule in RULES.values()) if p]
    assert not problems, f"{len(problems)} automated rules are not tested both ways:\n" + "\n".join(problems)


def test_every_rule_case_file_names_a_rule():
    named = {path: (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rule") for path in case_files()}
    unknown = [f"{path}: rule '{rule}' is not in rules/" for path, rule in named.items() if rule not in RULES]
    assert not unknown, "\n".join(unknown)
