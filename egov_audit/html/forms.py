"""Recognising a site-search form from its markup (shared by the crawl's search probe and the page model)."""
from __future__ import annotations

import re

SEARCH_FIELD_NAMES = {"q", "query", "search", "s", "keys", "keyword", "keywords", "k", "term", "terms", "text",
                      "buscar", "busca", "busqueda", "recherche", "suche", "suchbegriff", "searchword", "searchtext",
                      "search_api_fulltext", "wd", "kw", "poisk", "words", "qt", "search-query"}
SEARCH_ACTION = re.compile(r"(?i)(search|busca|recherche|suche|poisk|sousuo|jiansuo|bahth|pesquisa|cerca)")


def is_search_form(form) -> bool:
    if (form.get("role") or "").lower() == "search":
        return True
    parent = form.getparent()
    if parent is not None and (parent.get("role") or "").lower() == "search":
        return True
    inputs = [i for i in form.iter("input") if (i.get("type") or "text").lower() not in ("hidden", "submit", "button")]
    if any((i.get("type") or "").lower() == "search" for i in inputs):
        return True
    if len(inputs) > 2:
        return False
    if any((i.get("name") or "").lower() in SEARCH_FIELD_NAMES for i in inputs):
        return True
    return bool(SEARCH_ACTION.search(form.get("action") or "")) and bool(inputs)
