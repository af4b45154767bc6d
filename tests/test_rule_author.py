"""The rule author's promise: a mistake in a rule is a clear error naming the file and line, what is wrong and
what is allowed — on `rules check` and on every command that loads rules (one line, exit code 2) — and the
rule author's reference (docs/rules.md) is generated from the checks themselves and its example validates."""
import os
import shutil
import subprocess
import sys

import pytest

from egov_audit.judge.rules import RuleError, load_rule, read_rule
from egov_audit.judge.rules_doc import DOC_PATH, EXAMPLE, EXAMPLE_ID, current
from egov_audit.paths import REPO_ROOT

GOOD = """\
id: parking-permits
version: 1
title: Residents can apply for a parking permit online
codes: {losi2024: "#999"}
criterion: services-provision
definition: An online application for a residents' parking permit.
automation: assisted
any:
  - check: link-match
    confidence: medium
    with:
      anchor: {en: [parking permit]}
      positions: [navigation, body]
  - check: keyword-match
    confidence: low
    with:
      keywords: {en: [parking permit]}
      window: 120
"""


def write(tmp_path, text: str, name: str = "parking-permits"):
    path = tmp_path / "services-provision" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path, text: str) -> list[str]:
    rule, found = read_rule(write(tmp_path, text))
    assert rule is None and found
    return [str(p) for p in found]


def cli(*args, env=None, cwd=REPO_ROOT):
    return subprocess.run([sys.executable, "-m", "egov_audit.app.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={**os.environ, **(env or {})})


def test_a_good_rule_loads(tmp_path):
    rule = load_rule(write(tmp_path, GOOD))
    assert [c.name for c in rule.any] == ["link-match", "keyword-match"]
    assert dict(rule.any[1].options.given) == {"keywords": {"en": ["parking permit"]}, "window": 120}
    assert rule.any[1].options.compiled["keywords"].pattern is not None    # compiled, kept apart


def test_misspelt_option_names_the_line_and_the_allowed_options(tmp_path):
    [message] = problems(tmp_path, GOOD.replace("      positions:", "      postions:"))
    assert message.endswith("parking-permits.yaml:13: check 'link-match' has no option 'postions' — did you mean "
                            "'positions'? (allowed: anchor, href, hosts, to, positions, min_distinct)"), message


def test_wrong_type_and_value_not_allowed(tmp_path):
    found = problems(tmp_path, GOOD.replace("window: 120", "window: wide").replace("[navigation, body]", "[navbar]"))
    assert any(m.endswith(":13: option 'positions' of check 'link-match' does not allow 'navbar' "
                          "(allowed: navigation, header, footer, body)") for m in found), found
    assert any(m.endswith(":18: option 'window' of check 'keyword-match' must be a whole number, got 'wide'")
               for m in found), found


def test_misspelt_field_of_a_check_entry_and_of_the_rule(tmp_path):
    [message] = problems(tmp_path, GOOD.replace("    with:\n      keywords", "    wiht:\n      keywords"))
    assert message.endswith(":16: unknown field 'wiht' in check entry 2 of `any` — did you mean 'with'? "
                            "(allowed: check, confidence, with, why)"), message
    found = problems(tmp_path, GOOD.replace("definition:", "defintion:"))
    assert any(":6: unknown field 'defintion' in the rule — did you mean 'definition'? (allowed: id, version, title"
               in m for m in found), found


def test_unknown_check_bad_regex_and_missing_required_option(tmp_path):
    found = problems(tmp_path, GOOD.replace("check: link-match", "check: link-matches"))
    assert found[0].endswith(":9: unknown check 'link-matches' — did you mean 'link-match'? (known: " +
                             found[0].split("(known: ")[1]) and "url-pattern" in found[0]
    text = GOOD + "none:\n  - check: url-pattern\n    with: {pattern: '(news'}\n  - check: url-pattern\n"
    found = problems(tmp_path, text)
    assert any(m.endswith(":21: option 'pattern' of check 'url-pattern' is not a valid regular expression "
                          "(missing ), unterminated subpattern at position 0)") for m in found), found
    assert any(":22: check 'url-pattern' needs option 'pattern'" in m for m in found), found


def test_names_of_shared_data_are_checked_against_rules_data(tmp_path):
    shutil.copytree(REPO_ROOT / "rules" / "_data", tmp_path / "_data")
    text = GOOD + "  - check: platform\n    confidence: high\n    with: {platforms: [decidm], feature: budgets}\n"
    [message] = problems(tmp_path, text)
    assert message.endswith(":21: option 'platforms' of check 'platform' names 'decidm', not in "
                            "rules/_data/platforms.yaml — did you mean 'decidim'? (known: " + message.split("(known: ")[1])
    [message] = problems(tmp_path, GOOD.replace("      positions: [navigation, body]", "      hosts: social-network"))
    assert ":13: option 'hosts' of check 'link-match' names 'social-network', not in rules/_data/hosts.yaml — " \
           "did you mean 'social-networks'?" in message, message


def test_a_misspelt_rule_case_is_an_error_with_its_line(tmp_path):
    from egov_audit.judge.rulecases import case_file_problems
    rules_dir = tmp_path / "rules"
    rule = load_rule(write(rules_dir, GOOD))
    cases = tmp_path / "parking-permits.yaml"
    cases.write_text("rule: parking-permits\ncases:\n  - name: en-permit\n    expect: pas\n    pages:\n"
                     "      - url: https://www.city.example/parking/\n        htm: <h1>Parking permit</h1>\n",
                     encoding="utf-8")
    found = [str(p) for p in case_file_problems(cases, {rule.id: rule})]
    assert found == [f"{cases}:4: case 'en-permit' expects 'pas' (allowed: pass, fail, review, not-pass, manual, "
                     "error, not_applicable)",
                     f"{cases}:7: unknown field 'htm' in a page of case 'en-permit' — did you mean 'html'? (allowed: "
                     "click_depth, content_type, headers, html, kind, scope, status, text, title, url)"], found
    done = cli("rules", "test", "parking-permits", "--rules", str(rules_dir), "--cases", str(tmp_path))
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        f"error: {found[0]} (and 1 more)"], done.stderr


def test_load_rule_raises_the_first_problem_and_counts_the_rest(tmp_path):
    with pytest.raises(RuleError) as caught:
        load_rule(write(tmp_path, GOOD.replace("window: 120", "window: wide").replace("positions:", "postions:")))
    assert ":13: check 'link-match' has no option 'postions'" in str(caught.value)
    assert str(caught.value).endswith("(and 1 more: run egov-audit rules check)")
    assert len(caught.value.problems) == 2


@pytest.fixture(scope="module")
def broken_rules(tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken") / "rules"
    shutil.copytree(REPO_ROOT / "rules", folder)
    path = folder / "e-government-literacy" / "privacy-policy.yaml"
    text = path.read_text(encoding="utf-8")
    assert "      positions:" in text
    path.write_text(text.replace("      positions:", "      postions:", 1), encoding="utf-8")
    line = text[:text.index("      positions:")].count("\n") + 1
    return folder, path, line


def test_rules_check_lists_every_problem_and_exits_2(broken_rules):
    folder, path, line = broken_rules
    done = cli("rules", "check", "--rules", str(folder))
    assert done.returncode == 2, done.stderr
    assert f"{path}:{line}: check 'link-match' has no option 'postions'" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("1 problems in 1 of ")
    good = cli("rules", "check")
    assert good.returncode == 0 and "all valid" in good.stdout, good.stderr


@pytest.mark.parametrize("command", [["rules", "list"], ["rules", "show", "privacy-policy"],
                                     ["evaluate", "--db", "missing.db"], ["rules", "test", "privacy-policy"],
                                     ["audit", "http://127.0.0.1:9/", "--db", "never.db"],
                                     ["report", "--db", "missing.db"], ["batch", "targets.csv"],
                                     ["monitor", "targets.csv"]])
def test_a_bad_rule_is_one_line_and_exit_2_on_every_command(broken_rules, command, tmp_path):
    folder, path, line = broken_rules
    done = cli(*command, env={"EGOV_RULES_DIR": str(folder)}, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0] == (f"error: {path}:{line}: check 'link-match' has no option 'postions' — did you mean 'positions'? "
                        "(allowed: anchor, href, hosts, to, positions, min_distinct)"), lines[0]


def test_every_check_says_what_it_detects_and_what_each_option_means():
    from checks import CHECKS
    for name, spec in CHECKS.items():
        assert len(spec.doc) >= 20, f"check '{name}' needs a docstring (it is its entry in docs/rules.md)"
        for option in spec.options.values():
            assert len(option.doc) >= 10, f"option '{option.name}' of check '{name}' needs a one-line doc"
            if option.default is not None:
                assert option.problem(list(option.default) if isinstance(option.default, tuple) else option.default) \
                    is None, f"the default of '{name}.{option.name}' does not fit its own declaration"


def test_rules_doc_is_current_and_its_example_validates(tmp_path):
    assert DOC_PATH.read_text(encoding="utf-8") == current(), "run: egov-audit rules docs --write"
    shutil.copytree(REPO_ROOT / "rules" / "_data", tmp_path / "_data")   # the platforms the example names
    rule = load_rule(write(tmp_path, EXAMPLE, EXAMPLE_ID))
    assert rule.id == EXAMPLE_ID and rule.any and rule.none
    assert EXAMPLE in DOC_PATH.read_text(encoding="utf-8")
