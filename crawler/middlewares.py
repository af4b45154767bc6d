"""Downloader middleware: the page budget, spent in the scheduler's priority order."""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class BudgetExceeded(IgnoreRequest):
    """The page budget for this scope (portal, a satellite host, outbound landings) is spent."""


class BudgetMiddleware:
    """Counts a page when it leaves for the downloader, so the highest-priority requests get the budget.

    robots.txt, sitemaps, redirect hops and the browser re-render of a page already
    counted are free: they are not pages of the portal.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        meta = request.meta.get("egov")
        if not meta or meta["kind"] != "page" or meta.get("render_of") or request.meta.get("redirect_times"):
            return None
        spider = self.crawler.spider
        if not spider.budget.take(meta["scope"], request.url):
            self.crawler.stats.inc_value("egov/skipped_budget")
            raise BudgetExceeded(f"page budget for {spider.budget.key(meta['scope'], request.url)} is spent")
        return None
