"""Downloader middleware: a 429 or 503 that says when to come back (Retry-After) is honoured, within a cap.

Scrapy's RetryMiddleware retries at once, which a rate-limited server answers with the same 429. Here
the retry waits what the server asked (at most EGOV_RETRY_AFTER_MAX seconds); a longer wait, or no tries
left, ends the page as an HTTP error whose message says why (the spider reads `egov_retry_note`).
Placed just above RetryMiddleware (550), so it sees these responses first.
"""
from __future__ import annotations

import asyncio
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

CODES = (429, 503)


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, settings):
        self.cap = settings.getfloat("EGOV_RETRY_AFTER_MAX", 30.0)
        self.retry_times = settings.getint("RETRY_TIMES")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings)

    async def process_response(self, request, response, spider=None):
        if response.status not in CODES or request.meta.get("dont_retry"):
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return response   # no Retry-After: Scrapy's RetryMiddleware retries as usual
        tries = request.meta.get("retry_times", 0)
        max_retries = request.meta.get("max_retry_times", self.retry_times)
        if wait > self.cap:
            request.meta["dont_retry"] = True
            request.meta["egov_retry_note"] = (f"the server asked to wait {wait:.0f} s (Retry-After); "
                                               f"the audit waits at most {self.cap:.0f} s")
            return response
        if tries >= max_retries:
            request.meta["dont_retry"] = True
            request.meta["egov_retry_note"] = f"still {response.status} after waiting as Retry-After asked"
            return response
        await asyncio.sleep(wait)
        retry = request.copy()
        retry.meta["retry_times"] = tries + 1
        retry.dont_filter = True
        return retry
