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
from urllib.parse import unquote, urlsplit

from egov_audit.html.document import Document
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
        # read by the same reader as the crawl (base URL = where the page was finally fetched from)
        self.document = Document(html, self.final_url)
        self.html = self.document.html if html is not None else None
        self._pdf_text = text
        self._host_scope = host_scope or (lambda host: "external")
        # what the crawl got when it fetched a link's target: (status, error kind), or None if not fetched
        self._fetched = fetched or (lambda url: None)

    # ---- parsing -----------------------------------------------------------------
    @property
    def root(self):
        return self.document.root

    @property
    def body_root(self):
        """The tree without invisible elements, for visible text."""
        return self.document.visible_root

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
        text = self.document.text
        folded, origin = fold_with_map(text)
        fields["text"] = [Segment(folded, text, body, origin)]
        return fields

    @cached_property
    def links(self) -> list[PageLink]:
        """The document's links (the reader's, the same the crawl stored), with folded anchors and hosts."""
        out = []
        for link in self.document.links:
            try:
                host = (urlsplit(link.url).hostname or "").lower()
            except ValueError:
                continue
            out.append(PageLink(link.url, host, link.href, fold(link.anchor), link.anchor, link.position, link.element))
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
        """The reader's forms, with their fields' labels and the text around them folded for matching."""
        forms = []
        for read in self.document.forms:
            form = read.element
            fields = [FormField(c.kind, c.name.lower(), fold(c.label)) for c in read.fields]
            texts = [" ".join(e.text_content().split()) for e in form.iter("label", "legend", "button", "option", "p", "span", "h2", "h3", "h4")]
            texts += [e.get("value") or "" for e in form.iter("input") if (e.get("type") or "").lower() in ("submit", "button")]
            heading = self._heading_before(form)
            forms.append(Form(read.method, read.action, fields, fold(" ".join([heading] + texts)), form, read.is_search))
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
    @property
    def meta(self) -> dict:
        return self.document.head

    @property
    def schema_types(self) -> set[str]:
        return self.document.schema_types

    def evidence(self, excerpt: str = "", element=None, **extra) -> dict:
        item = {"url": self.url, "excerpt": _clip(excerpt, 300), "selector": css_path(element),
                "click_depth": self.click_depth, "snapshot": self.snapshot, "screenshot": self.screenshot}
        item.update(extra)
        return item
