"""Item pipelines: extract PDF text, then store every page (or skip) in the audit database."""
from __future__ import annotations

import logging

from crawler.items import ArtifactItem, PageItem, RenderFailureItem, SkipItem
from egov_audit.html.pdftext import extract_pdf_text
from egov_audit.store.db import Store

log = logging.getLogger(__name__)


class PdfTextPipeline:
    """Budgets and minutes are often PDFs: keep their text as a snapshot of its own."""

    def process_item(self, item, spider=None):
        if isinstance(item, PageItem) and item.kind == "pdf" and item.raw_body:
            text, title, problem = extract_pdf_text(item.raw_body)
            item.text_body = text.encode("utf-8") if text else None
            item.text_length = len(text)
            item.title = title
            if problem and not item.error_kind:
                item.fail("decode", problem)
        return item


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.store = Store(settings["EGOV_DB"])
        self.run_id = settings["EGOV_RUN_ID"]

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def close_spider(self, spider=None):
        self.store.close()

    def process_item(self, item, spider=None):
        stats = self.crawler.stats
        if isinstance(item, ArtifactItem):
            self.store.save_artifact(self.run_id, item.kind, item.url, item.data)
        elif isinstance(item, SkipItem):
            self.store.save_skip(self.run_id, item.url, item.reason, item.detail)
            stats.inc_value(f"egov/skipped_{item.reason}")
        elif isinstance(item, RenderFailureItem):
            self.store.record_render_failure(self.run_id, item.url, item.error)
            stats.inc_value("egov/rendered")
            stats.inc_value("egov/errors")
        elif isinstance(item, PageItem):
            self.store.save_page(self.run_id, item.row())
            stats.inc_value("egov/rendered" if item.rendered else "egov/pages")
            if item.error_kind:
                stats.inc_value("egov/errors")
        else:   # a new item type must be given a home here, not dropped silently
            raise TypeError(f"StorePipeline cannot store a {type(item).__name__}")
        return item
