"""What kind of document a response is, and what a failed request means in words."""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from twisted.internet import defer, error as neterror

HTML_TYPES = ("text/html", "application/xhtml+xml")
PDF_TYPES = ("application/pdf", "application/x-pdf")
DATA_TYPES = (
    "text/csv", "application/csv", "application/json", "application/geo+json", "application/ld+json",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.spreadsheet", "application/rdf+xml", "text/xml", "application/xml",
    "text/plain", "text/tab-separated-values",
)
DATA_MAX_BYTES = 5 * 1024 * 1024   # data files are recorded by type and size; bigger ones are not downloaded
# Links to these are recorded but never fetched: nothing in them is read by any check.
SKIP_EXTENSIONS = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".bmp", ".tif", ".tiff", ".mp4", ".mp3",
    ".avi", ".mov", ".wmv", ".webm", ".ogg", ".wav", ".zip", ".rar", ".7z", ".gz", ".tar", ".exe",
    ".dmg", ".apk", ".iso", ".woff", ".woff2", ".ttf", ".css", ".js",
)


def media_type(content_type: str | bytes | None) -> str:
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return (content_type or "").split(";")[0].strip().lower()


def kind_of(content_type: str, url: str = "") -> str:
    """html | pdf | data | other, from the Content-Type (the URL's extension only as a fallback)."""
    mtype = media_type(content_type)
    path = url.split("?")[0].lower()
    if mtype in HTML_TYPES:
        return "html"
    if mtype in PDF_TYPES or (mtype == "application/octet-stream" and path.endswith(".pdf")):
        return "pdf"
    if mtype in DATA_TYPES or path.endswith((".csv", ".json", ".xlsx", ".xls", ".ods", ".geojson", ".xml")):
        return "data"
    if not mtype and path.endswith((".html", ".htm", "/")):
        return "html"
    return "other"


def describe_failure(failure) -> tuple[str, str]:
    """(error_kind, message) for a failed download: every failure is recorded, none is 'absent'."""
    value = failure.value
    text = str(value) or value.__class__.__name__
    name = value.__class__.__name__
    # Scrapy 2.13+ wraps the transport's failures (DownloadFailedError, ResponseDataLossError …): read the cause
    cause = value.__cause__ or value.__context__
    reasons = getattr(cause, "reasons", None) or getattr(value, "reasons", None)
    if reasons:
        cause = getattr(reasons[0], "value", reasons[0])
    if cause is not None and name in ("DownloadFailedError", "ResponseDataLossError", "DownloadConnectionRefusedError",
                                      "DownloadTimeoutError", "CannotResolveHostError", "DownloadCancelledError"):
        cause_text = str(cause) or cause.__class__.__name__
        if name == "DownloadTimeoutError" or isinstance(cause, (defer.TimeoutError, neterror.TimeoutError)):
            return "timeout", f"no response within the download timeout: {text}"
        if name == "CannotResolveHostError" or isinstance(cause, neterror.DNSLookupError):
            return "dns", f"DNS lookup failed: {text}"
        if name == "DownloadConnectionRefusedError" or isinstance(cause, neterror.ConnectionRefusedError):
            return "connection", f"connection refused: {cause_text}"
        if name == "ResponseDataLossError" or "DataLoss" in cause.__class__.__name__:
            return "connection", "connection closed before the whole body arrived (shorter than its Content-Length)"
        if isinstance(cause, (neterror.ConnectionLost, neterror.ConnectionDone, neterror.ConnectError)):
            return "connection", f"connection lost: {cause_text.splitlines()[0][:200]}"
        if name == "DownloadCancelledError":
            return "too_large", f"download cancelled (larger than the size cap, or stopped): {text}"
    if name in ("DownloadFailedError", "ResponseDataLossError") and ("ConnectionLost" in text or "ConnectionDone" in text
                                                                   or "lost" in text.lower()):
        return "connection", "connection lost before a complete answer"
    if failure.check(neterror.DNSLookupError):
        return "dns", f"DNS lookup failed: {text}"
    if failure.check(defer.TimeoutError, neterror.TimeoutError, neterror.TCPTimedOutError):
        return "timeout", f"no response within the download timeout: {text}"
    if failure.check(neterror.ConnectionRefusedError):
        return "connection", f"connection refused: {text}"
    if failure.check(neterror.ConnectionLost, neterror.ConnectionDone, neterror.ConnectError):
        return "connection", f"connection failed: {text}"
    if failure.check(defer.CancelledError) or "Cancelled" in value.__class__.__name__:
        return "too_large", f"download cancelled (larger than the size cap, or stopped): {text}"
    if "SSL" in name or "TLS" in name or "certificate" in text.lower():
        return "tls", f"TLS error: {text}"
    if failure.check(IgnoreRequest) and "redirect" in text.lower():
        return "redirect", f"too many redirects (a redirect loop?): {text}"
    if "Timeout" in name:
        return "timeout", f"timed out: {text}"
    if "playwright" in type(value).__module__.lower():
        return "render", f"the browser could not load the page: {text.splitlines()[0][:300]}"
    return "fetch", f"{name}: {text[:300]}"
