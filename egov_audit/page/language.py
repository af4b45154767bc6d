"""The language of a page and the main language(s) of a portal, computed at judging time from stored text.

A page's declared language (`<html lang>`, else the crawl's Content-Language) is believed when the text is
written in that language's script; when nothing is declared, or the text's script contradicts the declaration
(a CMS template left at lang="en" over Thai text), py3langid (its model ships in the package, nothing is fetched)
names the language from the text. Reading the script first keeps the identifier's model (seconds to load) out of
the common case of a portal that declares its language honestly.
"""
from __future__ import annotations

import math
import unicodedata
from collections import Counter

MIN_LETTERS = 40           # less text than this says nothing reliable about its language
SAMPLE = 3000              # characters of a page's text read to find its script and language
PAGES = 60                 # pages of a portal (shallowest first) read to find its main language(s)
MAIN_SHARE = 0.3           # a language on at least this share of those pages is one of the portal's main languages
MIN_PROBABILITY = 0.9      # a text-identified language is used only when the identifier is this sure

# The script each language is written in, where it is not Latin (a code not listed: Latin).
SCRIPTS = {
    **dict.fromkeys("ru uk kk bg sr mk be mn ky tg".split(), "cyrillic"),
    **dict.fromkeys("ar fa ur ps ug ku sd".split(), "arabic"),
    **dict.fromkeys("he yi".split(), "hebrew"),
    **dict.fromkeys("hi mr ne".split(), "devanagari"),
    "el": "greek", "zh": "han", "ja": "japanese", "ko": "hangul", "th": "thai", "lo": "lao", "km": "khmer",
    "my": "myanmar", "ka": "georgian", "hy": "armenian", "am": "ethiopic", "bn": "bengali", "si": "sinhala",
    "ta": "tamil", "te": "telugu", "kn": "kannada", "ml": "malayalam", "gu": "gujarati", "pa": "gurmukhi",
    "dv": "thaana", "bo": "tibetan", "dz": "tibetan",
}
# Unicode name prefix → script (the first word of a letter's Unicode name, mostly)
_NAMES = {"CJK": "han", "HIRAGANA": "japanese", "KATAKANA": "japanese", "HANGUL": "hangul", "ETHIOPIC": "ethiopic",
          "MYANMAR": "myanmar"}
# scripts a language may also be written in without contradicting its declaration
_ALSO = {"ja": {"han"}, "zh": set(), "ko": {"han"}, "uz": {"cyrillic"}, "kk": {"latin"}, "sr": {"latin"},
         "mn": {"mongolian"}, "az": {"cyrillic"}}


def _letter_script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    head = name.split(" ", 1)[0]
    return _NAMES.get(head, head.lower() or None)


def text_script(text: str) -> tuple[str | None, int]:
    """(the script most letters of a text are written in, number of letters read)."""
    counts = Counter(s for s in map(_letter_script, text[:SAMPLE]) if s)
    if not counts:
        return None, 0
    return counts.most_common(1)[0][0], sum(counts.values())


def script_of(language: str) -> str:
    return SCRIPTS.get(language, "latin")


def _identify(text: str) -> tuple[str, float]:
    """(language code, probability) by py3langid, loaded on first use."""
    import py3langid.langid as langid
    ranked = langid.rank(text[:SAMPLE])
    best = ranked[0][1]
    return ranked[0][0], 1 / sum(math.exp(score - best) for _, score in ranked)


def primary(tag: str | None) -> str:
    """'pt-BR' → 'pt'; '' for nothing or a malformed tag."""
    code = (tag or "").strip().split(",")[0].split("-")[0].split("_")[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else ""


def language_of(declared: str, text: str) -> str:
    """The language of a text whose author declared `declared` ('' for none): '' when it cannot be told."""
    declared = primary(declared)
    script, letters = text_script(text)
    if declared and (letters < MIN_LETTERS or script in {script_of(declared)} | _ALSO.get(declared, set())):
        return declared
    if letters < MIN_LETTERS:
        return declared
    found, probability = _identify(text)
    if probability >= MIN_PROBABILITY and script_of(found) == script:
        return found
    return declared


def page_language(page) -> str:
    """A stored HTML page's language (cached on the page)."""
    cached = page.__dict__.get("_language")
    if cached is None:
        declared = page.meta.get("html_lang") or page.lang
        text = page.fields["text"][0].original if page.fields.get("text") else ""
        cached = page.__dict__["_language"] = language_of(declared, text)
    return cached


def portal_languages(site) -> list[str]:
    """The portal's main language(s), most used first: those of at least MAIN_SHARE of its shallowest HTML pages
    (cached on the site object)."""
    cached = getattr(site, "_portal_languages", None)
    if cached is None:
        pages = [p for p in site.pages if p.kind == "html" and p.scope == "portal"]
        pages.sort(key=lambda p: p.click_depth if p.click_depth is not None else 99)
        counts = Counter(lang for lang in (page_language(p) for p in pages[:PAGES]) if lang)
        total = sum(counts.values())
        cached = [lang for lang, n in counts.most_common() if total and n / total >= MAIN_SHARE]
        site._portal_languages = cached
    return cached
