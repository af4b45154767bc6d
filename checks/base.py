"""The check registry and the shapes checks exchange with the engine.

A check is registered with the options a rule may give it (`Option`: name, type, default, allowed
values, a one-line doc). The rule loader validates every rule against these declarations, docs/rules.md
is generated from them, and the engine learns what a check searched from the check itself
(`describe`), so nothing outside a check knows its option names.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Callable

from egov_audit.outcomes import Outcome


@dataclass
class CheckResult:
    outcome: Outcome                               # pass | fail | review
    evidence: list[dict] = field(default_factory=list)
    reason: str = ""                               # why (shown for review and fail)

    def __post_init__(self):
        self.outcome = Outcome(self.outcome)       # a misspelt outcome fails here, not in a report

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASS


FAIL = CheckResult(Outcome.FAIL)


@dataclass
class Context:
    """What every check may read besides the page: the audit date and the shared data files."""
    audit_date: date
    data: dict                                     # name → parsed rules/_data/<name>.yaml
    site: object = None                            # egov_audit.page.site.Site, for site checks


# ---- option declarations ------------------------------------------------------------------------------

def _is_words(value) -> bool:
    return isinstance(value, list) and all(isinstance(w, (str, int, float)) and not isinstance(w, bool) for w in value)


def _regex_problem(value) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    return None


# type name → (what an author reads in an error and in docs/rules.md, test of a value)
TYPES: dict[str, tuple[str, Callable[[object], bool]]] = {
    "int": ("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "number": ("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "text": ("a text", lambda v: isinstance(v, str)),
    "regex": ("a regular expression (text)", lambda v: isinstance(v, str)),
    "list": ("a list of texts", _is_words),
    "text-or-list": ("a text or a list of texts", lambda v: isinstance(v, str) or _is_words(v)),
    "keywords": ("keywords per language ({en: [...], es: [...]}), concepts of rules/_lexicon ({concepts: [faq]}, "
                 "inline words may stand beside them) or one list",
                 lambda v: _is_words(v) or (isinstance(v, dict) and all(isinstance(k, str) and (w is None or _is_words(w))
                                                                       for k, w in v.items()))),
}


def _shown(value) -> str:
    return type(value).__name__ if not isinstance(value, (str, int, float, bool, list, dict)) else repr(value)[:60]


@dataclass(frozen=True)
class Option:
    """One option a rule may give a check under `with:`."""
    name: str
    type: str                                      # a key of TYPES
    doc: str                                       # one line, shown in docs/rules.md
    default: object = None                         # what the check uses when the rule does not say
    allowed: tuple = ()                            # allowed values (of the text, or of each list item)
    data: str = ""                                 # values must be names in rules/_data/<data>.yaml
    required: bool = False
    # what the check reports it searched (egov_audit.judge.engine collects it for a fail's "what was searched"):
    shown: bool = False                            # listed as check.option=value
    subject: bool = False                          # names what is looked for (else the check's name is listed)

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"option '{self.name}': unknown type '{self.type}' (known: {', '.join(TYPES)})")

    def problem(self, value, data: dict | None = None) -> str | None:
        """Why a value does not fit this option, in words a rule author can act on (None: it fits).
        `data`: the parsed rules/_data files, for options that name entries of one."""
        what, fits = TYPES[self.type]
        if not fits(value):
            return f"must be {what}, got {_shown(value)}"
        if self.type == "regex":
            return _regex_problem(value)
        if self.allowed:
            items = value if isinstance(value, list) else [value]
            wrong = [v for v in items if v not in self.allowed]
            if wrong:
                return f"does not allow {', '.join(repr(w) for w in wrong)} (allowed: {', '.join(map(str, self.allowed))})"
        if self.data and data is not None:
            known = data.get(self.data) or {}
            items = value if isinstance(value, list) else [value]
            wrong = [v for v in items if v not in known]
            if wrong:
                return (f"names {', '.join(repr(w) for w in wrong)}, not in rules/_data/{self.data}.yaml"
                        f"{_did_you_mean(str(wrong[0]), known)} (known: {', '.join(map(str, known))})")
        return None


class Options(Mapping):
    """What a check runs with. Reading it as a mapping gives the rule author's options (validated) over the
    declared defaults; `given` is exactly what the author wrote; `compiled` is what the check's prepare()
    made of them (regexes, keyword sets), kept apart from the author's keys; `excluded_links` matches the
    addresses of pages the rule rejects (its `none` checks), which link-reading checks ignore."""

    def __init__(self, given: Mapping, defaults: Mapping | None = None, compiled: Mapping | None = None,
                 excluded_links=None):
        self.given = MappingProxyType(dict(given))
        self._values = MappingProxyType({**(defaults or {}), **given})
        self.compiled = MappingProxyType(dict(compiled or {}))
        self.excluded_links = excluded_links

    def __getitem__(self, key):
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        return f"Options({dict(self.given)!r})"


@dataclass
class CheckSpec:
    name: str
    run: Callable                                  # (page_or_site, options: Options, context) -> CheckResult
    prepare: Callable | None                       # author's options -> compiled dict (once per rule)
    site: bool                                     # True: judged once per run on the Site
    options: dict[str, Option] = field(default_factory=dict)
    doc: str = ""                                  # the check's docstring: what it detects
    # a check in a rule's `none` that rejects pages by address gives a matcher of those addresses, so the
    # rule's other checks do not take a link to a rejected page as evidence
    excludes: Callable | None = None               # Options -> object with .search(url) (or None)
    describe: Callable | None = None               # Options -> {"languages": [...], "patterns": [...]}

    def option_problems(self, given, data: dict | None = None) -> list[tuple[str | None, str]]:
        """[(option name or None, what is wrong)] for the options a rule gives this check (`data`: the parsed
        rules/_data files, to check the names options refer to)."""
        if not isinstance(given, dict):
            return [(None, f"`with:` of check '{self.name}' must be a mapping of options, got {_shown(given)}")]
        problems = []
        for key, value in given.items():
            option = self.options.get(key)
            if option is None:
                problems.append((key, f"check '{self.name}' has no option '{key}'{_did_you_mean(key, self.options)} "
                                      f"(allowed: {', '.join(self.options) or 'none'})"))
                continue
            wrong = option.problem(value, data)
            if wrong:
                problems.append((key, f"option '{key}' of check '{self.name}' {wrong}"))
        for option in self.options.values():
            if option.required and option.name not in given:
                problems.append((None, f"check '{self.name}' needs option '{option.name}' ({option.doc})"))
        return problems

    def make_options(self, given: dict, excluded_links=None) -> Options:
        defaults = {o.name: o.default for o in self.options.values() if o.default is not None}
        compiled = self.prepare(given) if self.prepare else {}
        return Options(given, defaults, compiled, excluded_links)

    def reads_words(self, options: Options) -> bool:
        """Whether this call looks for words of a language (a `keywords` option naming what is looked for): such a
        call cannot see the feature on a portal written in a language its words do not cover."""
        return any(o.type == "keywords" and o.subject and options.given.get(o.name) for o in self.options.values())

    def searched(self, options: Options) -> dict:
        """What this call looked for: the check's own describe(), or what its declarations mark as shown."""
        if self.describe is not None:
            return self.describe(options)
        languages, patterns = set(), []
        given = options.given
        subjects = [o for o in self.options.values() if o.subject and given.get(o.name)]
        words = next((given[o.name] for o in subjects if o.type == "keywords"), None)
        if isinstance(words, dict):
            languages.update(words)
        patterns += [f"{self.name}.{o.name}={given[o.name]}" for o in self.options.values() if o.shown and given.get(o.name)]
        if not subjects:
            patterns.append(self.name)
        return {"languages": sorted(languages), "patterns": patterns}


def _did_you_mean(word: str, known) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


did_you_mean = _did_you_mean


CHECKS: dict[str, CheckSpec] = {}


def register(name: str, *, site: bool = False, prepare: Callable | None = None, options: list[Option] = (),
             excludes: Callable | None = None, describe: Callable | None = None):
    """Register a check with the options it accepts (declared next to it, validated when rules load)."""
    def wrap(fn):
        declared = {o.name: o for o in options}
        if len(declared) != len(options):
            raise ValueError(f"check '{name}' declares an option twice")
        doc = " ".join((fn.__doc__ or "").split())
        CHECKS[name] = CheckSpec(name, fn, prepare, site, declared, doc, excludes, describe)
        return fn
    return wrap
