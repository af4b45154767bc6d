"""Item pipelines: extract PDF text, then store every page (or skip) in the audit database."""
from __future__ import annotations

import logging

from egov_audit.html.pdftext import extract_pdf_text
from egov_audit.store.db import Store

log = logging.getLogger(__name__)


class PdfTextPipeline:
    """Budgets and minutes are often PDFs: keep their text as a snapshot of its own."""

    def process_item(self, item, spider=None):
        if item.get("kind") == "pdf" and item.get("raw_body"):
            text, title, problem = extract_pdf_text(item["raw_body"])
            item["text_body"] = text.encode("utf-8") if text else None
            item["text_length"] = len(text)
            item["title"] = title
            if problem and not item.get("error_kind"):
                item["error_kind"], item["error"] = "decode", problem
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
        if item.get("artifact"):
            self.store.save_artifact(self.run_id, item["artifact"], item.get("url"), item["data"])
            return item
        if item.get("skip"):
            self.store.save_skip(self.run_id, item["url"], item["reason"], item.get("detail", ""))
            stats.inc_value(f"egov/skipped_{item['reason']}")
            return item
        if item.get("render_failed"):
            self.store.record_render_failure(self.run_id, item["url"], item["error"])
        else:
            self.store.save_page(self.run_id, item)
        stats.inc_value("egov/rendered" if item.get("rendered") else "egov/pages")
        if item.get("error_kind"):
            stats.inc_value("egov/errors")
        return item
