"""The indicator catalogue: rule files (rules/<criterion>/<id>.yaml) loaded, validated and compiled."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from egov_audit.paths import RULES_DIR, SCHEMAS_DIR

CONFIDENCE_RANK = {"low": 1, "medium": 2, "high": 3}
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present: 10x faster on 116 files


class RuleError(ValueError):
    """A rule file that cannot be used (schema, unknown check, bad options): names the file."""


@dataclass
class CheckCall:
    name: str
    confidence: str
    options: dict            # compiled by the check's prepare()
    site: bool


@dataclass
class Rule:
    id: str
    version: int
    title: str
    codes: dict
    criterion: str
    definition: str
    automation: str
    path: Path
    scope: tuple = ("portal", "satellite")
    kinds: tuple = ("html", "pdf")
    min_confidence: str = "medium"
    any: list[CheckCall] = field(default_factory=list)
    all: list[CheckCall] = field(default_factory=list)
    none: list[CheckCall] = field(default_factory=list)
    manual_reason: str = ""
    raw: dict = field(default_factory=dict)


@lru_cache(maxsize=1)
def rule_schema() -> dict:
    return json.loads((SCHEMAS_DIR / "rule.schema.json").read_text(encoding="utf-8"))


def checked_validator(schema: dict):
    """A validator whose schema is checked once: jsonschema.validate() re-checks the schema itself on every
    call, which was half the time of loading the rules."""
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def rule_validator():
    return checked_validator(rule_schema())


def _compile_calls(entries, path: Path) -> list[CheckCall]:
    from checks import CHECKS
    calls = []
    for entry in entries or ():
        spec = CHECKS.get(entry["check"])
        if spec is None:
            raise RuleError(f"{path}: unknown check '{entry['check']}' (known: {', '.join(sorted(CHECKS))})")
        options = dict(entry.get("with") or {})
        try:
            options = spec.prepare(options) if spec.prepare else options
        except Exception as exc:   # a bad regex or option shape is the rule author's error: say where
            raise RuleError(f"{path}: check '{entry['check']}': bad options: {exc}") from exc
        calls.append(CheckCall(entry["check"], entry.get("confidence", "medium"), options, spec.site))
    return calls


def _inherit_link_exclusions(rule: "Rule") -> None:
    """Pages a rule rejects as evidence (its `none` URL patterns, e.g. news stories) cannot become
    evidence by being linked either: link texts pointing at them are ignored by its keyword and link checks."""
    import re
    patterns = [c.options["pattern"] for c in rule.none if c.name == "url-pattern" and c.options.get("pattern")]
    if not patterns:
        return
    compiled = [re.compile(p) for p in patterns]

    class AnyPattern:   # each pattern keeps its own inline flags, e.g. (?i)
        @staticmethod
        def search(text: str):
            return next((m for m in (c.search(text) for c in compiled) if m), None)

    combined = AnyPattern()
    for call in rule.any + rule.all:
        if call.name in ("keyword-match", "link-match") and "_ignore_links" not in call.options:
            call.options["_ignore_links"] = combined


def load_rule(path: Path) -> Rule:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        rule_validator().validate(data)
    except (yaml.YAMLError, jsonschema.ValidationError) as exc:
        raise RuleError(f"{path}: {getattr(exc, 'message', exc)}") from exc
    if data["id"] != path.stem:
        raise RuleError(f"{path}: id '{data['id']}' differs from the file name")
    rule = Rule(
        id=data["id"], version=data["version"], title=data["title"], codes=data["codes"],
        criterion=data["criterion"], definition=data["definition"], automation=data["automation"], path=path,
        scope=tuple(data.get("scope") or ("portal", "satellite")), kinds=tuple(data.get("kinds") or ("html", "pdf")),
        min_confidence=data.get("min_confidence_for_pass", "medium"),
        any=_compile_calls(data.get("any"), path), all=_compile_calls(data.get("all"), path),
        none=_compile_calls(data.get("none"), path), manual_reason=data.get("manual_reason", ""), raw=data)
    _inherit_link_exclusions(rule)
    return rule


def rule_files(rules_dir: Path = RULES_DIR) -> list[Path]:
    return sorted(p for p in rules_dir.glob("*/*.yaml") if not p.parent.name.startswith("_"))


def load_rules(rules_dir: Path = RULES_DIR) -> list[Rule]:
    rules = [load_rule(p) for p in rule_files(rules_dir)]
    seen: dict[str, Path] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"{rule.path}: id '{rule.id}' is also used by {seen[rule.id]}")
        seen[rule.id] = rule.path
    return rules


@lru_cache(maxsize=4)
def rule_catalogue(rules_dir: Path = RULES_DIR) -> dict[str, dict]:
    """id → {title, definition, codes, criterion, automation}: what reports and exports show beside a verdict.

    Tolerant on purpose: a broken rule file is reported by the loader when judging, not by a report of
    verdicts already stored.
    """
    catalogue = {}
    for path in rule_files(rules_dir):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
        except (OSError, yaml.YAMLError):
            continue
        catalogue[data.get("id", path.stem)] = {k: data.get(k) for k in ("title", "definition", "codes", "criterion",
                                                                         "automation")}
    return catalogue


def rule_titles() -> dict[str, str]:
    """id → title (a verdict of a rule since removed keeps its id as title where this is used)."""
    return {rule_id: entry.get("title") or rule_id for rule_id, entry in rule_catalogue().items()}


def load_data(rules_dir: Path = RULES_DIR) -> dict:
    """rules/_data/<name>.yaml → {name: parsed}: platform signatures, host lists."""
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) or {}
            for p in sorted((rules_dir / "_data").glob("*.yaml"))}


def rules_digest(rules_dir: Path = RULES_DIR) -> str:
    digest = hashlib.sha256()
    for path in rule_files(rules_dir) + sorted((rules_dir / "_data").glob("*.yaml")):
        digest.update(path.relative_to(rules_dir).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
