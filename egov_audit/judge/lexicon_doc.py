"""docs/lexicon.md, generated from rules/_lexicon/ and the rules that name its concepts (a test fails when stale)."""
from __future__ import annotations

from egov_audit.judge.lexicon import Lexicon, load_lexicon
from egov_audit.judge.rules import Rule, load_rules
from egov_audit.paths import REPO_ROOT

DOC_PATH = REPO_ROOT / "docs" / "lexicon.md"


def concept_uses(rules: list[Rule]) -> dict[str, list[str]]:
    """concept → ids of the rules that name it (in any keywords option of any check)."""
    uses: dict[str, list[str]] = {}
    for rule in rules:
        for group in ("any", "all", "none"):
            for entry in rule.raw.get(group) or ():
                for value in (entry.get("with") or {}).values():
                    if isinstance(value, dict) and "concepts" in value:
                        names = value["concepts"] if isinstance(value["concepts"], list) else [value["concepts"]]
                        for name in names:
                            if rule.id not in uses.setdefault(name, []):
                                uses[name].append(rule.id)
    return uses


def render(lexicon: Lexicon, rules: list[Rule]) -> str:
    uses = concept_uses(rules)
    codes = sorted(lexicon.languages)
    coverage = lexicon.coverage()
    lines = [
        "# Lexicon coverage",
        "",
        "Generated from `rules/_lexicon/` by `egov-audit rules docs --write`; do not edit by hand.",
        "",
        f"{len(lexicon.concepts)} concepts in {len(codes)} languages. A language is one file, `rules/_lexicon/<code>.yaml`; "
        "`match` says how its terms meet a page's text (word: whole words, a few letters of ending; prefix: every word "
        "is a stem that may take any ending; substring: found anywhere, for scripts without word spaces). Rules name "
        "concepts (`keywords: {concepts: [faq]}`); the word lists of rules not listed below are still written inline "
        "in the rule files.",
        "",
        "## Languages",
        "",
        "| code | language | match | terms |",
        "| --- | --- | --- | ---: |",
    ]
    for code in codes:
        language = lexicon.languages[code]
        lines.append(f"| {code} | {language.name} | {language.match} | {sum(len(t) for t in language.terms.values())} |")
    lines += ["", "## Concepts", "", "| concept | meaning | used by |", "| --- | --- | --- |"]
    for concept, meaning in lexicon.concepts.items():
        lines.append(f"| {concept} | {meaning} | {', '.join(uses.get(concept, [])) or '(no rule yet)'} |")
    lines += ["", "## Terms per concept and language", "",
              "| concept | " + " | ".join(codes) + " |", "| --- |" + " ---: |" * len(codes)]
    for concept, row in coverage.items():
        lines.append(f"| {concept} | " + " | ".join(str(row[c]) if row[c] else "**0**" for c in codes) + " |")
    return "\n".join(lines) + "\n"


def current() -> str:
    return render(load_lexicon(), load_rules())
