"""Crawl-time gatherer for open data portals: ask the catalogue APIs a suspected data host may serve.

Spiders only fetch: this module decides *which* hosts to probe and builds the requests' URLs from
crawler/data/data-apis.yaml; the answers are stored raw and judged offline (checks/opendata.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

DATA_FILE = Path(__file__).parent / "data" / "data-apis.yaml"
MAX_BODY = 400_000   # characters of an API answer kept: enough for 100 catalogue records


@dataclass(frozen=True)
class DataApis:
    prefixes: tuple[str, ...]
    signals: tuple[re.Pattern, ...]
    probes: tuple[dict, ...]

    def suspect_host(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        first = host.split(".")[0]
        return any(first == p or first.startswith(p + "-") for p in self.prefixes)

    def suspect_page(self, html: str) -> bool:
        head = html[:200_000]
        return any(p.search(head) for p in self.signals)

    def probe_urls(self, url: str, html: str | None = None) -> list[tuple[str, str]]:
        """(platform, URL) of the probes to send to this page's host. A probe with a `when` pattern is
        left out when the page is given and does not match it; without the page every probe is sent."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        head = html[:200_000] if html is not None else None
        return [(p["platform"], origin + p["path"]) for p in self.probes if not p.get("after")
                and (head is None or not p.get("when") or re.search(p["when"], head))]

    def followups(self, platform: str | None, url: str, status: int, body: str) -> list[tuple[str, str]]:
        """Probes to send after ``platform``'s probe answered at ``url``: only when it answered as that
        platform does (a JSON success), so a CKAN extension is only asked of a CKAN."""
        if not platform or status != 200 or not _json_success(body):
            return []
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        return [(p["platform"], origin + p["path"]) for p in self.probes if p.get("after") == platform]


def _json_success(body: str) -> bool:
    import json
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("success") is True


@lru_cache(maxsize=1)
def load() -> DataApis:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return DataApis(tuple(data["host_prefixes"]), tuple(re.compile(p) for p in data["page_signals"]),
                    tuple(data["probes"]))
