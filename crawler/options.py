"""The crawl's contract: one options type, and the defaults every entry point takes from it.

The CLI (`crawl`, `audit`), batch and monitor, the runner, the spider and the Scrapy settings all
read their defaults here, so a budget or a timeout is changed in one place.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

RENDER_MODES = ("auto", "always", "never")
POLITE_DELAY = 0.5        # seconds between requests to one host when --delay is not given (auto-throttled)
MB = 1024 * 1024


@dataclass
class CrawlOptions:
    start_url: str
    db: str = "audit.db"
    allow_hosts: list[str] = field(default_factory=list)
    allow_private_hosts: list[str] = field(default_factory=list)   # egress: hosts that may resolve to private addresses
    max_pages: int = 300           # page budget for the portal's own hosts
    max_depth: int = 10            # link hops from the home page
    satellite_pages: int = 25      # page budget for each satellite host
    max_external: int = 100        # outbound landing pages fetched at most (one hop each)
    render: str = "auto"           # auto | always | never
    fast: bool = False             # no politeness delays: for local fixtures only
    delay: float | None = None     # None: POLITE_DELAY, auto-throttled
    timeout: int = 30              # seconds before a request (or a render) is a timeout error
    max_size_mb: float = 30        # a larger response is cancelled and recorded as too large
    axe_pages: int = 5             # pages scanned with axe-core in Chromium (home + navigation pages); 0: none
    w3c_and_engines: bool = True   # after the crawl: the W3C checker (#208/#209) and the browser engines (#201)
    fresh: bool = False            # start a new run even when an interrupted one could be resumed
    retry_after_max: float = 30.0  # seconds a 429/503 Retry-After is honoured; longer: the page is an HTTP error
    log_level: str = "WARNING"
    verbose: bool = False          # details and tracebacks on the console too (always in <db>.log)

    def __post_init__(self) -> None:
        if self.render not in RENDER_MODES:
            raise ValueError(f"render must be auto, always or never, not {self.render!r}")

    def audit_settings(self) -> dict:
        """What is stored with the run (and compared when deciding to resume)."""
        data = asdict(self)
        for transient in ("db", "fresh", "log_level", "verbose"):
            data.pop(transient)
        return data


# The defaults as one value: `DEFAULTS.max_pages` is what an option left out means everywhere.
DEFAULTS = CrawlOptions(start_url="")
CRAWL_FIELDS = tuple(f.name for f in fields(CrawlOptions))
