"""The scoring editions and the code systems of rules/editions.yaml: which code a rule carries per edition.

Edition names ("which index", "which code column") are data, never literals in the code: a new edition is a
change to rules/editions.yaml, and every reader (scoring, exports, the result, Datasette) follows it.
"""
from __future__ import annotations

from functools import lru_cache

import yaml

from egov_audit.paths import RULES_DIR


@lru_cache(maxsize=1)
def editions() -> dict:
    return yaml.safe_load((RULES_DIR / "editions.yaml").read_text(encoding="utf-8"))


def default_edition() -> str:
    """The profile a run is scored under when none is named."""
    return editions()["default"]


def participation_profile() -> str:
    """The e-participation profile, reported apart from the index."""
    return editions()["participation"]


def code_systems() -> dict[str, dict]:
    """code system → {label, column, description}, the primary one first."""
    return editions()["codes"]


def primary_code() -> str:
    """The code system of the default edition: a rule carrying it is in the index."""
    return editions()["profiles"][default_edition()]["code"]


def code_columns() -> dict[str, str]:
    """code system → its column in CSV exports (e.g. the LOSI code's column)."""
    return {code: system["column"] for code, system in code_systems().items()}


def display_code(codes: dict, fallback: str = "") -> str:
    """The code a person sees for a rule: the primary code as it is, else the first other code with its label."""
    primary = primary_code()
    if codes.get(primary):
        return codes[primary]
    for code, system in code_systems().items():
        if codes.get(code):
            return f"{system['label']} {codes[code]}"
    return fallback


def first_code(codes: dict) -> str:
    """The rule's code in the first code system (in editions.yaml's order) that it has, else ""."""
    return next((codes[code] for code in code_systems() if codes.get(code)), "")
