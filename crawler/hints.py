"""Crawl hints (data/crawl-hints.yaml): what looks like a portal section, an archive, a soft 404, an app shell."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from egov_audit.html.facts import HtmlFacts
from egov_audit.html.textnorm import fold

HINTS_FILE = Path(__file__).parent / "data" / "crawl-hints.yaml"


@dataclass(frozen=True)
class CrawlHints:
    section_words: tuple[str, ...]
    archive_patterns: tuple[re.Pattern, ...]
    soft_404_phrases: tuple[str, ...]
    app_shell_roots: frozenset[str]
    app_shell_max_text: int
    never_satellite_domains: frozenset[str]

    def looks_like_section(self, url: str, anchor: str) -> bool:
        # the last path segment names the page; earlier ones only name the section it sits in, so
        # /news/ is a section but /news/new-bins.html is an article (it is judged by its own name)
        segments = [s for s in unquote(urlsplit(url).path).split("/") if s]
        name = segments[-1].rsplit(".", 1)[0] if segments else ""
        haystack = fold(anchor + " " + name.replace("-", " ").replace("_", " "))
        return any(word in haystack for word in self.section_words)

    def looks_like_archive(self, url: str) -> bool:
        return any(p.search(url) for p in self.archive_patterns)

    def is_soft_404(self, facts: HtmlFacts) -> bool:
        """A 200 page that tells the visitor it does not exist."""
        if len(facts.text) > 3000:
            return False
        heading = fold(facts.title + " | " + facts.h1)
        return any(phrase in heading for phrase in self.soft_404_phrases)

    def is_app_shell(self, facts: HtmlFacts) -> bool:
        """Raw HTML that only a browser turns into content (little text, scripts, an empty root or a noscript notice)."""
        if facts.script_count == 0 or len(facts.text) >= self.app_shell_max_text:
            return False
        empty_root = any(r in self.app_shell_roots for r in facts.empty_roots)
        return empty_root or facts.has_noscript or len(facts.text) < 40


@lru_cache(maxsize=1)
def load_hints(path: Path = HINTS_FILE) -> CrawlHints:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    words = sorted({fold(w) for words in data["section_words"].values() for w in words})
    return CrawlHints(
        section_words=tuple(words),
        archive_patterns=tuple(re.compile(p) for p in data["archive_patterns"]),
        soft_404_phrases=tuple(fold(p) for p in data["soft_404_phrases"]),
        app_shell_roots=frozenset(data["app_shell_roots"]),
        app_shell_max_text=int(data["app_shell_max_text"]),
        never_satellite_domains=frozenset(data["never_satellite_domains"]),
    )
