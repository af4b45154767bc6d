"""The one reader of a fetched HTML document: parsed once, read the same way by the crawl, the page model and the gatherers.

A `Document` answers what the markup says, lazily: base URL (``<base href>`` honoured), title,
language, visible text, links (resolved, with what a visitor reads as their text and where they sit:
navigation, header, footer or body), forms with their controls, head facts and schema.org types.
The crawl stores its links from here and the page model judges the same links, so a link the judge
sees is a link the crawl stored (and followed).

What counts as a link: an ``<a>`` or ``<area>`` with an href that is not a same-page fragment
(``#…``), ``javascript:`` or ``data:``, and that a visitor can see (not inside script, template,
noscript, svg … — the elements of INVISIBLE). ``mailto:``/``tel:`` links are kept as written (the
judge reads contact links); the crawl keeps only http(s) links (`web_links`).
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urldefrag, urljoin

import lxml.html
from lxml import etree

from egov_audit.html.forms import is_search_form

# Elements whose text a visitor never reads.
INVISIBLE = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
MAX_PARSE_CHARS = 5_000_000   # a hostile or broken page larger than this is read only in part
# A link farm (a page with 100,000 links) must not cost the crawl or the judge 100,000 of anything: the first
# MAX_LINKS links in document order are read, the rest only counted (link_count)
MAX_LINKS = 2000

POSITION_TAGS = {"nav": "navigation", "header": "header", "footer": "footer"}
POSITION_ROLES = {"navigation": "navigation", "banner": "header", "contentinfo": "footer", "menubar": "navigation"}
# class/id hints used by CMS themes that predate HTML5 landmarks (div#menu, div.site-footer …)
POSITION_HINTS = re.compile(r"(?i)(?<![a-z])(nav|navbar|navigation|menu|mainmenu|megamenu|footer|pie|rodape|rodapé|fusszeile|header|masthead|cabecera|topbar)(?![a-z])")
HINT_POSITION = {"nav": "navigation", "navbar": "navigation", "navigation": "navigation", "menu": "navigation",
                 "mainmenu": "navigation", "megamenu": "navigation", "footer": "footer", "pie": "footer",
                 "rodape": "footer", "rodapé": "footer", "fusszeile": "footer", "header": "header",
                 "masthead": "header", "cabecera": "header", "topbar": "header"}
NOT_A_LINK = ("#", "javascript:", "data:")        # hrefs that lead nowhere a visitor can go
CONTROL_SKIP = ("hidden", "submit", "button", "reset", "image")   # controls that are not fields a visitor fills


@dataclass
class Link:
    url: str               # resolved against the base URL, fragment dropped; mailto:/tel:/… as written
    anchor: str            # what a visitor reads as the link
    position: str          # navigation | header | footer | body
    rel: str = ""
    href: str = ""         # as written in the markup
    element: object = field(default=None, repr=False, compare=False)

    @property
    def is_web(self) -> bool:
        return self.url.startswith(("http://", "https://"))


@dataclass
class Control:
    """One input, select or textarea of a form, as written (name not folded)."""
    kind: str              # text | search | email | hidden | submit | textarea | select | checkbox | …
    name: str
    value: str
    label: str             # its <label for>, placeholder and aria-label, joined
    element: object = field(default=None, repr=False, compare=False)


@dataclass
class Form:
    method: str            # get | post (lower case)
    action: str            # as written
    submit_url: str        # where submitting it goes: action resolved against the base URL, else the page
    controls: list[Control]
    is_search: bool
    element: object = field(default=None, repr=False, compare=False)

    @property
    def fields(self) -> list[Control]:
        """The controls a visitor fills in (no hidden values, no buttons)."""
        return [c for c in self.controls if c.kind not in CONTROL_SKIP]


def position_of(element) -> str:
    """Where a visitor meets the element: in navigation, the header, the footer, or the page body."""
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


def strip_invisible(root) -> None:
    """Remove what a visitor never reads (in place), keeping the text that follows each removed element."""
    etree.strip_elements(root, *INVISIBLE, with_tail=False)
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)


def is_hidden(element) -> bool:
    return any(isinstance(a.tag, str) and a.tag in INVISIBLE for a in element.iterancestors())


def anchor_text(a) -> str:
    """What a visitor reads as the link: its visible text, else an image's alt, else its aria-label/title."""
    if next(a.iter(*INVISIBLE), None) is not None or next(a.iter(etree.Comment), None) is not None:
        a = copy.deepcopy(a)   # an icon's <svg><title> or an inline script is not what the link says
        strip_invisible(a)
    text = " ".join(a.text_content().split())
    if not text:
        alts = [img.get("alt", "") for img in a.iter("img")]
        text = " ".join(t for t in alts if t) or a.get("aria-label", "") or a.get("title", "")
    return text[:300]


def parse_html(html: str):
    """The document's root element, or None when there is nothing to parse."""
    if not html or not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        # lxml refuses str input that carries an XML encoding declaration
        try:
            return lxml.html.document_fromstring(html.encode("utf-8"))
        except (etree.ParserError, ValueError):
            return None


class Document:
    """One HTML document read once. ``url`` is where it was fetched from (after redirects)."""

    def __init__(self, html: str | None, url: str):
        html = html or ""
        self.truncated = len(html) > MAX_PARSE_CHARS
        self.html = html[:MAX_PARSE_CHARS] if self.truncated else html
        self.url = url

    @cached_property
    def root(self):
        return parse_html(self.html)

    @cached_property
    def visible_root(self):
        """A copy of the tree without the elements a visitor never reads (for visible text, headings …)."""
        if self.root is None:
            return None
        visible = copy.deepcopy(self.root)
        strip_invisible(visible)
        return visible

    @cached_property
    def base_url(self) -> str:
        base = self.url
        base_el = self.root.find(".//base[@href]") if self.root is not None else None
        if base_el is not None:
            try:
                base = urljoin(base, base_el.get("href", "").strip())
            except ValueError:   # hostile markup: a base href that is no URL
                pass
        return base

    def resolve(self, href: str) -> str:
        """An href as the browser follows it (raises ValueError on one that is no URL at all)."""
        return urljoin(self.base_url, href)

    # ---- text -------------------------------------------------------------------
    @cached_property
    def title(self) -> str:
        title = self.root.find(".//title") if self.root is not None else None
        return " ".join((title.text_content() if title is not None else "").split())

    @cached_property
    def lang(self) -> str:
        return (self.root.get("lang") or self.root.get("xml:lang") or "").strip() if self.root is not None else ""

    @cached_property
    def h1(self) -> str:
        h1 = self.root.find(".//h1") if self.root is not None else None
        return " ".join(h1.text_content().split()) if h1 is not None else ""

    @cached_property
    def body(self):
        """The visible tree's body (or its root when the document has no body)."""
        if self.visible_root is None:
            return None
        body = self.visible_root.find("body")
        return body if body is not None else self.visible_root

    @cached_property
    def text(self) -> str:
        """Visible text, whitespace folded."""
        return " ".join(" ".join(self.body.itertext()).split()) if self.body is not None else ""

    # ---- links and forms ---------------------------------------------------------
    @cached_property
    def links(self) -> list[Link]:
        """Every visible link in document order (duplicates kept: each element is its own piece of evidence)."""
        if self.root is None:
            return []
        out = []
        self.link_count = 0
        for a in self.root.iter("a", "area"):
            href = (a.get("href") or "").strip()
            if not href or href.lower().startswith(NOT_A_LINK):
                continue
            self.link_count += 1
            if len(out) >= MAX_LINKS or is_hidden(a):
                continue
            try:
                url = href if href.lower().startswith(("mailto:", "tel:")) else urldefrag(self.resolve(href))[0]
            except ValueError:   # hostile markup: an href that is no URL at all
                continue
            out.append(Link(url, anchor_text(a), position_of(a), (a.get("rel") or "")[:100], href, a))
        return out

    @cached_property
    def web_links(self) -> list[Link]:
        """The http(s) links, one per (URL, anchor): what the crawl follows and stores."""
        seen: set[tuple[str, str]] = set()
        out = []
        for link in self.links:
            if link.is_web and (link.url, link.anchor) not in seen:
                seen.add((link.url, link.anchor))
                out.append(link)
        return out

    @cached_property
    def forms(self) -> list[Form]:
        if self.root is None:
            return []
        forms = []
        for form in self.root.iter("form"):
            labels_by_id = {l.get("for"): " ".join(l.text_content().split()) for l in form.iter("label") if l.get("for")}
            controls = []
            for el in form.iter("input", "textarea", "select"):
                kind = el.tag if el.tag in ("textarea", "select") else (el.get("type") or "text").lower()
                label = (labels_by_id.get(el.get("id") or "", "") + " " + (el.get("placeholder") or "") + " "
                         + (el.get("aria-label") or ""))
                controls.append(Control(kind, el.get("name") or "", el.get("value") or "", label, el))
            action = form.get("action") or ""
            try:
                # an empty action submits to the page itself; a written one is resolved like a link
                submit_url = self.resolve(action.strip()) if action.strip() else self.url
            except ValueError:
                submit_url = self.url
            forms.append(Form((form.get("method") or "get").lower(), action, submit_url, controls,
                              is_search_form(form), form))
        return forms

    @cached_property
    def meta_refresh(self) -> str:
        """The URL a <meta http-equiv=refresh> sends the visitor to, or ''."""
        refresh = self.root.find(".//meta[@http-equiv]") if self.root is not None else None
        if refresh is None or (refresh.get("http-equiv") or "").lower() != "refresh":
            return ""
        match = re.search(r"(?i)url\s*=\s*['\"]?([^'\";]+)", refresh.get("content") or "")
        try:
            return self.resolve(match.group(1).strip()) if match else ""
        except ValueError:
            return ""

    # ---- head facts ----------------------------------------------------------------
    @cached_property
    def head(self) -> dict:
        """viewport (responsive?), charset declared, html lang, hreflang alternates, generator."""
        facts = {"viewport": False, "charset": False, "html_lang": "", "hreflang": [], "generator": ""}
        if self.root is None:
            return facts
        facts["html_lang"] = self.lang
        for m in self.root.iter("meta"):
            name = (m.get("name") or "").lower()
            if name == "viewport":
                # responsive only when the layout follows the device: width=device-width, or a scale
                # without a fixed pixel width (width=1024 keeps a desktop page)
                content = (m.get("content") or "").lower().replace(" ", "")
                fixed = re.search(r"(?:^|,)width=\d", content)
                facts["viewport"] = "width=device-width" in content or ("initial-scale" in content and not fixed)
            if name == "generator":
                facts["generator"] = m.get("content") or ""
            if m.get("charset") or "charset" in (m.get("content") or "").lower():
                facts["charset"] = True
        for l in self.root.iter("link"):
            if (l.get("rel") or "").lower() == "alternate" and l.get("hreflang"):
                facts["hreflang"].append(l.get("hreflang").lower())
        return facts

    @cached_property
    def schema_types(self) -> set[str]:
        """schema.org types the page declares (JSON-LD @type, microdata itemtype)."""
        types: set[str] = set()
        if self.root is None:
            return types
        for script in self.root.iter("script"):
            if (script.get("type") or "").lower() != "application/ld+json":
                continue
            try:
                data = json.loads(script.text or "")
            except ValueError:
                continue
            stack = [data]
            while stack:
                item = stack.pop()
                if isinstance(item, dict):
                    kind = item.get("@type")
                    types.update(kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else [])
                    stack.extend(item.values())
                elif isinstance(item, list):
                    stack.extend(item)
        for el in self.root.iter():
            itemtype = el.get("itemtype") if isinstance(el.tag, str) else None
            if itemtype:
                types.add(itemtype.rstrip("/").rsplit("/", 1)[-1])
        return types
