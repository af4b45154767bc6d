"""Which host a URL belongs to, and how much of it we may fetch.

portal     the start host and --allow-host hosts: the main page budget
satellite  the portal's own other hosts (same registrable domain, or linked from
           its navigation/header/footer): a small budget each
external   anything else: only the landing page of each outbound link (one hop)
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import tldextract

# The bundled public-suffix snapshot: no network at run time (the crawl host may have none).
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
PROMOTING_POSITIONS = {"navigation", "header", "footer"}
QUEUE_SLACK = 2
PROBE_BUDGET = 16   # catalogue-API probes per host (crawler/data/data-apis.yaml asks at most ~11): their own allowance


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def registrable_domain(host: str) -> str:
    parts = _EXTRACT(host)
    return parts.top_domain_under_public_suffix or host


@dataclass
class Scope:
    start_url: str
    allow_hosts: list[str] = field(default_factory=list)
    never_satellite: frozenset[str] = frozenset()
    satellites: set[str] = field(default_factory=set)

    def __post_init__(self):
        self.portal_hosts = {host_of(self.start_url)} | {h.lower().removeprefix("www.") for h in self.allow_hosts}
        self.portal_domains = {registrable_domain(h) for h in self.portal_hosts}

    def kind(self, url: str) -> str:
        host = host_of(url)
        if host in self.portal_hosts:
            return "portal"
        if host in self.satellites:
            return "satellite"
        if not self._third_party(host) and registrable_domain(host) in self.portal_domains:
            self.satellites.add(host)
            return "satellite"
        return "external"

    def note_link(self, url: str, position: str, from_kind: str) -> None:
        """A portal page linking a host from its navigation, header or footer makes it a satellite."""
        if from_kind != "portal" or position not in PROMOTING_POSITIONS:
            return
        host = host_of(url)
        if host and host not in self.portal_hosts and not self._third_party(host):
            self.satellites.add(host)

    def _third_party(self, host: str) -> bool:
        return any(host == d or host.endswith("." + d) for d in self.never_satellite)


@dataclass
class Budget:
    """Fetch allowances per scope kind; counted when a request goes to the downloader."""
    max_pages: int
    satellite_pages: int
    max_external: int
    used: Counter = field(default_factory=Counter)
    scheduled: Counter = field(default_factory=Counter)

    def key(self, kind: str, url: str) -> str:
        if kind in ("satellite", "probe"):
            return f"{kind}:{host_of(url)}"
        return kind

    def limit(self, key: str) -> int:
        if key == "portal":
            return self.max_pages
        if key == "external":
            return self.max_external
        if key.startswith("probe:"):
            return PROBE_BUDGET
        return self.satellite_pages

    def spent(self, kind: str, url: str) -> bool:
        key = self.key(kind, url)
        return self.used[key] >= self.limit(key)

    def schedule(self, kind: str, url: str) -> bool:
        """Checked when a request is queued: the budget counts on download (in priority order), but queuing
        more than QUEUE_SLACK times the budget only fills the queue with requests that will be skipped."""
        key = self.key(kind, url)
        limit = self.limit(key)
        if self.used[key] >= limit or self.scheduled[key] >= QUEUE_SLACK * limit + 10:
            return False
        self.scheduled[key] += 1
        return True

    def take(self, kind: str, url: str) -> bool:
        key = self.key(kind, url)
        if self.used[key] >= self.limit(key):
            return False
        self.used[key] += 1
        return True
