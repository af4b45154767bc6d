"""Downloader middleware: the page budget, spent in the scheduler's priority order."""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest


class BudgetExceeded(IgnoreRequest):
    """The page budget for this scope (portal, a satellite host, outbound landings) is spent."""


class OffLoopback(IgnoreRequest):
    """--fast crawls (local fixtures, tests, benchmarks) never leave the loopback interface."""


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "localhost" or host.startswith("127.") or host == "::1"


class RedirectLoopMiddleware:
    """A redirect back to a URL already in its own redirect chain is a loop: stop at once (recorded as a
    `redirect` error) instead of asking the server for the same URLs until REDIRECT_MAX_TIMES."""

    def process_request(self, request, spider=None):
        chain = request.meta.get("redirect_urls")
        if chain:
            from crawler.traps import normalise
            if normalise(request.url) in {normalise(u) for u in chain}:
                raise IgnoreRequest(f"redirect loop: {request.url} redirects back to itself "
                                    f"after {len(chain)} hop(s)")
        return None


class LoopbackGuardMiddleware:
    """Runs first (before robots.txt is fetched) so a fixture crawl sends nothing beyond 127.0.0.0/8."""

    def __init__(self, crawler):
        self.enabled = crawler.settings.getbool("EGOV_LOOPBACK_ONLY")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        if self.enabled and not is_loopback(request.url):
            raise OffLoopback("not fetched: a --fast crawl stays on loopback (127.0.0.0/8)")
        return None


class BudgetMiddleware:
    """Counts a request when it leaves for the downloader, so the highest-priority requests get the budget.

    Every request the server sees counts: pages, redirect hops and the two search probes against the
    budget of the scope their URL is in; catalogue-API probes against an allowance of PROBE_BUDGET per host.
    Free: robots.txt and sitemaps (at most 20), a retry of the same request, and the browser re-render of
    a page already counted (the same URL).
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        meta = request.meta.get("egov")
        if (not meta or meta["kind"] in ("robots", "sitemap") or meta.get("render_of")
                or request.meta.get("retry_times")):
            return None
        spider = self.crawler.spider
        # a redirect hop lands wherever the server sent us: charge the scope of where it goes
        scope = spider.scope.kind(request.url) if request.meta.get("redirect_times") else meta["scope"]
        if meta["kind"] == "data-api":
            scope = "probe"   # catalogue-API probes: an allowance of their own per host (PROBE_BUDGET)
        if not spider.budget.take(scope, request.url):
            self.crawler.stats.inc_value("egov/skipped_budget")
            raise BudgetExceeded(f"page budget for {spider.budget.key(scope, request.url)} is spent")
        return None
