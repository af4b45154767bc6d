"""Evidence archive: every HTTP response the crawl receives, written to a WARC file (WARC/1.1, gzip).

Two small components, wired in crawler/settings.py:

- ``WarcMiddleware`` (downloader middleware, priority 890). ``process_response`` runs from high
  priorities to low, so at 890 it sees a response before RedirectMiddleware (600) and
  HttpCompressionMiddleware (590): 3xx hops are recorded, and bodies are stored as they came off
  the wire, with their ``Content-Encoding``. Each exchange is a ``response`` record plus a
  ``request`` record linked by ``WARC-Concurrent-To``. A page rendered by Chromium
  (scrapy-playwright, flag ``playwright``) is a ``resource`` record of the rendered DOM: the
  browser's navigation response is not handed to Scrapy byte for byte, so it is not passed off
  as one. robots.txt, sitemaps, search probes and catalogue API probes all go through the
  downloader and are recorded like pages.
- ``WarcItemMiddleware`` (spider middleware) copies the record ids onto the items a response
  produced, so the store can keep them on the page rows (``pages.warc_record_id``,
  ``pages.warc_rendered_id``, ``pages.warc_file``).

One file per crawl session, beside the DB: ``<db stem>.warc/<run id>.warc.gz``; a resumed run
writes ``<run id>-2.warc.gz`` and so on, and never touches an earlier file. Every record is
flushed as soon as it is written, so a killed crawl loses at most the record being written.

Limits: Scrapy hands over normalised header names and no raw status line, so the HTTP head is
rebuilt, not byte-exact; ``Transfer-Encoding`` is dropped because the body is stored de-chunked.
Sub-resources the browser loads (scripts, styles, images) are not recorded.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.items import ArtifactItem, PageItem

log = logging.getLogger(__name__)

META_KEY = "egov_warc"           # request.meta: {"id": WARC-Record-ID, "file": name, "rendered": bool}
DROPPED_HEADERS = {"transfer-encoding"}


def warc_dir_for(db_path: str | Path) -> Path:
    """WARC files sit beside the DB (audit.db → audit.warc/), like the snapshot folder."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".warc")


def run_warc_files(db_path: str | Path, run_id: str) -> list[Path]:
    """The WARC files of one run, in the order they were written (first session first)."""
    folder = warc_dir_for(db_path)
    first = folder / f"{run_id}.warc.gz"
    files = [first] if first.exists() else []
    more = []
    for path in folder.glob(f"{run_id}-*.warc.gz"):
        suffix = path.name[len(run_id) + 1:-len(".warc.gz")]
        if suffix.isdigit():
            more.append((int(suffix), path))
    return files + [p for _, p in sorted(more)]


def _new_file(folder: Path, run_id: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    candidate, session = folder / f"{run_id}.warc.gz", 1
    while candidate.exists():
        session += 1
        candidate = folder / f"{run_id}-{session}.warc.gz"
    return candidate


def _header_list(headers) -> list[tuple[str, str]]:
    out = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        if key.lower() in DROPPED_HEADERS:
            continue
        for value in values:
            out.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return out


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class WarcMiddleware:
    """Writes one WARC per crawl session; see the module docstring."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.db = settings.get("EGOV_DB")
        self.run_id = settings.get("EGOV_RUN_ID")
        self.user_agent = settings.get("USER_AGENT")
        self.path: Path | None = None
        self.file = None
        self.writer: WARCWriter | None = None
        crawler.signals.connect(self.open, signal=signals.spider_opened)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    # ---- file -------------------------------------------------------------------
    def open(self, spider=None):
        if not self.db or not self.run_id or self.writer is not None:
            return
        from importlib.metadata import version

        from egov_audit import __version__
        self.path = _new_file(warc_dir_for(self.db), self.run_id)
        self.file = open(self.path, "xb")   # never overwrite: a resumed run gets a file of its own
        self.writer = WARCWriter(self.file, gzip=True, warc_version="1.1")
        start_url = getattr(spider, "start_url", "") if spider is not None else ""
        info = {
            "software": f"egov-audit/{__version__} (Scrapy {version('scrapy')}, warcio {version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": self.run_id,
            "description": f"egov-audit crawl of {start_url}".strip(),
            "robots": "obey",
            "http-header-user-agent": self.user_agent or "",
        }
        record = self.writer.create_warcinfo_record(self.path.name, info)
        self._write(record)

    def close(self, spider=None, reason=None):
        if self.file is not None:
            self.file.close()
        self.file = self.writer = None

    def _write(self, record) -> None:
        self.writer.write_record(record)
        self.file.flush()   # the pipeline stores this record's id next: it must be on disk by then

    # ---- records ----------------------------------------------------------------
    def process_response(self, request, response, spider=None):
        if self.writer is None:
            return response
        try:
            if "playwright" in response.flags:
                record_id = self._write_rendered(response)
            else:
                record_id = self._write_exchange(request, response)
        except Exception as exc:   # noqa: BLE001 — the archive must never stop the audit; the miss is counted and logged
            self.crawler.stats.inc_value("egov/warc_errors")
            log.error("WARC: could not record %s: %s: %s", response.url, type(exc).__name__, exc)
            return response
        request.meta[META_KEY] = {"id": record_id, "file": self.path.name,
                                  "rendered": "playwright" in response.flags}
        self.crawler.stats.inc_value("egov/warc_records")
        return response

    def _write_exchange(self, request, response) -> str:
        headers = StatusAndHeaders(_status_line(response.status), _header_list(response.headers),
                                   protocol=response.protocol or "HTTP/1.1")
        warc_headers = {}
        if response.ip_address is not None:
            warc_headers["WARC-IP-Address"] = str(response.ip_address)
        if "download_stopped" in response.flags:
            warc_headers["WARC-Truncated"] = "length"   # stopped on purpose (video, archives, big data files)
        record = self.writer.create_warc_record(response.url, "response", payload=BytesIO(response.body),
                                                warc_headers_dict=warc_headers, http_headers=headers)
        record_id = record.rec_headers.get_header("WARC-Record-ID")

        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = _header_list(request.headers)
        if not any(k.lower() == "host" for k, _ in request_headers):
            request_headers.insert(0, ("Host", parts.netloc))
        http_request = StatusAndHeaders(f"{request.method} {target} HTTP/1.1", request_headers, is_http_request=True)
        request_record = self.writer.create_warc_record(
            response.url, "request", payload=BytesIO(request.body or b""), http_headers=http_request,
            warc_headers_dict={"WARC-Concurrent-To": record_id,
                               "WARC-Date": record.rec_headers.get_header("WARC-Date")})
        self._write(record)
        self._write(request_record)
        return record_id

    def _write_rendered(self, response) -> str:
        """The DOM Chromium rendered: a resource record (what the rules judged), never a fake response."""
        encoding = getattr(response, "encoding", None) or "utf-8"
        record = self.writer.create_warc_record(
            response.url, "resource", payload=BytesIO(response.body),
            warc_content_type=f"text/html; charset={encoding}")
        self._write(record)
        return record.rec_headers.get_header("WARC-Record-ID")


class WarcItemMiddleware(BaseSpiderMiddleware):
    """Puts the WARC record id of the response on the page items (and API-probe artifacts) it produced."""

    def get_processed_item(self, item, response):
        if response is None:
            return item
        warc = response.meta.get(META_KEY)
        if not warc:
            return item
        if isinstance(item, ArtifactItem):
            if item.kind == "data-api" and isinstance(item.data, dict):
                item.data.setdefault("warc_record_id", warc["id"])
            return item
        if not isinstance(item, PageItem) or item.url != response.meta.get("egov", {}).get("url"):
            return item
        if warc["rendered"]:
            item.warc_rendered_id = warc["id"]
        else:
            item.warc_record_id = warc["id"]
        item.warc_file = warc["file"]
        return item
