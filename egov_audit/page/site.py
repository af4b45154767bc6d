"""A stored run, loaded for judging: its pages (parsed lazily from snapshots), artifacts and hosts."""
from __future__ import annotations

from functools import cached_property

from egov_audit.page.model import Page
from egov_audit.store.db import Store

JUDGED_KINDS = ("html", "pdf", "data")


# error kinds that leave a page unread (the crawl could not check it), as opposed to answers such as 404
UNREADABLE_KINDS = ("timeout", "connection", "dns", "tls", "fetch", "too_large")


class Site:
    def __init__(self, store: Store, run_id: str):
        self.store = store
        self.run = store.run(run_id)
        self.run_id = self.run.id
        rows = store.page_rows(self.run_id)
        self.snapshot_paths = store.snapshot_paths(self.run_id)
        hosts: dict[str, str] = {}
        for row in rows:
            if row.get("host") and row.get("scope") in ("portal", "satellite"):
                if hosts.get(row["host"]) != "portal":
                    hosts[row["host"]] = row["scope"]
        self.host_scopes = hosts
        self.rows = rows
        self.artifacts: dict[str, list[dict]] = {}
        for artifact in store.artifact_records(self.run_id):
            item = artifact.data if isinstance(artifact.data, dict) else {"error": "the stored record is not valid JSON"}
            item.setdefault("url", artifact.url)
            self.artifacts.setdefault(artifact.kind, []).append(item)
        self._pages: dict[str, Page] = {}

    @cached_property
    def _fetched_index(self) -> dict:
        index = {r["url"]: (r.get("status"), r.get("error_kind")) for r in self.rows}
        index.update({r["final_url"]: (r.get("status"), r.get("error_kind")) for r in self.rows if r.get("final_url")})
        return index

    def fetched(self, url: str):
        """(status, error kind) of a URL the crawl fetched, else None."""
        return self._fetched_index.get(url)

    def host_scope(self, host: str) -> str:
        return self.host_scopes.get(host, "external")

    def _read(self, digest: str | None) -> bytes | None:
        if not digest or digest not in self.snapshot_paths:
            return None
        try:
            return self.store.snapshots.get(self.snapshot_paths[digest])
        except OSError:
            return None

    def _load(self, row: dict) -> Page:
        html = text = None
        if row.get("kind") == "html":
            body = self._read(row.get("rendered_hash") or row.get("raw_hash"))
            html = _decode(body, row.get("content_type")) if body else None
        elif row.get("kind") == "pdf":
            body = self._read(row.get("text_hash"))
            text = body.decode("utf-8", errors="replace") if body else ""
        row = dict(row)
        row["screenshot_path"] = self.snapshot_paths.get(row.get("screenshot_hash")) if row.get("screenshot_hash") else None
        return Page(row, html, text, self.host_scope, self.fetched)

    def page(self, url: str) -> Page | None:
        if url not in self._pages:
            row = next((r for r in self.rows if r["url"] == url), None)
            if row is None:
                return None
            self._pages[url] = self._load(row)
        return self._pages[url]

    @cached_property
    def pages(self) -> list[Page]:
        """Judgeable pages: fetched without error, HTML/PDF/data, search probes excluded."""
        out = []
        for row in self.rows:
            if row.get("error_kind") or row.get("kind") not in JUDGED_KINDS or row.get("discovered_via") == "search-probe":
                continue
            out.append(self.page(row["url"]))
        return out

    def unchecked(self, scopes) -> dict[str, int]:
        """Pages in these scopes the crawl tried but could not read, by why: server errors (5xx, 429),
        timeouts, broken connections, bodies over the size cap. A 404 is an answer (a dead link), not one
        of these: it says the page is not there."""
        reasons: dict[str, int] = {}
        for row in self.rows:
            if row.get("scope") not in scopes or row.get("discovered_via") == "search-probe":
                continue
            kind, status = row.get("error_kind"), row.get("status") or 0
            if kind in UNREADABLE_KINDS or (kind == "http" and (status >= 500 or status == 429)):
                label = f"HTTP {status}" if kind == "http" else kind
                reasons[label] = reasons.get(label, 0) + 1
        return reasons

    @cached_property
    def home_problem(self) -> str | None:
        """Why the home page could not be checked (not fetched, an HTTP error, refused …), or None."""
        outcome = self.store.page_outcome(self.run_id, self.run["start_url"])
        if outcome is None:
            return "it was never fetched"
        if outcome[0] == "skipped":
            return outcome[2] or outcome[1]
        status, error_kind, error = outcome
        if error_kind in (None, "soft_404", "decode"):
            return None
        return error or error_kind

    @cached_property
    def home(self) -> Page | None:
        return self.page(self.run["start_url"])


def _decode(body: bytes, content_type: str | None) -> str:
    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip()
    for encoding in filter(None, (charset, "utf-8")):
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    head = body[:2048].decode("ascii", errors="ignore").lower()
    if "charset=" in head:
        declared = head.split("charset=", 1)[1].strip("\"' ").split('"')[0].split(";")[0].split(">")[0].strip("\"' /")
        try:
            return body.decode(declared, errors="replace")
        except LookupError:
            pass
    return body.decode("utf-8", errors="replace")


class MemorySite:
    """A run made of in-memory pages (rule page-fixtures and unit tests): same interface as Site."""

    def __init__(self, pages: list[Page], artifacts: dict | None = None, start_url: str | None = None):
        self.pages = pages
        self.artifacts = artifacts or {}
        self.run = {"id": "memory", "start_url": start_url or (pages[0].url if pages else "")}
        self.run_id = "memory"

    def page(self, url: str) -> Page | None:
        return next((p for p in self.pages if p.url == url), None)

    def host_scope(self, host: str) -> str:
        from urllib.parse import urlsplit
        for page in self.pages:
            if (urlsplit(page.url).hostname or "").lower() == host:
                return page.scope
        return "external"

    @property
    def home(self) -> Page | None:
        return self.page(self.run["start_url"]) or (self.pages[0] if self.pages else None)
