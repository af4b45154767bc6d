"""Link checks: links by anchor text, address or host list; links to files; language switchers; contacts."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from checks.base import FAIL, CheckResult, Option, register
from checks.text import KeywordSet
from egov_audit.html.textnorm import fold

DATA = Path(__file__).parent / "data"
FILE_EXT = re.compile(r"\.([a-z0-9]{2,7})(?:\.(?:gz|zip))?$")
# a format named in the query (?format=csv, ?formato=csv, ?tipo=json, ?output=geojson) or as the last step of an export path
_FORMATS = r"(csv|json|geojson|xlsx|xls|ods|xml|kml|pdf)"
QUERY_FORMAT = re.compile(r"(?:^|[&;])(?:_?format|formato|type|tipo|ext|output|fmt|filetype|dataformat)=" + _FORMATS + r"(?![a-z0-9])")
EXPORT_PATH = re.compile(r"/(?:export|exportar|download|descargar|baixar|telecharger|herunterladen)/" + _FORMATS + r"/?$")
# feeds, sitemaps and CMS plumbing are XML/JSON but not datasets
NOT_DATA_LINK = re.compile(r"(sitemap[^/]*\.xml|/wp-json/|/feeds?/|/feed/?$|/rss|\.rss$|atom\.xml|/oembed|/xmlrpc|opensearch)")


@lru_cache(maxsize=None)
def _data(name: str) -> dict:
    return yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))


def host_in(host: str, domains) -> str | None:
    for domain in domains:
        domain = domain.lower().lstrip(".")
        if host == domain or host.endswith("." + domain):
            return domain
    return None


def prepare_link(options: dict) -> dict:
    return {"anchor": KeywordSet.compile(options.get("anchor")) if options.get("anchor") else None,
            "href": re.compile(options["href"]) if options.get("href") else None}


LINK_POSITIONS = ("navigation", "header", "footer", "body")
LINK_SCOPES = ("portal", "satellite", "external")


@register("link-match", prepare=prepare_link, options=[
    Option("anchor", "keywords", "words the link's text (or its title / aria-label) must contain, per language",
           subject=True),
    Option("href", "regex", "a regular expression the link's address must match (mailto:/tel: links only when it "
                            "names them)", shown=True, subject=True),
    Option("hosts", "text-or-list", "name(s) of host lists in rules/_data/hosts.yaml the link must point into",
           data="hosts", shown=True, subject=True),
    Option("to", "list", "where the link must lead", allowed=LINK_SCOPES),
    Option("positions", "list", "where on the page the link must sit", allowed=LINK_POSITIONS),
    Option("min_distinct", "int", "distinct links (or hosts, with `hosts`) needed", default=1),
])
def link_match(page, options, context) -> CheckResult:
    """Links chosen by their text, address, target host list, where they sit on the page and where they
    lead; links to pages the rule rejects (its `none` address patterns) do not count."""
    anchor, href = options.compiled["anchor"], options.compiled["href"]
    to, positions = options.get("to"), options.get("positions")
    hosts = None
    if options.get("hosts"):
        names = options["hosts"] if isinstance(options["hosts"], list) else [options["hosts"]]
        table = context.data.get("hosts") or {}
        missing = [n for n in names if n not in table]
        if missing:
            raise KeyError(f"unknown host list(s) {missing} (rules/_data/hosts.yaml)")
        hosts = [d for n in names for d in table[n]]
    distinct: dict[str, object] = {}
    ignore_links = options.excluded_links
    for link in page.links:
        if ignore_links is not None and ignore_links.search(link.url):
            continue
        if positions and link.position not in positions:
            continue
        if to and page.link_scope(link) not in to:
            continue
        if href is not None:
            # an address pattern describes web pages; a mailto:/tel: link only counts when the pattern asks for one
            if link.href.lower().startswith(("mailto:", "tel:")) and not re.search(r"mailto|tel:", href.pattern):
                continue
            if not href.search(link.url):
                continue
        if anchor is not None:
            label = link.anchor + " " + fold((link.element.get("title") or "") + " " + (link.element.get("aria-label") or ""))
            if anchor.search(label) is None:
                continue
        key = link.url
        if hosts is not None:
            key = host_in(link.host, hosts)
            if key is None:
                continue
        distinct.setdefault(key, link)
    if len(distinct) < int(options.get("min_distinct", 1)):
        return FAIL
    evidence = [page.evidence(f"{l.anchor_original or '(no text)'} → {l.url}", l.element, field="anchors",
                              link=l.url, position=l.position) for l in list(distinct.values())[:3]]
    return CheckResult("pass", evidence)


def file_format(url: str) -> str | None:
    parts = urlsplit(url)
    match = FILE_EXT.search(unquote(parts.path).lower())
    if match:
        return match.group(1)
    query = parts.query.lower()
    match = QUERY_FORMAT.search(query)
    if match:
        return match.group(1)
    match = EXPORT_PATH.search(parts.path.lower())   # /datasets/12/export/csv, /download/geojson
    return match.group(1) if match else None


@register("file-links", options=[
    Option("formats", "list", "file formats (extensions) that count, e.g. [csv, xlsx, json]", required=True,
           shown=True, subject=True),
    Option("min_count", "int", "distinct file links needed", default=1),
])
def file_links(page, options, context) -> CheckResult:
    """Links to files of the given formats (by extension, a format in the query or an export path); feeds,
    sitemaps and dead links do not count."""
    formats = {f.lower().lstrip(".") for f in options.get("formats", ())}
    found = {}
    for link in page.links:
        if link.href.lower().startswith(("mailto:", "tel:")):
            continue
        fmt = file_format(link.url)
        if fmt in ("xml", "json", "txt") and NOT_DATA_LINK.search(link.url.lower()):
            continue
        if fmt in formats and not page.link_broken(link):   # a dead data link offers no data
            found.setdefault(link.url, (fmt, link))
    if len(found) < int(options.get("min_count", 1)):
        return FAIL
    evidence = [page.evidence(f"{fmt.upper()}: {l.anchor_original or l.url}", l.element, field="anchors", link=l.url)
                for fmt, l in list(found.values())[:3]]
    return CheckResult("pass", evidence)


@register("data-file", options=[
    Option("formats", "list", "formats that count", default=("csv", "json", "xml", "xlsx", "geojson"), shown=True,
           subject=True),
])
def data_file(page, options, context) -> CheckResult:
    """The page itself is a data file (fetched as data) of one of the formats."""
    formats = {f.lower() for f in options.get("formats", ("csv", "json", "xml", "xlsx", "geojson"))}
    content_type = (page.row.get("content_type") or "").lower()
    fmt = file_format(page.final_url) or next((f for f in formats if f in content_type), None)
    if page.kind == "data" and fmt in formats:
        return CheckResult("pass", [page.evidence(f"{fmt.upper()} file, {page.row.get('size') or 0} bytes")])
    return FAIL


@register("language-switch", options=[
    Option("min_languages", "int", "languages the page must be offered in, its own included", default=2),
])
def language_switch(page, options, context) -> CheckResult:
    """The page is offered in several languages: hreflang alternates, or language-switch links (language
    names, or codes in the header, navigation or footer)."""
    wanted = int(options.get("min_languages", 2))
    own = (page.meta["html_lang"] or page.lang or "").split("-")[0].lower()
    languages = {own} if own else set()
    evidence = []
    for code in page.meta["hreflang"]:
        if code != "x-default":
            languages.add(code.split("-")[0])
    if len(languages) >= wanted:
        return CheckResult("pass", [page.evidence("hreflang alternates: " + ", ".join(sorted(languages)))])
    names = _data("languages")["names"]
    codes = set(_data("languages")["codes"])
    folded_names = {fold(n): lang for lang, ns in names.items() for n in ns}
    for link in page.links:
        label = link.anchor.strip(" |/[]()")
        lang = folded_names.get(label)
        if lang is None and label in codes and link.position in ("header", "navigation", "footer"):
            lang = label
        if lang is None:
            hreflang = (link.element.get("hreflang") or link.element.get("lang") or "").split("-")[0].lower()
            lang = hreflang or None
        if lang and lang not in languages:
            languages.add(lang)
            evidence.append(page.evidence(f"{link.anchor_original} → {link.url}", link.element, field="anchors"))
    if len(languages) >= wanted:
        return CheckResult("pass", evidence[:3])
    return FAIL


PHONE = re.compile(r"\+?\(?\d[\d\s().\-/]{5,18}\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@register("contact-info", options=[
    Option("kinds", "list", "kinds of contact to look for", default=("tel", "email", "address"),
           allowed=("tel", "email", "address")),
    Option("min_kinds", "int", "kinds that must be found", default=1),
])
def contact_info(page, options, context) -> CheckResult:
    """Contact details on the page: tel: / mailto: links, a labelled phone number, an e-mail address, a
    labelled postal address."""
    kinds = options.get("kinds") or ["tel", "email", "address"]
    found: dict[str, dict] = {}
    for link in page.links:
        scheme = link.href.lower().split(":", 1)[0]
        if scheme == "tel" and "tel" in kinds:
            found.setdefault("tel", page.evidence(link.href, link.element, field="anchors"))
        if scheme == "mailto" and "email" in kinds:
            found.setdefault("email", page.evidence(link.href, link.element, field="anchors"))
    text = page.fields.get("text") or []
    if text:
        segment = text[0]
        data = _data("contact")
        if "tel" in kinds and "tel" not in found:
            labels = _labels(data["phone_labels"])
            for m in labels.find(segment.folded):
                after = segment.folded[m.end():m.end() + 40]
                phone = PHONE.search(after)
                if phone and sum(c.isdigit() for c in phone.group(0)) >= 6:
                    found["tel"] = page.evidence(segment.quote(m.start(), m.end() + phone.end(), 30), None, field="text")
                    break
        if "email" in kinds and "email" not in found:
            email = EMAIL.search(segment.original)
            if email:
                found["email"] = page.evidence(email.group(0), None, field="text")
        if "address" in kinds and "address" not in found:
            labels = _labels(data["address_labels"])
            for m in labels.find(segment.folded):
                around = segment.folded[m.start():m.end() + 80]
                if re.search(r"\d", around):   # an address carries a number: street number or postcode
                    found["address"] = page.evidence(segment.quote(m.start(), m.end() + 60, 10), None, field="text")
                    break
    if len(found) < int(options.get("min_kinds", 1)):
        return CheckResult("fail", reason=f"found only: {', '.join(sorted(found)) or 'nothing'}")
    return CheckResult("pass", list(found.values()))


_LABELS: dict[int, KeywordSet] = {}


def _labels(table: dict) -> KeywordSet:
    """Compiled once: the tables come from the cached data file, so their identity is stable."""
    if id(table) not in _LABELS:
        _LABELS[id(table)] = KeywordSet.compile(table)
    return _LABELS[id(table)]
