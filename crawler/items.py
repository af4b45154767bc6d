"""What the spider hands to the pipelines: one dataclass per kind of record, dispatched on by type.

A fetched (or failed) page, a URL the crawl chose not to fetch, a gatherer's raw answer, and a
render that failed after the raw page was stored. The store keeps its own names for the columns;
``PageItem.row()`` is the mapping its ``save_page`` reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class LinkRecord:
    """A link as the crawl stores it: resolved http(s) URL, what a visitor reads, where it sits."""
    url: str
    anchor: str
    position: str          # navigation | header | footer | body | sitemap
    scope: str             # portal | satellite | external (of the target)
    rel: str = ""

    def row(self) -> dict:
        return {"url": self.url, "anchor": self.anchor, "position": self.position, "scope": self.scope,
                "rel": self.rel}


@dataclass
class PageItem:
    """One fetch of a URL (raw or rendered), or its failure (error_kind/error set, no body)."""
    url: str
    final_url: str
    host: str
    scope: str | None
    discovered_via: str | None
    status: int | None
    content_type: str | None
    kind: str
    size: int | None
    depth: int | None
    fetched_at: str
    rendered: int = 0
    needs_render: int = 0
    error_kind: str | None = None
    error: str | None = None
    headers: str | None = None           # the kept response headers, as JSON
    title: str | None = None
    lang: str | None = None
    text_length: int | None = None
    links: list[LinkRecord] = field(default_factory=list)
    raw_body: bytes | None = None
    rendered_body: bytes | None = None
    screenshot: bytes | None = None
    text_body: bytes | None = None       # a PDF's extracted text (PdfTextPipeline)
    warc_file: str | None = None         # set by crawler.warc.WarcItemMiddleware
    warc_record_id: str | None = None
    warc_rendered_id: str | None = None

    def fail(self, kind: str, message: str) -> None:
        self.error_kind, self.error = kind, message

    def row(self) -> dict:
        """The mapping Store.save_page reads (shallow: bodies are not copied)."""
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["links"] = [link.row() for link in self.links]
        return row


@dataclass
class SkipItem:
    """A URL the crawl did not fetch, and why (budget, robots.txt, loopback-only …)."""
    url: str
    reason: str
    detail: str = ""


@dataclass
class ArtifactItem:
    """A crawl-time gatherer's raw result (axe scan, site-search probe, data-API answer), judged offline."""
    kind: str              # axe | site-search | data-api
    url: str | None
    data: dict


@dataclass
class RenderFailureItem:
    """The browser could not render a page; its raw fetch (if any) stays, with the failure noted."""
    url: str
    error_kind: str
    error: str
