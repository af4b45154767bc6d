"""Editions are data: the code systems come from rules/editions.yaml, and no module names one."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from egov_audit.editions import code_columns, code_systems, default_edition, display_code, editions, primary_code
from egov_audit.judge.rules import RuleError, load_rule

ROOT = Path(__file__).resolve().parent.parent
CODE_PACKAGES = ("egov_audit", "crawler", "checks", "reports", "bench")


def test_the_primary_code_system_is_the_default_profiles_and_comes_first():
    assert primary_code() == editions()["profiles"][default_edition()]["code"] == next(iter(code_systems()))
    assert editions()["participation"] in editions()["profiles"]
    assert len(set(code_columns().values())) == len(code_systems())


def test_display_code_prefers_the_primary_code_then_labels_the_others():
    primary, other = list(code_systems())[:2]
    label = code_systems()[other]["label"]
    assert display_code({primary: "#205", other: "#005"}) == "#205"
    assert display_code({other: "#323"}) == f"{label} #323"
    assert display_code({}, fallback="suppl.") == "suppl."


def test_no_module_names_an_edition():
    names = set(code_systems()) | set(editions()["profiles"])
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    found = []
    for package in CODE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in (".py", ".json", ".j2", ".yaml") and path.is_file():
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                    if pattern.search(line):
                        found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []


def test_a_rule_with_a_code_system_editions_yaml_does_not_know_is_rejected(tmp_path):
    source = next((ROOT / "rules").glob("technology/sitemap.yaml"))
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["codes"] = {"nosuch2099": "#1"}
    bad = tmp_path / "technology" / "sitemap.yaml"
    bad.parent.mkdir()
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(RuleError, match="nosuch2099"):
        load_rule(bad)
    data["codes"] = {primary_code(): "#205"}
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_rule(bad).codes == {primary_code(): "#205"}
