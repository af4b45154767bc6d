"""The page as checks see it: a stored snapshot parsed once into the fields an assessor reads.

Fields (all folded for matching, with the original kept for excerpts): title, headings (h1–h3),
anchors (link texts), text (visible text, no scripts or styles), alt (image alt/title), labels (form
labels, legends, buttons, placeholders), url (the decoded path). Plus links with their position and
target host, forms with their field kinds, head facts and schema.org types.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

from egov_audit.html.facts import INVISIBLE, MAX_PARSE_CHARS, _position, anchor_text
from egov_audit.html.forms import is_search_form
from egov_audit.html.textnorm import fold, fold_with_map

FIELD_TEXT_KINDS = {"text", "search", "email", "tel", "url", "number", "date", "datetime-local", "file", "password"}
HEADING_TAGS = ("h1", "h2", "h3")
LABEL_TAGS = ("label", "legend", "button")


@dataclass
class Segment:
    """One piece of readable text: folded for matching, original for quoting, element for the selector."""
    folded: str
    original: str
    element: object = None
    origin: list[int] | None = None   # folded index → original index (text field only)

    def quote(self, start: int, end: int, width: int = 140) -> str:
        if self.origin is None or not self.origin:
            return _clip(self.original, 300)
        a = self.origin[max(0, min(start, len(self.origin) - 1))]
        b = self.origin[max(0, min(end, len(self.origin)) - 1)] + 1
        lo, hi = max(0, a - width), min(len(self.original), b + width)
        excerpt = self.original[lo:hi].strip()
        return ("…" if lo > 0 else "") + excerpt + ("…" if hi < len(self.original) else "")


@dataclass
class PageLink:
    url: str
    host: str
    href: str              # as written (mailto:, tel: kept)
    anchor: str            # folded
    anchor_original: str
    position: str
    element: object


@dataclass
class FormField:
    kind: str              # email | tel | file | textarea | text | search | password | date | select | checkbox | …
    name: str
    label: str             # folded label / placeholder / aria-label


@dataclass
class Form:
    method: str
    action: str
    fields: list[FormField]
    text: str              # folded: labels, legend, buttons, options and the heading before the form
    element: object
    is_search: bool


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def css_path(element) -> str:
    """A short CSS selector that points at the element (ids win, else tag:nth-of-type up the tree)."""
    if element is None or not isinstance(getattr(element, "tag", None), str):
        return ""
    parts = []
    node = element
    while node is not None and isinstance(node.tag, str) and node.tag not in ("html", "body") and len(parts) < 5:
        node_id = (node.get("id") or "").strip()
        if node_id and re.fullmatch(r"[A-Za-z][\w-]*", node_id):
            parts.append(f"{node.tag}#{node_id}")
            break
        parent = node.getparent()
        same = [c for c in parent if c.tag == node.tag] if parent is not None else [node]
        parts.append(node.tag if len(same) == 1 else f"{node.tag}:nth-of-type({same.index(node) + 1})")
        node = parent
    return " > ".join(reversed(parts))


class Page:
    """One stored page of a run. Parsing is lazy: a rule that only reads the URL never parses HTML."""

    def __init__(self, row: dict, html: str | None, text: str | None = None, host_scope=None, fetched=None):
        self.row = row
        self.url: str = row["url"]
        self.final_url: str = row.get("final_url") or row["url"]
        self.scope: str = row.get("scope") or "portal"
        self.kind: str = row.get("kind") or "other"
        self.click_depth = row.get("click_depth")
        self.title_raw: str = row.get("title") or ""
        self.lang: str = row.get("lang") or ""
        self.snapshot: str | None = row.get("rendered_hash") or row.get("raw_hash")
        self.screenshot: str | None = row.get("screenshot_path")
        self.headers: dict = json.loads(row["headers"]) if row.get("headers") else {}
        self.html = html if html is None or len(html) <= MAX_PARSE_CHARS else html[:MAX_PARSE_CHARS]
        self._pdf_text = text
        self._host_scope = host_scope or (lambda host: "external")
        # what the crawl got when it fetched a link's target: (status, error kind), or None if not fetched
        self._fetched = fetched or (lambda url: None)

    # ---- parsing -----------------------------------------------------------------
    @cached_property
    def root(self):
        if not self.html or not self.html.strip():
            return None
        try:
            return lxml.html.document_fromstring(self.html)
        except (etree.ParserError, ValueError):
            try:
                return lxml.html.document_fromstring(self.html.encode("utf-8"))
            except (etree.ParserError, ValueError):
                return None

    @cached_property
    def body_root(self):
        """A copy of the tree without invisible elements, for visible text."""
        if self.root is None:
            return None
        copy = lxml.html.document_fromstring(etree.tostring(self.root)) if self.root is not None else None
        etree.strip_elements(copy, *INVISIBLE, with_tail=False)
        etree.strip_elements(copy, etree.Comment, etree.ProcessingInstruction, with_tail=False)
        return copy

    def _segments(self, elements) -> list[Segment]:
        out = []
        for el in elements:
            original = " ".join(el.text_content().split()) if hasattr(el, "text_content") else str(el)
            if original:
                out.append(Segment(fold(original), _clip(original, 300), el))
        return out

    @cached_property
    def fields(self) -> dict[str, list[Segment]]:
        path = unquote(urlsplit(self.url).path)
        host = (urlsplit(self.final_url).hostname or "").lower()
        fields: dict[str, list[Segment]] = {"url": [Segment(fold(path.replace("-", " ").replace("_", " ")), self.url)],
                                            "host": [Segment(host.replace(".", " ").replace("-", " "), host)]}
        if self.kind == "pdf":
            text = self._pdf_text or ""
            folded, origin = fold_with_map(text)
            fields.update(title=[Segment(fold(self.title_raw), self.title_raw)] if self.title_raw else [],
                          text=[Segment(folded, text, None, origin)], headings=[], anchors=[], alt=[], labels=[])
            return fields
        root = self.body_root
        if root is None:
            fields.update(title=[], headings=[], anchors=[], text=[], alt=[], labels=[])
            return fields
        title = self.root.find(".//title")
        title_text = " ".join(title.text_content().split()) if title is not None else self.title_raw
        fields["title"] = [Segment(fold(title_text), _clip(title_text, 300))] if title_text else []
        fields["headings"] = self._segments(root.iter(*HEADING_TAGS))
        fields["anchors"] = [Segment(l.anchor, l.anchor_original, l.element) for l in self.links if l.anchor]
        alts = []
        for img in root.iter("img", "area"):
            value = " ".join(((img.get("alt") or "") + " " + (img.get("title") or "")).split())
            if value:
                alts.append(Segment(fold(value), value, img))
        fields["alt"] = alts
        labels = self._segments(root.iter(*LABEL_TAGS))
        for el in root.iter("input", "textarea", "select"):
            value = " ".join(filter(None, (el.get("placeholder"), el.get("aria-label"), el.get("title"),
                                           el.get("value") if (el.get("type") or "").lower() in ("submit", "button") else None)))
            if value:
                labels.append(Segment(fold(value), value, el))
        fields["labels"] = labels
        body = root.find("body")
        text = " ".join(" ".join((body if body is not None else root).itertext()).split())
        folded, origin = fold_with_map(text)
        fields["text"] = [Segment(folded, text, body, origin)]
        return fields

    @cached_property
    def links(self) -> list[PageLink]:
        root = self.body_root if self.body_root is not None else None
        if root is None:
            return []
        base = self.final_url
        base_el = self.root.find(".//base[@href]")
        if base_el is not None:
            base = urljoin(base, base_el.get("href", "").strip())
        out = []
        for a in root.iter("a", "area"):
            href = (a.get("href") or "").strip()
            if not href or href.startswith("#") or href.lower().startswith(("javascript:", "data:")):
                continue
            try:
                url = href if href.lower().startswith(("mailto:", "tel:")) else urljoin(base, href)
                host = (urlsplit(url).hostname or "").lower()
            except ValueError:
                continue
            anchor = anchor_text(a)
            out.append(PageLink(url, host, href, fold(anchor), anchor, _position(a), a))
        return out

    @cached_property
    def _link_by_element(self) -> dict:
        return {id(l.element): l.url for l in self.links}

    def link_url(self, element) -> str:
        return self._link_by_element.get(id(element), "")

    def link_broken(self, link: PageLink) -> bool:
        """True when the crawl fetched the link's target and got an error (a dead data link)."""
        state = self._fetched(link.url)
        return state is not None and (state[1] is not None or (state[0] or 0) >= 400)

    def link_scope(self, link: PageLink) -> str:
        return self._host_scope(link.host)

    @cached_property
    def forms(self) -> list[Form]:
        if self.root is None:
            return []
        forms = []
        for form in self.root.iter("form"):
            fields = []
            labels_by_id = {l.get("for"): " ".join(l.text_content().split()) for l in form.iter("label") if l.get("for")}
            for el in form.iter("input", "textarea", "select"):
                if el.tag == "textarea":
                    kind = "textarea"
                elif el.tag == "select":
                    kind = "select"
                else:
                    kind = (el.get("type") or "text").lower()
                if kind in ("hidden", "submit", "button", "reset", "image"):
                    continue
                label = labels_by_id.get(el.get("id") or "", "") + " " + (el.get("placeholder") or "") + " " + (el.get("aria-label") or "")
                fields.append(FormField(kind, (el.get("name") or "").lower(), fold(label)))
            texts = [" ".join(e.text_content().split()) for e in form.iter("label", "legend", "button", "option", "p", "span", "h2", "h3", "h4")]
            texts += [e.get("value") or "" for e in form.iter("input") if (e.get("type") or "").lower() in ("submit", "button")]
            heading = self._heading_before(form)
            forms.append(Form((form.get("method") or "get").lower(), form.get("action") or "", fields,
                              fold(" ".join([heading] + texts)), form, is_search_form(form)))
        return forms

    def _heading_before(self, element) -> str:
        """The nearest heading above an element: what a visitor reads as the form's title."""
        node = element
        for _ in range(40):
            previous = node.getprevious()
            if previous is None:
                node = node.getparent()
                if node is None:
                    return ""
                continue
            node = previous
            if isinstance(node.tag, str):
                if node.tag in ("h1", "h2", "h3", "h4"):
                    return " ".join(node.text_content().split())
                inner = node.find(".//h2") if node.tag in ("div", "section", "header") else None
                if inner is not None:
                    return " ".join(inner.text_content().split())
        return ""

    # ---- head facts --------------------------------------------------------------
    @cached_property
    def meta(self) -> dict:
        facts = {"viewport": False, "charset": False, "html_lang": "", "hreflang": [], "generator": ""}
        if self.root is None:
            return facts
        facts["html_lang"] = (self.root.get("lang") or self.root.get("xml:lang") or "").strip()
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

    def evidence(self, excerpt: str = "", element=None, **extra) -> dict:
        item = {"url": self.url, "excerpt": _clip(excerpt, 300), "selector": css_path(element),
                "click_depth": self.click_depth, "snapshot": self.snapshot, "screenshot": self.screenshot}
        item.update(extra)
        return item
