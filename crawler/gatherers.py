"""Crawl-time gatherers: things a rule can only judge if the crawl tried them on the live site.

The internal search (LOSI #206) is verified the UN way: a one-word query is submitted through the
portal's own search form. Here we only find the form and build the request; the stored answer is
judged offline by the `site-search` check.
"""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit, parse_qsl

import lxml.html
from lxml import etree

from egov_audit.html.forms import SEARCH_FIELD_NAMES, is_search_form

WORD = re.compile(r"[^\W\d_]{5,}", re.UNICODE)
CJK = re.compile(r"[\u4e00-\u9fff]{2,4}")


NONSENSE = "zqxjvkwpy"   # no portal has it: the answer to it shows what "no results" looks like


def probe_word(root) -> str:
    """A word the portal itself uses often in its link texts: a search for it should find something.

    Words of the page title (the city's name, the portal's name) are left out: every page has
    them, so a search that ignores its query would still seem to find them.
    """
    title = root.find(".//title")
    in_title = {w.lower() for w in WORD.findall(title.text_content() if title is not None else "")}
    counts: Counter[str] = Counter()
    for a in root.iter("a"):
        text = " ".join(a.text_content().split())
        counts.update(w.lower() for w in WORD.findall(text))
        counts.update(CJK.findall(text))
    if not counts:
        body_text = " ".join(root.itertext())
        counts.update(w.lower() for w in WORD.findall(body_text))
    for word in in_title:
        counts.pop(word, None)
    return counts.most_common(1)[0][0] if counts else "service"


def search_probe(html: str, base_url: str) -> dict | None:
    """The request a visitor's one-word search would make, or None when the page has no search form."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    for form in root.iter("form"):
        if not is_search_form(form):
            continue
        method = (form.get("method") or "get").lower()
        if method != "get":
            continue   # a POST search would change nothing on the server, but we never submit POST forms
        field = None
        params = []
        for element in form.iter("input", "select", "textarea"):
            name = element.get("name")
            if not name:
                continue
            kind = (element.get("type") or "text").lower()
            if field is None and kind in ("search", "text") and (
                    kind == "search" or name.lower() in SEARCH_FIELD_NAMES or len(form.findall(".//input")) <= 3):
                field = name
                continue
            if kind == "hidden":
                params.append((name, element.get("value") or ""))
        if field is None:
            continue
        word = probe_word(root)
        action = urljoin(base_url, (form.get("action") or "").strip() or base_url)
        parts = urlsplit(action)
        def url_for(term: str) -> str:
            query = parse_qsl(parts.query) + params + [(field, term)]
            return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))

        return {"url": url_for(word), "query": word, "control_url": url_for(NONSENSE), "control_query": NONSENSE,
                "field": field, "form_action": action}
    return None
