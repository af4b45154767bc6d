"""Text folding shared by the crawler hints and the keyword checks."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Letters a reader treats as the same when searching: Arabic alef maqsura and yeh, Persian yeh and keheh,
# Urdu heh goal, ae and yeh barree, Turkish dotless i (AÇIK folds to acik, so açık must too), Eastern Arabic
# digits; tatweel (a stretching mark) is dropped.
_SAME = str.maketrans({"ى": "ي", "ی": "ي", "ـ": None, "ک": "ك", "ہ": "ه", "ە": "ه", "ے": "ي", "ı": "i",
                       **{chr(0x660 + i): str(i) for i in range(10)}, **{chr(0x6F0 + i): str(i) for i in range(10)}})


# Kana voicing marks look like combining accents but change the word (ガ is not カ): kept, and composed again.
_KEEP = {"\u3099", "\u309a"}


def _strip(decomposed: str) -> str:
    out = "".join(c for c in decomposed if not unicodedata.combining(c) or c in _KEEP)
    if "\u3099" in out or "\u309a" in out:
        out = unicodedata.normalize("NFC", out)
    return out


def _fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch.casefold())
    return _strip(decomposed).translate(_SAME)


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Trámites' and 'TRAMITES' fold alike.

    Only combining marks are dropped, so Arabic, Cyrillic and Chinese letters
    keep their identity (Arabic harakat and hamza marks are dropped, which is what a reader expects).
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = _strip(decomposed).translate(_SAME)
    return _SPACES.sub(" ", stripped).strip()


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """fold(), plus for every folded character the index of the original character it came from,
    so a match found in folded text can be quoted from the original (with its accents and case)."""
    out: list[str] = []
    origin: list[int] = []
    space = True   # collapse runs of whitespace and strip the start
    for index, ch in enumerate(text):
        if ch.isspace():
            if not space:
                out.append(" ")
                origin.append(index)
                space = True
            continue
        folded = _fold_char(ch) if not ch.isascii() else ch.lower()
        for c in folded:
            out.append(c)
            origin.append(index)
        if folded:
            space = False
    if out and out[-1] == " ":
        out.pop()
        origin.pop()
    return "".join(out), origin
