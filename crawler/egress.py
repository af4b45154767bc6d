"""The egress policy: which addresses the crawl (and its browser) may open a connection to.

A compromised or misconfigured portal can redirect us, or make the browser fetch, an address inside the
network the auditor runs in (a cloud metadata service at 169.254.169.254, an admin panel on 10.x, a
database on localhost). So every connection is checked on the *resolved* address:

refused   private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback (127/8, ::1), link-local (169.254/16,
          fe80::/10), multicast, unspecified, reserved/documentation ranges, carrier-grade NAT (100.64/10),
          IPv4-mapped/NAT64 forms of those
allowed   public addresses; the start host's own address(es) (resolved once, at the start); hosts the
          user names with --allow-private-host; with --fast (local fixtures only) any loopback address

It is applied to Scrapy requests (a downloader middleware, before robots.txt: redirects and probes pass
through it too), again inside the DNS resolver Scrapy connects with (so a DNS answer that changes between
the check and the connection is caught), and to every browser request, WebSocket and service worker
(route interception; see crawler/render_guard.py). Each refusal is recorded as a skipped URL (reason
"egress").
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver

RESOLVE_TIMEOUT = 10.0
MAX_RECORDED = 500   # refusals kept for the skipped table: a page can ask for thousands


class EgressRefused(IgnoreRequest):
    """The address a request would connect to is refused by the egress policy."""


class EgressRefusedAtConnect(Exception):
    """Raised by the resolver: the DNS answer at connection time is a refused address."""


def address_class(ip: str) -> str | None:
    """Why an address is not public ("link-local", "private" …), or None for a public address."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return "unparsable"
    if isinstance(addr, ipaddress.IPv6Address):
        mapped = addr.ipv4_mapped or addr.sixtofour
        if mapped is not None:
            return address_class(str(mapped))
        if addr in ipaddress.ip_network("64:ff9b::/96"):   # NAT64 well-known prefix
            return address_class(str(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)))
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_multicast:
        return "multicast"
    if addr.is_unspecified:
        return "unspecified"
    if isinstance(addr, ipaddress.IPv4Address) and addr in ipaddress.ip_network("100.64.0.0/10"):
        return "shared (carrier-grade NAT)"
    if addr.is_private:
        return "private"
    if addr.is_reserved or not addr.is_global:
        return "reserved"
    return None


def _literal(host: str) -> str | None:
    """The host as an IP literal (brackets stripped), or None when it is a name to resolve."""
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        return None


def resolve(host: str) -> list[str]:
    """Every address a host name resolves to (IPv4 and IPv6); an IP literal is itself."""
    if _literal(host):
        return [_literal(host)]
    infos = socket.getaddrinfo(host.strip("[]"), None, proto=socket.IPPROTO_TCP)
    return sorted({info[4][0] for info in infos})


async def resolve_async(host: str) -> list[str]:
    if _literal(host):
        return [_literal(host)]
    host = host.strip("[]")
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(loop.getaddrinfo(host, None, proto=socket.IPPROTO_TCP), RESOLVE_TIMEOUT)
    return sorted({info[4][0] for info in infos})


@dataclass
class EgressPolicy:
    start_url: str
    allow_private_hosts: list[str] = field(default_factory=list)
    allow_loopback: bool = False       # --fast: fixture "hosts" are loopback addresses
    start_addresses: set[str] = field(default_factory=set)
    refusals: list[tuple[str, str, str]] = field(default_factory=list)   # (url, where, reason), not yet stored
    refused_count: int = 0

    def __post_init__(self):
        self.start_host = (urlsplit(self.start_url).hostname or "").lower()
        self.allowed_hosts = {h.lower().strip() for h in self.allow_private_hosts if h.strip()}
        if not self.start_addresses:
            try:
                self.start_addresses = set(resolve(self.start_host))
            except OSError:
                self.start_addresses = set()   # the home page's fetch will record the DNS failure

    def refusal(self, host: str, addresses: list[str]) -> str | None:
        """None when every address is allowed, else a sentence saying what was refused and why."""
        host = (host or "").lower().strip("[]")
        if host in self.allowed_hosts:
            return None
        for ip in addresses:
            if ip in self.start_addresses:
                continue
            kind = address_class(ip)
            if kind is None or (kind == "loopback" and self.allow_loopback):
                continue
            return (f"egress policy: {host} resolves to {ip}, a {kind} address "
                    f"(only the start host's own address and --allow-private-host hosts may be private)")
        return None

    def check_url(self, url: str) -> str | None:
        """Blocking check (used outside the reactor, e.g. by tests and the report)."""
        host = urlsplit(url).hostname
        if not host:
            return None
        try:
            return self.refusal(host, resolve(host))
        except OSError:
            return None   # the fetch itself records the DNS failure

    async def check_url_async(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "ws", "wss", "ftp") or not parts.hostname:
            return None   # data:, blob:, about: open no connection
        try:
            return self.refusal(parts.hostname, await resolve_async(parts.hostname))
        except (OSError, asyncio.TimeoutError):
            return None

    def record(self, url: str, where: str, reason: str) -> None:
        self.refused_count += 1
        if len(self.refusals) < MAX_RECORDED:
            self.refusals.append((url, where, reason))

    def drain(self) -> list[tuple[str, str, str]]:
        out, self.refusals = self.refusals, []
        return out


# One crawl per process (Twisted's reactor cannot restart): the spider installs its policy here so the
# DNS resolver and the browser's route handler, which Scrapy builds without a spider, can reach it.
ACTIVE: EgressPolicy | None = None


def install(policy: EgressPolicy) -> EgressPolicy:
    global ACTIVE
    ACTIVE = policy
    return policy


class EgressMiddleware:
    """Downloader middleware, first of all (priority 40): refuse before robots.txt or a byte is sent."""

    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    async def process_request(self, request, spider=None):
        policy = ACTIVE
        if policy is None:
            return None
        reason = await policy.check_url_async(request.url)
        if reason:
            policy.refused_count += 1
            raise EgressRefused(reason)
        return None


class PolicyResolver(CachingThreadedResolver):
    """Scrapy's resolver, checking the answer it connects with against the policy (DNS rebinding)."""

    def getHostByName(self, name, timeout=()):
        d = super().getHostByName(name, timeout)

        def check(ip):
            policy = ACTIVE
            reason = policy.refusal(name, [ip]) if policy is not None else None
            if reason:
                policy.refused_count += 1
                raise EgressRefusedAtConnect(reason + " (at connection time)")
            return ip
        return d.addCallback(check)


def refused_failure(failure) -> str | None:
    """The refusal message when a failed request was refused by the policy, else None."""
    if failure.check(EgressRefused, EgressRefusedAtConnect):
        return str(failure.value)
    return None

