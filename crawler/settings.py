"""Scrapy settings for the portal crawl. ``build_settings`` adapts them to one audit's options."""
from __future__ import annotations

from crawler.browser import chromium_launch_options
from crawler.options import DEFAULTS, MB, POLITE_DELAY

BOT_NAME = "egov-audit"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

CONTACT_URL = "https://github.com/egov-audit/egov-audit#crawler"
# Identify ourselves with a contact URL: a webmaster who sees us in a log can find out who and why.
USER_AGENT = f"egov-audit/0.1 (+{CONTACT_URL}; UN DESA LOSI portal assessment)"
ROBOTSTXT_OBEY = True

# Politeness: a government portal must never notice us as load.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = POLITE_DELAY
DOWNLOAD_DELAY_JITTER = 0.5             # ±50 % around the delay (what RANDOMIZE_DOWNLOAD_DELAY did)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = DEFAULTS.timeout
RETRY_TIMES = 1
DOWNLOAD_MAXSIZE = int(DEFAULTS.max_size_mb * MB)   # a larger body is cancelled and recorded as too large
DOWNLOAD_WARNSIZE = 0
REDIRECT_MAX_TIMES = 10
EGOV_RETRY_AFTER_MAX = 30.0              # seconds a Retry-After is honoured; longer: the page is an HTTP error
# the resolver Scrapy connects with checks each answer against the egress policy (DNS rebinding)
TWISTED_DNS_RESOLVER = "crawler.egress.PolicyResolver"
COOKIES_ENABLED = True
HTTPERROR_ALLOW_ALL = True               # 4xx/5xx reach the callback and are recorded, with their bodies
REFERER_ENABLED = True

# Scrapy 2.13+ starts a remote-control HTTP server and Scrapy the telnet console: neither belongs in an auditor.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
LOG_INSTALL_ROOT_HANDLER = False         # egov_audit.app.crawllog sets up the console and the log file

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"   # see PortalSpider._request

DOWNLOADER_MIDDLEWARES = {
    "crawler.egress.EgressMiddleware": 40,          # first: a refused address is never contacted (see crawler/egress.py)
    "crawler.middlewares.LoopbackGuardMiddleware": 50,
    "crawler.middlewares.RedirectLoopMiddleware": 55,   # a redirect back into its own chain ends at once
    "crawler.middlewares.BudgetMiddleware": 120,   # after robots.txt (100): a page robots forbids costs nothing
    "crawler.retry_after.RetryAfterMiddleware": 560,   # sees 429/503 before RetryMiddleware (550)
    # evidence archive: above redirects (600) and decompression (590), so 3xx hops and wire bodies are recorded
    "crawler.warc.WarcMiddleware": 890,
}
SPIDER_MIDDLEWARES = {
    "crawler.warc.WarcItemMiddleware": 950,        # WARC record ids onto the page items
}
ITEM_PIPELINES = {
    "crawler.pipelines.PdfTextPipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
}

PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2     # rendering saturates 2 cores at ~2 pages
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = DEFAULTS.timeout * 1000
PLAYWRIGHT_ABORT_REQUEST = "crawler.render_guard.abort_request"   # media, and the egress policy
# Service workers could fetch outside the page's routes: every render asks for a context that blocks them
# (crawler.render_guard.CONTEXT_OPTIONS; created lazily, one per crawl process = per portal).
PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER = True   # crawler.render_guard closes a browser that misbehaves


def build_settings(options: dict) -> dict:
    """Settings for one crawl from its options (crawler.options.CrawlOptions as a dict, plus run_id)."""
    settings = {k: v for k, v in globals().items() if k.isupper()}
    if options.get("fast"):
        # for local fixtures and benchmarks only: no delays, more parallelism per host
        settings.update(DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False, CONCURRENT_REQUESTS_PER_DOMAIN=8,
                        CONCURRENT_REQUESTS=16, EGOV_LOOPBACK_ONLY=True)
    if options.get("retry_after_max") is not None:
        settings["EGOV_RETRY_AFTER_MAX"] = options["retry_after_max"]
    if options.get("delay") is not None:
        settings["DOWNLOAD_DELAY"] = options["delay"]
    if options.get("max_size_mb"):
        settings["DOWNLOAD_MAXSIZE"] = int(options["max_size_mb"] * MB)
    if options.get("timeout"):
        settings["DOWNLOAD_TIMEOUT"] = options["timeout"]
        settings["PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"] = options["timeout"] * 1000
    if options.get("render", DEFAULTS.render) != "never":
        # only http(s) pages asked for with meta["playwright"] go through the browser; the rest stay plain
        settings["DOWNLOAD_HANDLERS"] = {
            "http": "crawler.render_guard.GuardedPlaywrightHandler",
            "https": "crawler.render_guard.GuardedPlaywrightHandler",
        }
        settings["PLAYWRIGHT_LAUNCH_OPTIONS"] = chromium_launch_options(options.get("timeout") or DEFAULTS.timeout)
    settings["EGOV_DB"] = options["db"]
    settings["EGOV_RUN_ID"] = options["run_id"]
    settings["LOG_LEVEL"] = "DEBUG" if options.get("verbose") else "INFO"   # filtered by egov_audit.app.crawllog
    return settings
