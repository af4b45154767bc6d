"""Quiet, useful logs for a crawl: details in a log file beside the DB, one line per problem on the console.

The console shows warnings and errors a user can act on, without tracebacks; library deprecation
warnings, scrapy-playwright's per-page "closing page" reports and retry bookkeeping (the pages are
recorded as errors in the DB anyway) go only to the file. ``--verbose`` puts everything, tracebacks
included, on the console too.
"""
from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
# loggers whose console lines repeat what the DB records per page (or only concern us, not the user)
FILE_ONLY = ("py.warnings", "scrapy-playwright", "scrapy.downloadermiddlewares.retry", "scrapy.core.downloader",
             "scrapy.spidermiddlewares.httperror", "scrapy.downloadermiddlewares.robotstxt", "asyncio",
             "playwright", "tldextract", "scrapy.core.engine", "scrapy.utils.signal")


class _Console(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR and record.name.startswith(FILE_ONLY):
            return False
        if record.name.startswith(("py.warnings", "scrapy-playwright")):
            return False
        return True


class _NoTraceback(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().splitlines()[0] if record.getMessage() else ""
        return f"{record.levelname.lower()}: [{record.name}] {message[:300]}"


def log_path_for(db: str | Path) -> Path:
    return Path(db).with_suffix(".log")


def configure(db: str | Path, verbose: bool = False) -> Path:
    """Root logging for one crawl process; returns the log file's path."""
    path = log_path_for(db)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setLevel(logging.DEBUG if verbose else logging.INFO)
    to_file.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(to_file)
    console = logging.StreamHandler(sys.stderr)
    if verbose:
        console.setLevel(logging.INFO)
        console.setFormatter(logging.Formatter(FORMAT))
    else:
        console.setLevel(logging.WARNING)
        console.addFilter(_Console())
        console.setFormatter(_NoTraceback())
    root.addHandler(console)
    logging.captureWarnings(True)   # warnings.warn(...) → the "py.warnings" logger → the file only
    if not verbose:
        warnings.simplefilter("default")
    return path
