"""What the crawl itself must know of a fetched page, read from the one `Document` reader.

Used by the spider to discover links (and spend its budget), to recognise soft 404s and
application shells, and by the store for the pages table (title, language, text length).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from egov_audit.html.document import Document, Link

__all__ = ["HtmlFacts", "Link", "facts_of", "parse"]


@dataclass
class HtmlFacts:
    title: str = ""
    lang: str = ""
    text: str = ""               # visible text, whitespace folded
    links: list[Link] = field(default_factory=list)   # http(s) links, one per (URL, anchor)
    link_count: int = 0          # links on the page, also those past the reader's MAX_LINKS (link farms)
    h1: str = ""
    script_count: int = 0
    has_noscript: bool = False
    empty_roots: list[str] = field(default_factory=list)
    meta_refresh: str = ""
    truncated: bool = False


def facts_of(doc: Document) -> HtmlFacts:
    facts = HtmlFacts(truncated=doc.truncated)
    root = doc.root
    if root is None:
        return facts
    facts.title = doc.title[:500]
    facts.lang = doc.lang[:35]
    facts.h1 = doc.h1[:500]
    facts.script_count = len(root.findall(".//script"))
    facts.has_noscript = root.find(".//noscript") is not None
    for el in root.iter("div", "main", "section", "app-root"):
        el_id = el.get("id") or ""
        if el_id and len(el) == 0 and not (el.text or "").strip():
            facts.empty_roots.append(el_id)
    facts.meta_refresh = doc.meta_refresh
    # without their elements: a link kept by the crawl must not keep the whole parsed page alive
    facts.links = [Link(l.url, l.anchor, l.position, l.rel, l.href) for l in doc.web_links]
    facts.link_count = getattr(doc, "link_count", 0)   # set while the links above were read
    facts.text = doc.text
    return facts


def parse(html: str, base_url: str) -> HtmlFacts:
    return facts_of(Document(html, base_url))
