"""URL normalisation (one spelling per page) and crawler-trap detection.

A portal can offer an endless number of distinct URLs that are the same few pages: a calendar with a
"next month" link, a session id in every link, a path that repeats itself (/a/b/a/b/…), a page with
100,000 links. The spider asks here before it queues a link; a trap is recorded as skipped with its
reason, never fetched.
"""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters that identify a visitor's session, not a page: dropped before de-duplication.
SESSION_PARAMS = {"jsessionid", "phpsessid", "sid", "sessionid", "session_id", "session", "aspsessionid",
                  "cfid", "cftoken", "zenid", "oscsid", "s_id", "sess", "token", "_token", "utm_source",
                  "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid", "gclid"}
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid|sessionid)=[^/?#]*", re.I)
CALENDAR_PARAMS = {"date", "day", "month", "year", "week", "cal", "calendar", "ym", "ymd", "mes", "ano", "año",
                   "jahr", "monat", "tag", "jour", "mois", "annee", "fecha", "datum"}
# a value that is a date whatever its parameter is called (2025-03, 2025-03-14, 14.03.2025, 20250314)
_DATEISH = re.compile(r"^(19|20)\d\d[-/.](0?[1-9]|1[0-2])([-/.]\d{1,2})?$|^\d{1,2}[-/.]\d{1,2}[-/.](19|20)\d\d$"
                      r"|^(19|20)\d\d(0[1-9]|1[0-2])(\d\d)?$")
MAX_CALENDAR_VARIANTS = 6      # distinct dates of one calendar page followed
MAX_SEGMENT_REPEATS = 3        # /a/b/a/b/a/b: a segment seen this often in one path is a loop
MAX_PATH_SEGMENTS = 20
MAX_LINKS_PER_PAGE = 1000      # links read from one page; a page with more is a link farm past this many


def normalise(url: str) -> str:
    """The one spelling a URL is de-duplicated by: scheme and host case, default port, dot segments,
    percent-encoding, query order, empty query, fragment, session ids."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = _PATH_SESSION.sub("", parts.path) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in SESSION_PARAMS]
    return canonicalize_url(urlunsplit((scheme, netloc, path, urlencode(query), "")), keep_fragments=False)


def _calendar_template(url: str) -> str | None:
    """The URL with its calendar parameters blanked, or None when it has none."""
    parts = urlsplit(url)
    found = False
    query = []
    for key, value in sorted(parse_qsl(parts.query, keep_blank_values=True)):
        if key.lower() in CALENDAR_PARAMS or _DATEISH.match(value.strip()):
            found = True
            query.append((key, "*"))
        else:
            query.append((key, value))
    if not found:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, urlencode(query), ""))


class TrapDetector:
    """Remembers what it let through, so the n-th date of one calendar is refused, not the first."""

    def __init__(self):
        self.calendar: Counter[str] = Counter()

    def trap(self, url: str) -> str | None:
        """None for an ordinary URL, else why it is a trap (stored as the skip's detail)."""
        path = urlsplit(url).path
        segments = [s for s in path.split("/") if s]
        if len(segments) > MAX_PATH_SEGMENTS:
            return f"trap: a path of {len(segments)} segments"
        counts = Counter(s.lower() for s in segments)
        if counts and max(counts.values()) >= MAX_SEGMENT_REPEATS:
            segment, times = counts.most_common(1)[0]
            return f"trap: the path repeats '{segment[:40]}' {times} times"
        template = _calendar_template(url)
        if template is not None:
            if self.calendar[template] >= MAX_CALENDAR_VARIANTS:
                return f"trap: calendar (more than {MAX_CALENDAR_VARIANTS} dates of {template[:120]})"
            self.calendar[template] += 1
        return None
