"""Run one crawl in this process: open or resume a run, drive Scrapy, keep a progress display, close the run.

Twisted's reactor cannot be restarted, so one process runs one crawl; batch
audits and tests start a process per crawl.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from crawler.options import CrawlOptions
from egov_audit.app.crawllog import configure as configure_logging
from egov_audit.store.db import Store

__all__ = ["CrawlOptions", "CrawlOutcome", "run_crawl"]   # CrawlOptions lives in crawler.options


@dataclass
class CrawlOutcome:
    run_id: str
    resumed: bool
    status: str
    counts: dict
    stats: dict
    home_error: str | None = None  # why the home page could not be fetched (the audit then exits HOME_UNREACHABLE)


def portal_name(url: str) -> str:
    return (urlsplit(url).hostname or url).lower()


def validate_start_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url if parts.path else url + "/"


HOME_UNREACHABLE = 3   # exit code of `crawl`/`audit` when the home page could not be fetched (documented in README)


def home_error(store: Store, run_id: str, start_url: str) -> str | None:
    """Why the home page could not be fetched, in words ("HTTP 503 after 3 tries"), or None when it was."""
    outcome = store.page_outcome(run_id, start_url)
    if outcome is None:
        return "no answer was recorded (the crawl was interrupted before it)"
    if outcome[0] == "skipped":
        return f"{outcome[2] or outcome[1]}"
    status, error_kind, error = outcome
    if error_kind in (None, "soft_404", "decode"):
        return None
    return error or error_kind


def open_run(options: CrawlOptions) -> tuple[Store, str, bool, object]:
    """Open the DB and resume the matching interrupted run or start a new one: (store, run_id, resumed, state)."""
    options.start_url = validate_start_url(options.start_url)
    store = Store(options.db)
    settings_record = options.audit_settings()
    run_id = None if options.fresh else store.find_resumable(settings_record)
    resumed = run_id is not None
    if resumed:
        resume_state = store.resume_state(run_id)
        store.mark_run(run_id, "running")
    else:
        run_id = store.new_run(portal_name(options.start_url), options.start_url, settings_record)
        resume_state = None
    return store, run_id, resumed, resume_state


def spider_arguments(options: CrawlOptions, resume_state) -> dict:
    """The PortalSpider's keyword arguments for these options (one place for the CLI crawl and the worker)."""
    return dict(start_url=options.start_url, allow_hosts=options.allow_hosts, max_pages=options.max_pages,
                max_depth=options.max_depth, satellite_pages=options.satellite_pages,
                max_external=options.max_external, render=options.render, resume=resume_state,
                axe_pages=options.axe_pages, allow_private_hosts=options.allow_private_hosts)


def close_run(store: Store, run_id: str, options: CrawlOptions, resumed: bool, reason: str,
              stats: dict) -> CrawlOutcome:
    """After the crawl: click depths, the run's final status, its counts."""
    status = "finished" if reason == "finished" else "interrupted"
    store.compute_click_depth(run_id, options.start_url)
    store.mark_run(run_id, status)
    return CrawlOutcome(run_id, resumed, status, store.counts(run_id), dict(stats or {}),
                        home_error(store, run_id, options.start_url))


def gather_after_crawl(store: Store, run_id: str, options: CrawlOptions, reason: str) -> None:
    """Browser engines (#201) and the W3C checker (#208/#209): once per portal, after Scrapy has stopped and
    before the run is judged; an interrupted crawl leaves them to the run that resumes it."""
    if reason == "finished":
        from crawler.egress import EgressPolicy
        from crawler.postcrawl import gather
        # the crawl's egress policy, applied to every connection the engines open (as in the crawl's renders)
        policy = EgressPolicy(options.start_url, list(options.allow_private_hosts), allow_loopback=options.fast)
        gather(store, run_id, options.start_url, render=options.render, timeout_s=options.timeout, policy=policy,
               enabled=options.w3c_and_engines)


def run_crawl(options: CrawlOptions, progress=None) -> CrawlOutcome:
    """Crawl into the DB. ``progress`` (optional) gets ``update(stats, queued)`` calls and ``close()``."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.settings import build_settings
    from crawler.spiders.portal import PortalSpider

    store, run_id, resumed, resume_state = open_run(options)
    settings = build_settings({**asdict(options), "run_id": run_id})
    configure_logging(options.db, options.verbose)   # details to <db>.log; the console stays quiet
    process = CrawlerProcess(settings)
    logging.getLogger("tldextract").setLevel(logging.ERROR)   # it warns when it cannot reach the PSL online
    crawler = process.create_crawler(PortalSpider)
    close_reason = {}

    def on_closed(spider, reason):
        close_reason["reason"] = reason

    def on_item(item, response=None, spider=None):
        if progress is not None:
            queued = len(crawler.engine._slot.scheduler) if crawler.engine and crawler.engine._slot else 0
            progress.update(crawler.stats.get_stats(), queued)

    crawler.signals.connect(on_closed, signal=signals.spider_closed)
    crawler.signals.connect(on_item, signal=signals.item_scraped)
    process.crawl(crawler, **spider_arguments(options, resume_state))
    try:
        process.start()
    finally:
        if progress is not None:
            progress.close()
    reason = close_reason.get("reason", "unknown")
    gather_after_crawl(store, run_id, options, reason)
    outcome = close_run(store, run_id, options, resumed, reason, crawler.stats.get_stats())
    store.close()
    return outcome
