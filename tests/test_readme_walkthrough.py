"""The README's "Add an indicator (five minutes)" walkthrough, followed literally: its rule file and rule-case
file are written into a copy of rules/, and its commands run against that copy."""
import os
import re
import shlex
import shutil
import subprocess
import sys

from egov_audit.paths import REPO_ROOT


def walkthrough() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Add an indicator (five minutes)")
    return readme[start:readme.index("\n## ", start + 10)]


def files_and_commands(text: str):
    """The files the steps write ({path: YAML}) and the commands they run, in order."""
    files = {}
    for path, body in re.findall(r"`((?:rules|fixtures/rules)/[\w/-]+\.yaml)`(?:(?!```).)*?```yaml\n(.*?)```", text, re.S):
        files[path] = body
    commands = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines() if line]
    return files, commands


def test_the_walkthrough_adds_a_working_indicator(tmp_path):
    files, commands = files_and_commands(walkthrough())
    assert set(files) == {"rules/services-provision/parking-permits.yaml", "fixtures/rules/parking-permits.yaml"}
    assert commands == ["egov-audit rules check", "egov-audit rules test parking-permits"]
    rules, cases = tmp_path / "rules", tmp_path / "cases"
    shutil.copytree(REPO_ROOT / "rules", rules)
    cases.mkdir()
    (rules / "services-provision" / "parking-permits.yaml").write_text(
        files["rules/services-provision/parking-permits.yaml"], encoding="utf-8")
    (cases / "parking-permits.yaml").write_text(files["fixtures/rules/parking-permits.yaml"], encoding="utf-8")
    env = {**os.environ, "EGOV_RULES_DIR": str(rules), "EGOV_RULE_CASES_DIR": str(cases)}
    outputs = []
    for command in commands:
        args = shlex.split(command)
        assert args[0] == "egov-audit"
        done = subprocess.run([sys.executable, "-m", "egov_audit.app.cli", *args[1:]], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)
        assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
    count = len([p for p in rules.glob("*/*.yaml") if not p.parent.name.startswith("_")])   # _data/ holds no rules
    assert f"{count} rule files in {rules}: all valid" in outputs[0]
    assert "ok   en-application-form: expected pass, got review" not in outputs[1]
    assert "ok   en-application-form: expected pass, got pass" in outputs[1]
    assert "ok   en-news-story-is-not-the-service: expected fail, got fail" in outputs[1]
    assert "parking-permits: every case passes and the rule is tested both ways" in outputs[1]


def test_the_walkthrough_fails_loudly_when_the_rule_is_wrong(tmp_path):
    """The same steps with the rule's cases asking the wrong thing: `rules test` says which case, exit 1."""
    files, _ = files_and_commands(walkthrough())
    rules, cases = tmp_path / "rules", tmp_path / "cases"
    shutil.copytree(REPO_ROOT / "rules", rules)
    cases.mkdir()
    (rules / "services-provision" / "parking-permits.yaml").write_text(
        files["rules/services-provision/parking-permits.yaml"], encoding="utf-8")
    (cases / "parking-permits.yaml").write_text(
        files["fixtures/rules/parking-permits.yaml"].replace("expect: fail", "expect: pass"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "rules", "test", "parking-permits",
                           "--rules", str(rules), "--cases", str(cases)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL en-news-story-is-not-the-service: expected pass, got fail" in done.stdout
    assert "problem: case 'en-news-story-is-not-the-service' expected pass, got fail" in done.stderr
    assert "problem: rule 'parking-permits' lacks a case expecting fail or not-pass" in done.stderr
