"""Crawl-time gatherers: things a rule can only judge if the crawl tried them on the live site.

The internal search (LOSI #206) is verified the UN way: a one-word query is submitted through the
portal's own search form. Here we only take the form the HTML reader found (the same forms the page
model judges) and build the request; the stored answer is judged offline by the `site-search` check.
"""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl

from egov_audit.html.document import Document
from egov_audit.html.forms import SEARCH_FIELD_NAMES

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


def search_probe(doc: Document) -> dict | None:
    """The request a visitor's one-word search would make, or None when the page has no search form."""
    if doc.root is None:
        return None
    for form in doc.forms:
        if not form.is_search:
            continue
        if form.method != "get":
            continue   # a POST search would change nothing on the server, but we never submit POST forms
        field = None
        params = []
        few_inputs = len(form.element.findall(".//input")) <= 3
        for control in form.controls:
            if not control.name:
                continue
            if field is None and control.kind in ("search", "text") and (
                    control.kind == "search" or control.name.lower() in SEARCH_FIELD_NAMES or few_inputs):
                field = control.name
                continue
            if control.kind == "hidden":
                params.append((control.name, control.value))
        if field is None:
            continue
        word = probe_word(doc.root)
        action = form.submit_url
        parts = urlsplit(action)
        def url_for(term: str) -> str:
            query = parse_qsl(parts.query) + params + [(field, term)]
            return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))

        return {"url": url_for(word), "query": word, "control_url": url_for(NONSENSE), "control_query": NONSENSE,
                "field": field, "form_action": action}
    return None
