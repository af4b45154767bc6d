"""Facts read once from an HTML document: title, language, links and where they sit, visible text.

Used by the spider to discover links (and spend its budget) and by the store
for the pages table. Later stages re-parse the stored snapshot for their own
needs; this module only keeps what the crawl itself must know.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urldefrag

import lxml.html
from lxml import etree

# Elements whose text a visitor never reads.
INVISIBLE = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
POSITION_TAGS = {"nav": "navigation", "header": "header", "footer": "footer"}
POSITION_ROLES = {"navigation": "navigation", "banner": "header", "contentinfo": "footer", "menubar": "navigation"}
# class/id hints used by CMS themes that predate HTML5 landmarks (div#menu, div.site-footer …)
POSITION_HINTS = re.compile(r"(?i)(?<![a-z])(nav|navbar|navigation|menu|mainmenu|megamenu|footer|pie|rodape|rodapé|fusszeile|header|masthead|cabecera|topbar)(?![a-z])")
HINT_POSITION = {"nav": "navigation", "navbar": "navigation", "navigation": "navigation", "menu": "navigation",
                 "mainmenu": "navigation", "megamenu": "navigation", "footer": "footer", "pie": "footer",
                 "rodape": "footer", "rodapé": "footer", "fusszeile": "footer", "header": "header",
                 "masthead": "header", "cabecera": "header", "topbar": "header"}
SKIP_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "sms:", "callto:", "whatsapp:", "#")
MAX_PARSE_CHARS = 5_000_000   # a hostile or broken page larger than this is read only in part


@dataclass
class Link:
    url: str
    anchor: str
    position: str          # navigation | header | footer | body
    rel: str = ""


@dataclass
class HtmlFacts:
    title: str = ""
    lang: str = ""
    text: str = ""               # visible text, whitespace folded
    links: list[Link] = field(default_factory=list)
    h1: str = ""
    script_count: int = 0
    has_noscript: bool = False
    empty_roots: list[str] = field(default_factory=list)
    meta_refresh: str = ""
    truncated: bool = False


def _position(element) -> str:
    for ancestor in element.iterancestors():
        tag = ancestor.tag if isinstance(ancestor.tag, str) else ""
        if tag in POSITION_TAGS:
            return POSITION_TAGS[tag]
        role = ancestor.get("role")
        if role in POSITION_ROLES:
            return POSITION_ROLES[role]
        hint = POSITION_HINTS.search((ancestor.get("id") or "") + " " + (ancestor.get("class") or ""))
        if hint:
            return HINT_POSITION[hint.group(1).lower()]
    return "body"


def _visible_text(root) -> str:
    """Visible text; called last because it strips invisible elements from the tree."""
    etree.strip_elements(root, *INVISIBLE, with_tail=False)
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    body = root.find("body")
    return " ".join(" ".join((body if body is not None else root).itertext()).split())


def anchor_text(a) -> str:
    """What a visitor reads as the link: its text, else an image's alt, else its title/aria-label."""
    text = " ".join(a.text_content().split())
    if not text:
        alts = [img.get("alt", "") for img in a.iter("img")]
        text = " ".join(t for t in alts if t) or a.get("aria-label", "") or a.get("title", "")
    return text[:300]


def parse(html: str, base_url: str) -> HtmlFacts:
    facts = HtmlFacts()
    if len(html) > MAX_PARSE_CHARS:
        html, facts.truncated = html[:MAX_PARSE_CHARS], True
    if not html.strip():
        return facts
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        # lxml refuses str input that carries an XML encoding declaration
        try:
            root = lxml.html.document_fromstring(html.encode("utf-8"))
        except (etree.ParserError, ValueError):
            return facts
    base = base_url
    base_el = root.find(".//base[@href]")
    if base_el is not None:
        base = urljoin(base_url, base_el.get("href", "").strip())
    title = root.find(".//title")
    facts.title = " ".join((title.text_content() if title is not None else "").split())[:500]
    facts.lang = (root.get("lang") or root.get("xml:lang") or "").strip()[:35]
    h1 = root.find(".//h1")
    facts.h1 = " ".join(h1.text_content().split())[:500] if h1 is not None else ""
    facts.script_count = len(root.findall(".//script"))
    facts.has_noscript = root.find(".//noscript") is not None
    for el in root.iter("div", "main", "section", "app-root"):
        el_id = el.get("id") or ""
        if el_id and len(el) == 0 and not (el.text or "").strip():
            facts.empty_roots.append(el_id)
    refresh = root.find(".//meta[@http-equiv]")
    if refresh is not None and (refresh.get("http-equiv") or "").lower() == "refresh":
        content = refresh.get("content") or ""
        match = re.search(r"(?i)url\s*=\s*['\"]?([^'\";]+)", content)
        if match:
            facts.meta_refresh = urljoin(base, match.group(1).strip())
    seen: set[tuple[str, str]] = set()
    for a in root.iter("a", "area"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(SKIP_SCHEMES):
            continue
        try:
            url = urldefrag(urljoin(base, href))[0]
        except ValueError:   # hostile markup: an href that is no URL at all
            continue
        if not url.startswith(("http://", "https://")):
            continue
        anchor = anchor_text(a)
        if (url, anchor) in seen:
            continue
        seen.add((url, anchor))
        facts.links.append(Link(url, anchor, _position(a), (a.get("rel") or "")[:100]))
    facts.text = _visible_text(root)
    return facts
