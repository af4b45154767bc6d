"""Text folding shared by the crawler hints and (later) the keyword checks."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Trámites' and 'TRAMITES' fold alike.

    Only combining marks are dropped, so Arabic, Cyrillic and Chinese letters
    keep their identity (Arabic harakat are dropped, which is what a reader expects).
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip()
