"""Text checks: keyword and phrase matching in the fields an assessor reads, and URL patterns."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass

import ahocorasick

from checks.base import FAIL, CheckResult, Option, register
from egov_audit.html.textnorm import fold

DEFAULT_FIELDS = ("title", "headings", "anchors", "text", "alt", "labels")
FIELD_RANK = {"title": 0, "headings": 1, "anchors": 2, "labels": 3, "alt": 4, "text": 5, "url": 6}


def _script(keyword: str) -> str:
    for ch in keyword:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            for script in ("LATIN", "CYRILLIC", "GREEK"):
                if name.startswith(script):
                    return script.lower()
            return "other"
    return "latin"


# How a keyword may end inside a longer word. Latin/Greek: up to 3 more letters, so "permit" finds
# "permits" and "denuncia" "denuncias", but "data" does not find "database" nor "participa"
# "participativo". Cyrillic keywords are written as stems ("коррупц") because Russian inflects
# heavily. A trailing "*" asks for any ending. CJK, Arabic, Thai … match as substrings (they attach
# prefixes such as Arabic ال/و/ب, or do not separate words at all).
def _keyword_regex(keyword: str) -> str:
    script = _script(keyword)
    stem = keyword.endswith("*")
    if script == "other":
        return re.escape(keyword.replace("*", "").strip())
    if script == "cyrillic":
        # every word of a Russian phrase inflects («свидетельство о смерти» / «свидетельства о смерти»):
        # each word is a stem
        words = [_cyrillic_stem(w.rstrip("*")) for w in keyword.rstrip("*").split(" ")]
        return r"(?<![\w])" + r"\w{0,4} ".join(re.escape(w) for w in words)
    if "* " in keyword:
        # a phrase of an inflecting language (rules/_lexicon `match: prefix`): each starred word takes any ending
        words = keyword.split(" ")
        return r"(?<![\w])" + " ".join(re.escape(w.rstrip("*")) + (r"\w*" if w.endswith("*") else "") for w in words)
    body = re.escape(keyword.rstrip("*").strip())
    if stem or not keyword[-1:].isalnum():
        return r"(?<![\w])" + body
    return r"(?<![\w])" + body + r"\w{0,3}(?![\w])"


CYRILLIC_ENDINGS = set("аеёиоуыэюяйь")


def _cyrillic_stem(word: str) -> str:
    """Drop up to two inflection letters of a longer Russian word: свидетельство → свидетельств."""
    for _ in range(2):
        if len(word) > 4 and word[-1] in CYRILLIC_ENDINGS:
            word = word[:-1]
    return word


@dataclass
class KeywordSet:
    """Keywords of all languages, folded; remembers which language each came from. `pattern` is the one regex of
    them all, compiled on first use (matching compiles only the keywords a text can hold, see _live_pattern): with
    thirty languages a rule's full alternation costs more to compile than the judging that never needs it."""
    words: tuple | None                    # the folded keywords, longest first (None: no keywords)
    languages: dict[str, list[str]]        # folded keyword → languages
    tried: dict[str, int]                  # language → number of keywords

    @property
    def pattern(self) -> re.Pattern | None:
        if self.words is None:
            return None
        compiled = self.__dict__.get("_pattern")
        if compiled is None:
            compiled = self.__dict__["_pattern"] = re.compile("|".join(_keyword_regex(k) for k in self.words))
        return compiled

    @classmethod
    def compile(cls, keywords: dict | list | None) -> "KeywordSet":
        if not keywords:
            return cls(None, {}, {})
        if isinstance(keywords, list):
            keywords = {"any": keywords}
        languages: dict[str, list[str]] = {}
        for lang, words in keywords.items():
            for word in words or ():
                folded = fold(str(word))
                if folded:
                    languages.setdefault(folded, []).append(lang)
        words = tuple(sorted(languages, key=len, reverse=True)) or None
        return cls(words, languages, {lang: len(words or ()) for lang, words in keywords.items()})

    def canonical(self, matched: str) -> str:
        """The keyword a match came from (a match may carry a plural ending, or an inflected phrase one per word)."""
        if matched in self.languages:
            return matched
        by_length = sorted(self.languages, key=len, reverse=True)
        found = next((k for k in by_length if matched.startswith(k.rstrip("*"))), None)
        if found is None:
            found = next((k for k in by_length if "* " in k and _compile_live((k,)).fullmatch(matched)), matched)
        return found

    # ---- speed: most keywords are absent from most pages. A keyword can only match where the text
    # has a word starting with the keyword's first word (or, for substring scripts, contains it); a
    # set intersection with the text's word prefixes finds those few keywords, and only they go into
    # the regex. Results are the same as running the whole alternation.
    def _index(self) -> tuple[dict, frozenset, object]:
        index = self.__dict__.get("_index_cache")
        if index is None:
            heads: dict[str, list[str]] = {}
            loose = ahocorasick.Automaton()   # substring keywords (CJK, Thai, Arabic …): all found in one pass
            for keyword in self.languages:
                if _script(keyword) == "other":
                    needle = keyword.replace("*", "")
                    loose.add_word(needle, loose.get(needle, ()) + (keyword,))
                    continue
                # every word of a keyword starts a word of any text it matches (as itself, or as the stem of an
                # inflected or longer word): all of them must be among the text's word prefixes
                tokens = [t for t in _WORD.findall(keyword) if len(t) <= 40]
                if _script(keyword) == "cyrillic":
                    tokens = [_cyrillic_stem(t) for t in tokens]
                head = tokens[0] if tokens and _WORD.match(keyword) else ""
                rest = [t for t in tokens[1:] if _script(t) != "other"]   # a CJK run is one long "word" of a text
                heads.setdefault(head, []).append((keyword, frozenset(rest if head else ())))
            if len(loose):
                loose.make_automaton()
            index = (heads, frozenset(heads), loose if len(loose) else None)
            self.__dict__["_index_cache"] = index
        return index

    def _live_pattern(self, text: str) -> re.Pattern | None:
        heads, head_set, loose = self._index()
        prefixes = _prefixes(text)
        live = [k for h in head_set & prefixes for k, rest in heads[h] if rest <= prefixes]
        if loose is not None:
            live += dict.fromkeys(k for _, found in loose.iter(text) for k in found)
        if "" in heads:
            live += [k for k, _ in heads[""]]
        if not live:
            return None
        return _compile_live(tuple(sorted(live, key=len, reverse=True)))

    def find(self, text: str):
        if self.words is None or not text:
            return
        pattern = self._live_pattern(text)
        if pattern is not None:
            yield from pattern.finditer(text)

    def search(self, text: str):
        if self.words is None or not text:
            return None
        pattern = self._live_pattern(text)
        return pattern.search(text) if pattern is not None else None


_WORD = re.compile(r"\w+")


@lru_cache(maxsize=4096)
def _prefixes(text: str) -> frozenset[str]:
    """Every prefix of every word of a text (what a keyword's first word may be)."""
    out = set()
    for word in set(_WORD.findall(text)):
        out.update(word[:n] for n in range(1, min(len(word), 40) + 1))
    return frozenset(out)


@lru_cache(maxsize=2048)
def _compile_live(keywords: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(_keyword_regex(k) for k in keywords))


YEAR = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")
COPYRIGHT = re.compile(r"(©|\(c\)|copyright|derechos|direitos|droits|urheberrecht|版权|حقوق)", re.I)


# A page's "last updated" stamp dates the page, not the process it describes (folded text: no accents).
UPDATED = re.compile(r"(\bstand:|last (updated|modified|reviewed)|page updated|updated on|zuletzt (aktualisiert|geandert|bearbeitet)"
                     r"|letzte (aktualisierung|anderung)|ultima (actualizacion|modificacion|atualizacao)|actualizado el|atualizado em"
                     r"|mis a jour|mise a jour|обновлено|дата (изменения|обновления)|последнее изменение|更新时间|更新日期|最后更新"
                     r"|اخر تحديث|تاريخ التحديث)")
# Years written another way: Chinese numerals before 年 (二〇二五年), Hijri years (١٤٤٦هـ; Eastern Arabic digits are
# folded to ASCII) converted to the Gregorian year in which the Hijri year mostly falls.
ZH_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})\s*年")
ZH_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
HIJRI_YEAR = re.compile(r"(?<!\d)(1[34]\d\d)\s*ه(?![\u0621-\u064a])")   # not 1450 هكتار (hectares)


def _dated_years(text: str, lo: int, hi: int):
    for m in YEAR.finditer(text, lo, hi):
        yield m.start(), int(m.group(1))
    for m in ZH_YEAR.finditer(text, lo, hi):
        yield m.start(), int(m.group(1).translate(ZH_DIGITS))
    for m in HIJRI_YEAR.finditer(text, lo, hi):
        yield m.start(), int(int(m.group(1)) * 0.970229 + 621.5643)


def years_near(text: str, start: int, end: int, window: int) -> list[int]:
    """Years written near a match (a copyright line's or a "last updated" stamp's year is not a date of the feature)."""
    lo, hi = max(0, start - window), min(len(text), end + window)
    years = []
    for at, year in _dated_years(text, lo, hi):
        if COPYRIGHT.search(text[max(0, at - 25):at]) or UPDATED.search(text[max(0, at - 40):at]):
            continue
        if 1980 <= year <= 2099:
            years.append(year)
    return years


def prepare_keywords(options: dict) -> dict:
    return {"keywords": KeywordSet.compile(options.get("keywords")),
            "near": KeywordSet.compile(options.get("near")) if options.get("near") else None,
            "not_near": KeywordSet.compile(options.get("not_near")) if options.get("not_near") else None,
            "fields": tuple(options.get("fields") or DEFAULT_FIELDS)}


@register("keyword-match", prepare=prepare_keywords, options=[
    Option("keywords", "keywords", "words or phrases to find, per language (a trailing * allows any ending)",
           required=True, subject=True),
    Option("fields", "list", "where to look on the page (best first: title, headings, anchors, labels, alt, text, url)",
           default=DEFAULT_FIELDS, allowed=tuple(FIELD_RANK), shown=True),
    Option("near", "keywords", "a match counts only with one of these words within `window` characters"),
    Option("not_near", "keywords", "a match does not count with one of these words within `window` characters"),
    Option("window", "int", "characters around a match read for `near`, `not_near` and dates", default=200),
    Option("min_matches", "int", "distinct keywords that must be found", default=1),
    Option("recency_years", "int", "a year written near the match must be at most this many years before the audit "
                                   "date (undated: review; only older years: fail)"),
    Option("upcoming", "bool", "only a year after the audit year counts (an announced round)", default=False),
])
def keyword_match(page, options, context) -> CheckResult:
    """Keywords (in any of the rule's languages) in the fields an assessor reads: title, headings, link texts,
    form labels, image texts, body text or the address; optionally near other words and with a recent date."""
    keywords: KeywordSet = options.compiled["keywords"]
    near, not_near = options.compiled["near"], options.compiled["not_near"]
    window = int(options.get("window", 200))
    min_matches = int(options.get("min_matches", 1))
    recency = options.get("recency_years")
    upcoming = bool(options.get("upcoming"))   # only a date after the audit year counts (an announcement)
    if upcoming and recency is None:
        recency = 0
    found: dict[str, tuple] = {}          # folded keyword → (field rank, field, segment, start, end)
    old_years: set[int] = set()
    recent = False
    ignore_links = options.excluded_links
    for field in options.compiled["fields"]:
        for segment in page.fields.get(field, ()):
            if field == "anchors" and ignore_links is not None and ignore_links.search(page.link_url(segment.element)):
                continue   # a headline linking to a news story is not the feature either
            for m in keywords.find(segment.folded):
                s, e = m.start(), m.end()
                if not_near is not None and _within(not_near, segment.folded, s, e, window):
                    continue
                if near is not None and not _within(near, segment.folded, s, e, window):
                    continue
                if recency is not None:
                    # the date written in the matched title, heading or link itself decides; without one,
                    # read around the same words where the body text shows them (a heading's section, a
                    # link's list item), not anywhere on the page
                    years = years_near(segment.folded, s, e, window * 2 if field == "text" else len(segment.folded))
                    if field != "text" and not years:
                        word = m.group(0)
                        for t in page.fields.get("text", ()):
                            at = t.folded.find(word)
                            while at >= 0 and len(years) < 50:
                                years += years_near(t.folded, at, at + len(word), window)
                                at = t.folded.find(word, at + len(word))
                    limit = context.audit_date.year + 1 if upcoming else context.audit_date.year - int(recency)
                    if any(y >= limit for y in years):
                        recent = True
                    else:
                        old_years.update(years)
                        if years:
                            continue
                key = keywords.canonical(m.group(0))
                if key not in found or FIELD_RANK.get(field, 9) < found[key][0]:
                    found[key] = (FIELD_RANK.get(field, 9), field, segment, s, e)
    if len(found) < min_matches:
        reason = ""
        if old_years and upcoming:
            reason = f"no date after {context.audit_date.year} near the matches (found {', '.join(str(y) for y in sorted(old_years)[-4:])})"
        elif old_years and recency is not None:
            reason = (f"only dates older than {recency} years near the matches "
                      f"({', '.join(str(y) for y in sorted(old_years)[-4:])})")
        return CheckResult("fail", reason=reason)
    best = sorted(found.values(), key=lambda v: v[0])[:3]
    evidence = [page.evidence(segment.quote(s, e), segment.element, field=field, matched=segment.folded[s:e])
                for _, field, segment, s, e in best]
    if recency is not None and not recent:
        return CheckResult("review", evidence, reason="no date found near the evidence: cannot tell whether it is recent")
    return CheckResult("pass", evidence)


def _within(keywords: KeywordSet, text: str, start: int, end: int, window: int) -> bool:
    lo, hi = max(0, start - window), min(len(text), end + window)
    return keywords.search(text[lo:hi]) is not None


def prepare_pattern(options: dict) -> dict:
    return {"pattern": re.compile(options["pattern"])}


@register("url-pattern", prepare=prepare_pattern, options=[
    Option("pattern", "regex", "a regular expression searched in the page's address (and its final address after "
                               "redirects); (?i) makes it ignore case", required=True, shown=True, subject=True),
], excludes=lambda options: options.compiled.get("pattern") if options.get("pattern") else None)
def url_pattern(page, options, context) -> CheckResult:
    """The page's address matches a pattern. In a rule's `none`, it rejects pages (news stories, archives)
    as evidence, and links to them are ignored by the rule's other checks."""
    for url in dict.fromkeys((page.url, page.final_url)):
        if options.compiled["pattern"].search(url):
            return CheckResult("pass", [page.evidence(url, None, field="url")])
    return FAIL
