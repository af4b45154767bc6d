"""The indicator catalogue: rule files (rules/<criterion>/<id>.yaml) loaded, validated and compiled."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from checks.base import Options, did_you_mean
from egov_audit.outcomes import CONFIDENCE_RANK, Confidence  # noqa: F401  (CONFIDENCE_RANK: for callers)
from egov_audit.editions import code_systems
from egov_audit.paths import RULES_DIR, SCHEMAS_DIR

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present: 10x faster on 116 files


class RuleError(ValueError):
    """A rule file that cannot be used (schema, unknown check, bad options): names the file and the line."""

    def __init__(self, message: str, problems: list["Problem"] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class Problem:
    """One thing wrong in a rule file, where it is, and what would be right."""
    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}{'' if self.line is None else f':{self.line}'}: {self.message}"


@dataclass
class CheckCall:
    name: str
    confidence: Confidence
    options: Options         # the author's options (validated) with what the check's prepare() compiled, apart
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
    min_confidence: Confidence = Confidence.MEDIUM
    any: list[CheckCall] = field(default_factory=list)
    all: list[CheckCall] = field(default_factory=list)
    none: list[CheckCall] = field(default_factory=list)
    manual_reason: str = ""
    raw: dict = field(default_factory=dict)


@lru_cache(maxsize=1)
def rule_schema() -> dict:
    schema = json.loads((SCHEMAS_DIR / "rule.schema.json").read_text(encoding="utf-8"))
    # the code systems a rule may carry are data (rules/editions.yaml), not part of the schema file
    codes = schema["properties"]["codes"]
    codes["propertyNames"] = {"enum": list(code_systems())}
    codes["description"] += f" (code systems: {', '.join(code_systems())})"
    return schema


def checked_validator(schema: dict):
    """A validator whose schema is checked once: jsonschema.validate() re-checks the schema itself on every
    call, which was half the time of loading the rules."""
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def rule_validator():
    return checked_validator(rule_schema())


# ---- reading a rule file with line numbers ----------------------------------------------------------------

def parse_yaml(text: str):
    """(data, root node): the node tree keeps every key's and value's line, for messages that say where."""
    loader = YAML_LOADER(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def line_of(node, where: tuple, key: bool = False) -> int | None:
    """1-based line of the value at `where` (a path of keys and indexes), or of its key with key=True;
    the nearest enclosing line when the path does not exist (e.g. a missing field)."""
    line = node.start_mark.line + 1 if node is not None else None
    for step in where:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            pair = next(((k, v) for k, v in node.value if k.value == step), None)
            if pair is None:
                return line
            line = (pair[0] if key and step == where[-1] else pair[1]).start_mark.line + 1
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _schema_problem(error) -> tuple[tuple, bool, str]:
    """(path, point at the key?, message) for a schema error, in the words of a rule author."""
    where = tuple(error.absolute_path)
    name = ".".join(str(p) for p in where) or "the rule"
    checks_entry = len(where) >= 2 and where[0] in ("any", "all", "none") and isinstance(where[1], int)
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        what = f"check entry {where[1] + 1} of `{where[0]}`" if checks_entry else ("the rule" if not where else name)
        wrong = extra[0] if extra else "?"
        return where + (wrong,), True, (f"unknown field '{wrong}' in {what}{did_you_mean(wrong, allowed)} "
                                        f"(allowed: {', '.join(allowed)})")
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return where, False, f"{name} lacks the required field '{missing}'"
    if error.validator == "enum":
        return where, False, (f"{name}: {error.instance!r} is not allowed (allowed: "
                              f"{', '.join(map(str, error.validator_value))})")
    if error.validator == "type":
        return where, False, f"{name} must be of type {error.validator_value}, got {error.instance!r:.60}"
    if error.validator in ("not", "anyOf") and error.schema is not None and not where:
        if "manual" in json.dumps(error.schema) or error.validator == "not":
            return where, False, "a manual rule has no `any`/`all` checks (it gives `manual_reason` instead)"
        return where, False, "an automated rule needs `any` or `all` checks (or automation: manual with a manual_reason)"
    return where, False, f"{name}: {error.message}"


def _call_problems(entries, group: str, locate, data: dict | None = None) -> list[tuple[int | None, str]]:
    """Unknown checks and options that do not fit a check's declarations (see checks/base.py Option)."""
    from checks import CHECKS
    problems = []
    for index, entry in enumerate(entries or ()):
        spec = CHECKS.get(entry["check"])
        if spec is None:
            problems.append((locate((group, index, "check")),
                             f"unknown check '{entry['check']}'{did_you_mean(entry['check'], CHECKS)} "
                             f"(known: {', '.join(sorted(CHECKS))})"))
            continue
        for option, message in spec.option_problems(entry.get("with") or {}, data):
            at = (group, index, "with", option) if option else (group, index, "with" if "with" in entry else "check")
            problems.append((locate(at, key=bool(option)), message))
    return problems


def read_rule(path: Path) -> tuple[Rule | None, list[Problem]]:
    """The rule of a file, or every problem found in it (each naming its line)."""
    try:
        data, root = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(path, mark.line + 1 if mark else None,
                              f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, None, f"cannot be read: {exc}")]

    def locate(where: tuple, key: bool = False) -> int | None:
        return line_of(root, where, key)

    if not isinstance(data, dict):
        return None, [Problem(path, locate(()), "a rule file holds one mapping (id, title, codes, …)")]
    errors = sorted(rule_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        problems = []
        for error in errors:
            where, key, message = _schema_problem(error)
            problems.append(Problem(path, locate(where, key), message))
        return None, sorted({str(p): p for p in problems}.values(), key=lambda p: p.line or 0)
    problems = []
    toolkits = _toolkits(path.parent.parent)
    if "toolkit" in data and data["toolkit"] not in toolkits:
        problems.append(Problem(path, locate(("toolkit",)), f"toolkit '{data['toolkit']}' is not a source of "
                                f"{path.parent.parent.name}/_criteria.yaml (allowed: {', '.join(toolkits) or 'none'})"))
    if data["id"] != path.stem:
        problems.append(Problem(path, locate(("id",)), f"id '{data['id']}' differs from the file name "
                                                       f"(rename the file to {data['id']}.yaml or change the id)"))
    raw, (data, found) = data, _with_concepts(data, path.parent.parent)
    problems += [Problem(path, locate(where), message) for where, message in found]
    for group in ("any", "all", "none"):
        problems += [Problem(path, line, message)
                     for line, message in _call_problems(data.get(group), group, locate, _shared_data(path.parent.parent))]
    if problems:
        return None, problems
    try:
        none = _compile_calls(data.get("none"), "none", locate, path)
        excluded = _excluded_links(none)
        rule = Rule(
            id=data["id"], version=data["version"], title=data["title"], codes=data["codes"],
            criterion=data["criterion"], definition=data["definition"], automation=data["automation"], path=path,
            scope=tuple(data.get("scope") or ("portal", "satellite")), kinds=tuple(data.get("kinds") or ("html", "pdf")),
            min_confidence=Confidence(data.get("min_confidence_for_pass", "medium")),
            any=_compile_calls(data.get("any"), "any", locate, path, excluded),
            all=_compile_calls(data.get("all"), "all", locate, path, excluded),
            none=none, manual_reason=data.get("manual_reason", ""), raw=raw)
    except RuleError as exc:
        return None, exc.problems
    return rule, []


def _with_concepts(data: dict, rules_dir: Path) -> tuple[dict, list[tuple[tuple, str]]]:
    """The rule with every concept reference of a keywords option (`keywords: {concepts: [faq]}`) replaced by
    the lexicon's terms (rules/_lexicon/), and [(where in the rule, problem)] for unknown concepts."""
    from checks import CHECKS
    from egov_audit.judge.lexicon import load_lexicon, resolve
    lexicon, out, problems = None, dict(data), []
    for group in ("any", "all", "none"):
        entries = []
        for index, entry in enumerate(data.get(group) or ()):
            spec = CHECKS.get(entry.get("check"))
            given = entry.get("with")
            if spec is not None and isinstance(given, dict):
                changed = dict(given)
                for name, value in given.items():
                    option = spec.options.get(name)
                    if option is None or option.type != "keywords" or not isinstance(value, dict) or "concepts" not in value:
                        continue
                    lexicon = lexicon or load_lexicon(rules_dir)
                    changed[name], found = resolve(value, lexicon)
                    problems += [((group, index, "with", name) + where, message) for where, message in found]
                entry = {**entry, "with": changed}
            entries.append(entry)
        if group in data:
            out[group] = entries
    return out, problems


@lru_cache(maxsize=4)
def _shared_data(rules_dir: Path) -> dict:
    """rules/_data of the folder a rule sits in (host lists, platform signatures), parsed once per load."""
    try:
        return load_data(rules_dir)
    except (OSError, yaml.YAMLError):
        return {}


@lru_cache(maxsize=4)
def _toolkits(rules_dir: Path) -> list[str]:
    """The UN pages a rule's advice may link (`sources` of rules/_criteria.yaml)."""
    try:
        criteria = yaml.load((rules_dir / "_criteria.yaml").read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    except (OSError, yaml.YAMLError):
        return []
    return list(criteria.get("sources") or {})


def _compile_calls(entries, group: str, locate, path: Path, excluded=None) -> list[CheckCall]:
    from checks import CHECKS
    calls = []
    for index, entry in enumerate(entries or ()):
        spec = CHECKS[entry["check"]]
        try:
            options = spec.make_options(dict(entry.get("with") or {}), excluded)
        except Exception as exc:   # a prepare() that cannot compile the options is the rule author's error: say where
            problem = Problem(path, locate((group, index, "with")), f"check '{entry['check']}': bad options: {exc}")
            raise RuleError(str(problem), [problem]) from exc
        calls.append(CheckCall(entry["check"], Confidence(entry.get("confidence", "medium")), options, spec.site))
    return calls


def _excluded_links(none: list[CheckCall]):
    """Pages a rule rejects as evidence (e.g. news stories, by its `none` address patterns) cannot become
    evidence by being linked either: the rule's checks that read links ignore links to them. Which checks
    reject addresses, and how, each check declares (CheckSpec.excludes); the loader only combines them."""
    from checks import CHECKS
    matchers = [m for m in (CHECKS[c.name].excludes(c.options) for c in none if CHECKS[c.name].excludes) if m is not None]
    if not matchers:
        return None

    class AnyOf:   # each pattern keeps its own inline flags, e.g. (?i)
        @staticmethod
        def search(text: str):
            return next((m for m in (c.search(text) for c in matchers) if m), None)

    return AnyOf()


def _lexicon_problems(rules_dir: Path) -> list[Problem]:
    """What is wrong in rules/_lexicon/ (a broken language file would silently drop a language otherwise)."""
    from egov_audit.judge.lexicon import load_lexicon
    return list(load_lexicon(rules_dir).problems)


def load_rule(path: Path) -> Rule:
    rule, problems = read_rule(path)
    if problems:
        more = f" (and {len(problems) - 1} more: run egov-audit rules check)" if len(problems) > 1 else ""
        raise RuleError(f"{problems[0]}{more}", problems)
    return rule


def rule_files(rules_dir: Path = RULES_DIR) -> list[Path]:
    return sorted(p for p in rules_dir.glob("*/*.yaml") if not p.parent.name.startswith("_"))


def load_rules(rules_dir: Path = RULES_DIR) -> list[Rule]:
    lexicon_problems = _lexicon_problems(rules_dir)
    if lexicon_problems:
        more = f" (and {len(lexicon_problems) - 1} more: run egov-audit rules check)" if len(lexicon_problems) > 1 else ""
        raise RuleError(f"{lexicon_problems[0]}{more}", lexicon_problems)
    rules = [load_rule(p) for p in rule_files(rules_dir)]
    seen: dict[str, Path] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"{rule.path}: id '{rule.id}' is also used by {seen[rule.id]}")
        seen[rule.id] = rule.path
    return rules


def check_rules(rules_dir: Path = RULES_DIR) -> tuple[list[Rule], list[Problem]]:
    """Every rule of a folder read and validated: (the good rules, every problem of the others)."""
    rules, problems, seen = [], list(_lexicon_problems(rules_dir)), {}
    for path in rule_files(rules_dir):
        rule, found = read_rule(path)
        problems += found
        if rule is None:
            continue
        if rule.id in seen:
            problems.append(Problem(path, 1, f"id '{rule.id}' is also used by {seen[rule.id]}"))
            continue
        seen[rule.id] = path
        rules.append(rule)
    return rules, problems


@lru_cache(maxsize=4)
def rule_catalogue(rules_dir: Path = RULES_DIR) -> dict[str, dict]:
    """id → {title, definition, codes, criterion, automation, recommendation, toolkit}: what reports and exports
    show beside a verdict.

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
                                                                         "automation", "recommendation", "toolkit")}
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
    for path in rule_files(rules_dir) + sorted((rules_dir / "_data").glob("*.yaml")) + sorted((rules_dir / "_lexicon").glob("*.yaml")):
        digest.update(path.relative_to(rules_dir).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
