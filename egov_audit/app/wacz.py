"""Package a run's WARC files as a WACZ (Web Archive Collection Zipped, 1.1.1) for ReplayWeb.page.

The crawl writes the WARCs (crawler/warc.py); this reads the run's pages from the DB to list the
pages a reviewer should start from (pages/pages.jsonl: the home page first, marked "seed", then
every HTML page fetched without error), and hands both to py-wacz (PyPI `wacz`, by Webrecorder, who also make
ReplayWeb.page), which writes the CDXJ index, copies the WARCs under archive/ and the
datapackage.json with sha256 hashes.

A crawl killed mid-write can leave its WARC ending inside a record; such a file is packaged with
its complete records only (the original stays as it is).
"""
from __future__ import annotations

import contextlib
import io
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from crawler.warc import run_warc_files, warc_dir_for
from egov_audit.store.db import Store


@dataclass
class WaczSummary:
    path: Path
    run_id: str
    warc_files: list[str]
    records: int
    pages: int
    repaired: list[str] = field(default_factory=list)     # WARCs whose broken tail was left out
    unmatched: list[str] = field(default_factory=list)    # listed pages py-wacz found no capture for


def intact_length(path: Path) -> tuple[int, int]:
    """(bytes of complete records, number of records) at the start of a WARC."""
    good, count = 0, 0
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh)
        try:
            for record in iterator:
                record.content_stream().read()
                iterator.read_to_end(record)
                good = iterator.get_record_offset() + iterator.get_record_length()
                count += 1
        except Exception:   # noqa: BLE001 — a truncated tail ends the intact part; what precedes it is kept
            pass
    return good, count


def _page_list(store: Store, run) -> list[dict]:
    """Pages worth starting a replay from: the home page, then fetched HTML pages in crawl order."""
    pages, seen = [], set()
    for row in store.replay_pages(run.id, run.start_url):
        target = row.final_url or row.url
        if target in seen:
            continue
        seen.add(target)
        page = {"url": target, "title": row.title or target}
        if row.url == run.start_url:
            page["seed"] = True
        pages.append(page)
    return pages


def build_wacz(db_path: str | Path, out: str | Path, run_id: str | None = None) -> WaczSummary:
    """Write the WACZ of one run (the newest when run_id is None); returns what went in."""
    from wacz.main import main as wacz_main   # imported here: frictionless is slow to import

    store = Store(db_path)
    try:
        run = store.run(run_id)
        files = run_warc_files(db_path, run["id"])
        if not files:
            raise LookupError(f"no WARC file for run {run['id']} in {warc_dir_for(db_path)} "
                              "(runs crawled before the evidence archive existed have none)")
        pages = _page_list(store, run)
    finally:
        store.close()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="egov-wacz-") as tmp:
        tmp = Path(tmp)
        inputs, repaired, records = [], [], 0
        for path in files:
            good, count = intact_length(path)
            records += count
            if good < path.stat().st_size:   # a killed crawl's last record is incomplete: keep the whole ones
                fixed = tmp / path.name
                with open(path, "rb") as src, open(fixed, "wb") as dst:
                    dst.write(src.read(good))
                repaired.append(path.name)
                path = fixed
            inputs.append(str(path))
        pages_file = tmp / "pages.jsonl"
        with open(pages_file, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": f"{run['portal']} ({run['id']})"}) + "\n")
            for page in pages:
                fh.write(json.dumps(page, ensure_ascii=False) + "\n")
        args = ["create", "-o", str(out), "-p", str(pages_file),
                "--title", f"egov-audit: {run['portal']}",
                "--desc", f"Crawl {run['id']} of {run['start_url']} (started {run['started']}), recorded by egov-audit"]
        log = io.StringIO()
        with contextlib.redirect_stdout(log):   # py-wacz reports with print()
            status = wacz_main(args + inputs)
        if status:
            raise RuntimeError(f"py-wacz could not write {out}: {log.getvalue()[-1000:]}")
    unmatched = [line.split("match for ", 1)[1] for line in log.getvalue().splitlines()
                 if line.startswith("Invalid passed page")]
    return WaczSummary(out, run["id"], [p.name for p in files], records, len(pages) - len(unmatched),
                       repaired, unmatched)

