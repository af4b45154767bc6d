"""The multilingual lexicon (rules/_lexicon/): named concepts and the terms each language searches them by.

Layout, so that a native speaker adds a language with one file and no Python:
- `rules/_lexicon/_concepts.yaml`: concept name → one line saying what it means (what a translator writes terms for);
- `rules/_lexicon/<lang>.yaml`: `language`, `name`, `match` (how this language's terms meet the text) and
  `concepts: {concept: [terms]}`.

`match` fits the language's script and grammar:
- `word` (default): a term is a word or phrase; Latin/Greek words may take up to 3 more letters, Cyrillic words are
  stemmed, scripts without word spaces (Chinese, Japanese, Thai …) and Arabic-script words are found as substrings
  (checks/text.py decides by script);
- `prefix`: the language inflects or agglutinates (pl, tr, fi, hu …): every word of a term is a stem that may take
  any ending ("zamówie* publiczn*" finds "zamówienia publiczne" and "zamówień publicznych");
- `substring`: the language writes no spaces between words (zh ja th lo km my): terms are found anywhere.

Rules use a concept where they give keywords: `keywords: {concepts: [procurement-notice]}` (inline words per language
may stand beside it). The loader validates the lexicon like rules are validated: every problem names its file and line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from checks.base import did_you_mean
from egov_audit.paths import RULES_DIR

MATCH_MODES = ("word", "prefix", "substring")
CONCEPTS_FILE = "_concepts.yaml"
LANG_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
CONCEPT_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass
class Language:
    code: str
    name: str
    match: str
    terms: dict[str, list[str]]           # concept → terms as written in the file
    path: Path | None = None


@dataclass
class Lexicon:
    concepts: dict[str, str]               # concept → its one-line meaning
    languages: dict[str, Language] = field(default_factory=dict)
    problems: list = field(default_factory=list)   # egov_audit.judge.rules.Problem

    def terms(self, concept: str) -> dict[str, list[str]]:
        """language → the terms of a concept, written the way checks/text.py matches them in that language."""
        out = {}
        for code, language in self.languages.items():
            words = language.terms.get(concept)
            if words:
                out[code] = [_as_matched(str(w), language.match) for w in words]
        return out

    def coverage(self) -> dict[str, dict[str, int]]:
        """concept → language → number of terms (0 where the language lacks the concept)."""
        return {c: {code: len(lang.terms.get(c) or ()) for code, lang in sorted(self.languages.items())}
                for c in self.concepts}


def _as_matched(term: str, mode: str) -> str:
    """A term with the language's matching made explicit: in `prefix` languages every word takes any ending."""
    if mode != "prefix":
        return term
    # short words (i, z, ve, da) stay exact: "i*" would stand for any word beginning with i
    return " ".join(w if w.endswith("*") or not w[-1:].isalnum() or len(w) < 3 else w + "*" for w in term.split())


def lexicon_dir(rules_dir: Path = RULES_DIR) -> Path:
    return rules_dir / "_lexicon"


def lexicon_files(rules_dir: Path = RULES_DIR) -> list[Path]:
    folder = lexicon_dir(rules_dir)
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def read_lexicon(rules_dir: Path = RULES_DIR) -> Lexicon:
    """The lexicon of a rules folder with every problem found in its files (each naming its line)."""
    from egov_audit.judge.rules import Problem, line_of, parse_yaml
    folder = lexicon_dir(rules_dir)
    lexicon = Lexicon({})
    if not folder.is_dir():
        return lexicon

    def parsed(path: Path):
        try:
            return parse_yaml(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            lexicon.problems.append(Problem(path, mark.line + 1 if mark else None,
                                            f"not valid YAML: {getattr(exc, 'problem', None) or exc}"))
        except (OSError, UnicodeDecodeError) as exc:
            lexicon.problems.append(Problem(path, None, f"cannot be read: {exc}"))
        return None, None

    index_path = folder / CONCEPTS_FILE
    data, root = parsed(index_path) if index_path.exists() else (None, None)
    if not index_path.exists():
        lexicon.problems.append(Problem(index_path, None, "the concepts index is missing (concept → one-line meaning)"))
    elif not isinstance(data, dict) or not isinstance(data.get("concepts"), dict):
        lexicon.problems.append(Problem(index_path, line_of(root, ()), "holds `concepts:`, a mapping of concept → meaning"))
    else:
        for name, meaning in data["concepts"].items():
            at = line_of(root, ("concepts", name), key=True)
            if not isinstance(name, str) or not CONCEPT_NAME.match(name):
                lexicon.problems.append(Problem(index_path, at, f"concept name {name!r} must be lower-case words joined by '-'"))
            elif not isinstance(meaning, str) or not meaning.strip():
                lexicon.problems.append(Problem(index_path, at, f"concept '{name}' needs a one-line meaning for translators"))
            else:
                lexicon.concepts[name] = " ".join(meaning.split())

    for path in lexicon_files(rules_dir):
        if path.name == CONCEPTS_FILE:
            continue
        data, root = parsed(path)
        if data is None and root is None:
            continue
        language = _read_language(path, data, root, lexicon)
        if language is not None:
            lexicon.languages[language.code] = language
    return lexicon


def _read_language(path: Path, data, root, lexicon: Lexicon) -> Language | None:
    from egov_audit.judge.rules import Problem, line_of
    problems = lexicon.problems
    before = len(problems)

    def problem(where: tuple, message: str, key: bool = False):
        problems.append(Problem(path, line_of(root, where, key), message))

    if not isinstance(data, dict):
        problem((), "a lexicon file holds one mapping: language, name, match, concepts")
        return None
    allowed = ("language", "name", "match", "notes", "concepts")
    for key in data:
        if key not in allowed:
            problem((key,), f"unknown field '{key}'{did_you_mean(str(key), allowed)} (allowed: {', '.join(allowed)})", key=True)
    code = data.get("language")
    if not isinstance(code, str) or not LANG_CODE.match(code):
        problem(("language",), f"`language` must be a language code such as 'it' or 'pt-br', got {code!r}")
    elif code != path.stem:
        problem(("language",), f"language '{code}' differs from the file name (rename the file to {code}.yaml)")
    if not isinstance(data.get("name"), str):
        problem(("name",), "`name` must give the language's own name (e.g. Italiano)")
    match = data.get("match", "word")
    if match not in MATCH_MODES:
        problem(("match",), f"`match` must be one of {', '.join(MATCH_MODES)}, got {match!r}")
    concepts = data.get("concepts")
    terms: dict[str, list[str]] = {}
    if not isinstance(concepts, dict):
        problem(("concepts",), "`concepts` must map concept names to lists of terms")
        concepts = {}
    for name, words in concepts.items():
        if name not in lexicon.concepts:
            problem(("concepts", name), f"unknown concept '{name}'{did_you_mean(str(name), lexicon.concepts)} "
                                        f"(add it to {CONCEPTS_FILE} with its meaning first)", key=True)
            continue
        if not isinstance(words, list) or not words:
            problem(("concepts", name), f"concept '{name}' needs a list of terms")
            continue
        for index, word in enumerate(words):
            if not isinstance(word, (str, int)) or isinstance(word, bool) or not str(word).strip():
                problem(("concepts", name, index), f"term {index + 1} of '{name}' must be a non-empty text, got {word!r}")
        seen = set()
        for index, word in enumerate(words):
            if isinstance(word, str) and word in seen:
                problem(("concepts", name, index), f"term '{word}' appears twice in '{name}'")
            seen.add(word)
        terms[name] = [str(w) for w in words]
    if len(problems) > before:
        return None
    return Language(code, data["name"], match, terms, path)


class LexiconError(ValueError):
    pass


@lru_cache(maxsize=4)
def _cached(rules_dir: Path, stamp: tuple) -> Lexicon:
    return read_lexicon(rules_dir)


def load_lexicon(rules_dir: Path = RULES_DIR) -> Lexicon:
    """The lexicon, parsed once per state of its files (a changed file is read again)."""
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in lexicon_files(rules_dir))
    return _cached(rules_dir, stamp)


def resolve(value, lexicon: Lexicon) -> tuple[object, list[tuple[tuple, str]]]:
    """A keywords option with its concept references replaced by the lexicon's terms (inline words of the same
    language are kept beside them), and [(path inside the value, problem)]."""
    if not isinstance(value, dict) or "concepts" not in value:
        return value, []
    names = value["concepts"]
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not names:
        return value, [(("concepts",), "`concepts` must list concept names of rules/_lexicon/_concepts.yaml")]
    problems = []
    merged: dict[str, list[str]] = {}
    for index, name in enumerate(names):
        if name not in lexicon.concepts:
            problems.append((("concepts", index), f"unknown concept '{name}'{did_you_mean(str(name), lexicon.concepts)} "
                                                  f"(concepts are listed in rules/_lexicon/{CONCEPTS_FILE})"))
            continue
        for lang, words in lexicon.terms(name).items():
            merged.setdefault(lang, []).extend(words)
    for lang, words in value.items():
        if lang != "concepts":
            merged.setdefault(lang, []).extend(words or ())
    return {lang: list(dict.fromkeys(words)) for lang, words in merged.items()}, problems
