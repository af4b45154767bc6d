"""Open data catalogues judged from their own APIs (answers stored during the crawl by crawler/dataprobe.py).

A catalogue summary per host: platform, number of datasets, share in open machine-readable formats,
licences, metadata completeness (title, description, modified date, publisher), most recent update,
and which of the six OSI sectors its tags, groups and titles cover.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from checks.base import CheckResult, Option, register
from checks.text import KeywordSet
from egov_audit.html.textnorm import fold

OPEN_FORMATS = {"csv", "json", "geojson", "xml", "xlsx", "xls", "ods", "kml", "kmz", "shp", "zip-shp", "rdf",
                "txt", "tsv", "jsonld", "parquet", "wms", "wfs", "api", "gpkg", "gml", "topojson", "xlsm", "sdmx"}


@dataclass
class Dataset:
    title: str = ""
    description: str = ""
    modified: str = ""
    licence: str = ""
    publisher: str = ""
    formats: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all((self.title, self.description, self.modified, self.publisher))

    @property
    def open(self) -> bool:
        return any(f in OPEN_FORMATS for f in self.formats)


@dataclass
class Catalogue:
    platform: str
    host: str
    api_url: str
    total: int
    datasets: list[Dataset]
    software: str = ""

    def summary(self, sectors: list[str], name: str = "") -> str:
        n = len(self.datasets)
        formats = Counter(f.upper() for d in self.datasets for f in set(d.formats))
        licences = Counter(d.licence for d in self.datasets if d.licence)
        parts = [f"{name or self.platform.upper()}{' ' + self.software if self.software else ''}: {self.total} datasets"]
        if n:
            parts.append(f"{round(100 * sum(d.open for d in self.datasets) / n)}% in open formats "
                         f"({', '.join(f'{k} {v}' for k, v in formats.most_common(4))})")
            parts.append(f"licence {licences.most_common(1)[0][0] if licences else 'not stated'}")
            parts.append(f"metadata complete {round(100 * sum(d.complete for d in self.datasets) / n)}%")
            latest = max((d.modified for d in self.datasets if d.modified), default="")
            if latest:
                parts.append(f"latest update {latest[:10]}")
        if sectors:
            parts.append("sectors: " + ", ".join(sectors))
        return "; ".join(parts)


def _text(value) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("title") or value.get("@value") or value.get("id") or "")
    return "" if value is None else str(value)


def _fmt(value: str) -> str:
    value = (value or "").lower().strip().lstrip(".")
    if "/" in value:   # a media type: text/csv, application/vnd.geo+json …
        value = value.rsplit("/", 1)[1].replace("vnd.geo+", "geo").replace("+json", "json").split(";")[0]
        value = {"vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx", "vnd.ms-excel": "xls",
                 "ld+json": "jsonld", "plain": "txt"}.get(value, value)
    return value


def _parse_ckan(data: dict) -> tuple[int, list[Dataset]]:
    result = data.get("result") or {}
    items = result.get("results") or []
    return int(result.get("count") or len(items)), [Dataset(
        title=_text(i.get("title")), description=_text(i.get("notes")), modified=_text(i.get("metadata_modified")),
        licence=_text(i.get("license_title") or i.get("license_id")),
        publisher=_text(i.get("organization") or i.get("author") or i.get("maintainer")),
        formats=[_fmt(r.get("format") or r.get("mimetype") or "") for r in i.get("resources") or []],
        tags=[_text(t) for t in (i.get("tags") or []) + (i.get("groups") or [])]) for i in items]


def _parse_socrata(data: dict) -> tuple[int, list[Dataset]]:
    items = data.get("results") or []
    out = []
    for i in items:
        resource, classification = i.get("resource") or {}, i.get("classification") or {}
        # Socrata serves every dataset as CSV and JSON through its API: the formats are open by construction
        out.append(Dataset(title=_text(resource.get("name")), description=_text(resource.get("description")),
                           modified=_text(resource.get("updatedAt") or resource.get("data_updated_at")),
                           licence=_text((i.get("metadata") or {}).get("license")),
                           publisher=_text(resource.get("attribution") or (i.get("metadata") or {}).get("domain")),
                           formats=["csv", "json"] if resource.get("type") in ("dataset", "map", None) else [],
                           tags=[_text(t) for t in (classification.get("domain_tags") or []) +
                                 [classification.get("domain_category")] if t]))
    return int(data.get("resultSetSize") or len(items)), out


def _parse_ods(data: dict) -> tuple[int, list[Dataset]]:
    items = data.get("results") or []
    out = []
    for i in items:
        meta = ((i.get("metas") or {}).get("default")) or {}
        themes = meta.get("theme") or []
        keywords = meta.get("keyword") or []
        out.append(Dataset(title=_text(meta.get("title")), description=_text(meta.get("description")),
                           modified=_text(meta.get("modified") or meta.get("data_processed")),
                           licence=_text(meta.get("license")), publisher=_text(meta.get("publisher")),
                           formats=["csv", "json", "xlsx"],   # OpenDataSoft exports every dataset in these
                           tags=[_text(t) for t in (themes if isinstance(themes, list) else [themes]) +
                                 (keywords if isinstance(keywords, list) else [keywords])]))
    return int(data.get("total_count") or len(items)), out


def _parse_udata(data: dict) -> tuple[int, list[Dataset]]:
    items = data.get("data") or []
    return int(data.get("total") or len(items)), [Dataset(
        title=_text(i.get("title")), description=_text(i.get("description")), modified=_text(i.get("last_modified")),
        licence=_text(i.get("license")), publisher=_text(i.get("organization") or i.get("owner")),
        formats=[_fmt(r.get("format") or r.get("mime") or "") for r in i.get("resources") or []],
        tags=[_text(t) for t in i.get("tags") or []]) for i in items]


def _parse_dcat(data) -> tuple[int, list[Dataset]]:
    items = data.get("dataset") if isinstance(data, dict) else None
    if items is None and isinstance(data, dict):
        graph = data.get("@graph") or []
        items = [g for g in graph if "Dataset" in str(g.get("@type", ""))]
    items = items or []
    out = []
    for i in items:
        dists = i.get("distribution") or i.get("dcat:distribution") or []
        dists = dists if isinstance(dists, list) else [dists]
        out.append(Dataset(title=_text(i.get("title") or i.get("dct:title")),
                           description=_text(i.get("description") or i.get("dct:description")),
                           modified=_text(i.get("modified") or i.get("dct:modified")),
                           licence=_text(i.get("license") or i.get("dct:license")),
                           publisher=_text(i.get("publisher") or i.get("dct:publisher")),
                           formats=[_fmt(_text(d.get("format") or d.get("mediaType") or d.get("dcat:mediaType")))
                                    for d in dists if isinstance(d, dict)],
                           tags=[_text(t) for t in (i.get("keyword") or []) + (i.get("theme") or [])]))
    return len(items), out


def _parse_dkan(data) -> tuple[int, list[Dataset]]:
    """DKAN's metastore answers a plain list of DCAT-US dataset records."""
    return _parse_dcat({"dataset": data if isinstance(data, list) else []})


API_NAMES = {"socrata": "Discovery API v1", "opendatasoft": "Explore API v2.1", "udata": "API v1",
             "dkan": "metastore API", "dcat": "DCAT feed"}

PARSERS = {"dkan": _parse_dkan, "ckan": _parse_ckan, "socrata": _parse_socrata, "opendatasoft": _parse_ods, "udata": _parse_udata,
           "dcat": _parse_dcat}


def catalogues(probes: list[dict]) -> tuple[list[Catalogue], list[str]]:
    """Parse the stored API answers: the catalogues found, and the failures (hosts that did not answer)."""
    found: dict[tuple[str, str], Catalogue] = {}
    failures = []
    software: dict[str, str] = {}
    for probe in probes:
        if probe.get("platform") not in PARSERS:
            continue   # another kind of probe (dataset requests, participation platforms): judged elsewhere
        if probe.get("error_kind"):
            failures.append(f"{probe['url']}: {probe['error_kind']}")
            continue
        if (probe.get("status") or 0) >= 500:
            failures.append(f"{probe['url']}: HTTP {probe['status']}")   # the server broke: not "no catalogue"
            continue
        if (probe.get("status") or 0) >= 400 or not probe.get("body"):
            continue
        try:
            data = json.loads(probe["body"])
        except ValueError:
            continue   # an HTML page at an API path: not this platform
        if probe["platform"] == "ckan" and "status_show" in probe["url"]:
            if isinstance(data, dict) and data.get("success") and isinstance(data.get("result"), dict):
                software[probe["host"]] = "CKAN " + str(data["result"].get("ckan_version", ""))
            continue
        try:
            total, datasets = PARSERS[probe["platform"]](data)
        except (AttributeError, TypeError, ValueError, KeyError):
            continue   # JSON of another shape: not this platform's catalogue
        if total or datasets:
            key = (probe["host"], probe["platform"])
            if key not in found:
                found[key] = Catalogue(probe["platform"], probe["host"], probe["url"], total, datasets)
    for catalogue in found.values():
        if catalogue.platform == "ckan":
            catalogue.software = software.get(catalogue.host, "").replace("CKAN ", "").strip()
        else:
            catalogue.software = API_NAMES.get(catalogue.platform, "")
    return sorted(found.values(), key=lambda c: -c.total), failures


@lru_cache(maxsize=1)
def _sectors() -> dict[str, KeywordSet]:
    data = yaml.safe_load((Path(__file__).parent / "data" / "sectors.yaml").read_text(encoding="utf-8"))
    return {name: KeywordSet.compile(words) for name, words in data.items()}


def sectors_of(catalogue: Catalogue) -> list[str]:
    text = fold(" | ".join(d.title + " " + " ".join(d.tags) for d in catalogue.datasets))
    return [name for name, words in _sectors().items() if words.search(text)]


@register("data-catalogue", site=True, options=[
    Option("min_datasets", "int", "datasets the catalogue must list", default=1),
    Option("min_open_share", "number", "share (0–1) of datasets offered in an open format", default=0),
    Option("licence", "bool", "most datasets must state a licence", default=False),
    Option("min_complete_share", "number", "share (0–1) of datasets with complete metadata", default=0),
    Option("sector", "text", "an OSI sector the catalogue must cover (a name in checks/data/sectors.yaml)"),
    Option("min_sectors", "int", "OSI sectors the catalogue must cover", default=0),
])
def data_catalogue(site, options, context) -> CheckResult:
    """A data catalogue verified through its API (CKAN, Socrata, Opendatasoft … answers stored by the crawl):
    enough datasets, open formats, licences, complete metadata, sectors."""
    probes = site.artifacts.get("data-api") or []
    found, failures = catalogues(probes)
    probes = [p for p in probes if p.get("platform") in PARSERS]
    if not found:
        if failures and not any(not p.get("error_kind") for p in probes):
            raise RuntimeError("the data portal's API did not answer: " + "; ".join(failures[:3]))
        if failures:   # some catalogue API broke (5xx, timeout): absence is not shown, a person must look
            return CheckResult("review", reason="the data portal's API did not answer, cannot tell: " + "; ".join(failures[:3]))
        asked = sorted({p["host"] for p in probes})
        return CheckResult("fail", reason=("no open data catalogue API answered on " + ", ".join(asked)) if asked
                           else "no data portal was found to ask for its catalogue")
    reasons = []
    for catalogue in found:
        n = len(catalogue.datasets) or 1
        sectors = sectors_of(catalogue)
        problems = []
        if catalogue.total < int(options.get("min_datasets", 1)):
            problems.append(f"{catalogue.total} datasets")
        if sum(d.open for d in catalogue.datasets) / n < float(options.get("min_open_share", 0)):
            problems.append("too few datasets in open formats")
        if options.get("licence") and sum(bool(d.licence) for d in catalogue.datasets) / n < 0.5:
            problems.append("no licence stated on most datasets")
        if sum(d.complete for d in catalogue.datasets) / n < float(options.get("min_complete_share", 0)):
            problems.append("incomplete metadata")
        if options.get("sector") and options["sector"] not in sectors:
            problems.append(f"no {options['sector']} datasets")
        if len(sectors) < int(options.get("min_sectors", 0)):
            problems.append(f"{len(sectors)} of the six sectors covered")
        names = {pid: spec.get("name", pid) for pid, spec in (context.data.get("platforms") or {}).items()}
        summary = catalogue.summary(sectors, names.get(catalogue.platform, ""))
        where = {"portal": "on the portal itself", "satellite": "on the city's data host"}.get(
            site.host_scope(catalogue.host), "on a linked external portal")
        summary = f"{where} {catalogue.host} — {summary}"
        if not problems:
            return CheckResult("pass", [{"url": catalogue.api_url, "excerpt": summary[:300], "selector": "",
                                         "click_depth": None, "snapshot": None, "screenshot": None,
                                         "field": "data-api", "platform": catalogue.platform}])
        reasons.append(f"{catalogue.host}: {', '.join(problems)} ({summary[:160]})")
    return CheckResult("fail", reason="; ".join(reasons[:2]))
