"""Crawl benchmark: a generated 2,000-page portal on loopback, plain Scrapy vs `egov-audit crawl`.

    .venv/bin/python bench/crawl.py [--pages 2000]

Both crawls run in their own process against the same server (one process per crawl: Twisted's
reactor cannot restart) with the same concurrency, no delays and no rendering, so the ratio shows
what egov-audit's own work costs per page: link classification, scope and budget bookkeeping,
text extraction, snapshots and SQLite writes. Peak RSS is read from /proc for each crawl process.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SECTIONS = ["services", "departments", "news", "events", "council", "budget", "data", "participate"]

PLAIN_SPIDER = '''
import sys, scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor

class Plain(scrapy.Spider):
    name = "plain"
    start_urls = [sys.argv[1]]
    links = LinkExtractor()
    def parse(self, response):
        yield {"url": response.url}
        for link in self.links.extract_links(response):
            yield response.follow(link.url, self.parse)

process = CrawlerProcess({"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
                          "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False,
                          "DEPTH_PRIORITY": 0})
crawler = process.create_crawler(Plain)
process.crawl(crawler)
process.start()
print(crawler.stats.get_value("item_scraped_count", 0))
'''


def generate_site(root: Path, pages: int) -> None:
    """A city portal shape: a nav of sections, each page with body text and ~12 links to other pages."""
    rng = random.Random(7)
    words = ("city council service permit budget residents park library waste transport housing "
             "school health tax licence meeting minutes plan district street water energy").split()
    names = [f"{SECTIONS[i % len(SECTIONS)]}/page-{i}.html" for i in range(pages - 1)]
    nav = "".join(f'<li><a href="/{s}/page-{i}.html">{s.title()}</a></li>' for i, s in enumerate(SECTIONS))
    root.mkdir(parents=True, exist_ok=True)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    for section in SECTIONS:
        (root / section).mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(["index.html"] + names):
        body = " ".join(rng.choice(words) for _ in range(400))
        targets = [names[(index * 7 + k * 13) % len(names)] for k in range(12)]
        links = "".join(f'<li><a href="/{t}">{t.split("/")[1][:-5].replace("-", " ")}</a></li>' for t in targets)
        html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page {index}</title></head>'
                f'<body><header><nav><ul>{nav}</ul></nav></header><main><h1>Page {index}</h1><p>{body}</p>'
                f'<ul>{links}</ul></main><footer><a href="/contact.html">Contact</a></footer></body></html>')
        (root / name).write_text(html)
    (root / "contact.html").write_text('<html><body><main><h1>Contact</h1><a href="mailto:x@city.example">mail</a></main></body></html>')


def serve(root: Path):
    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def measure(command: list[str], cwd: Path) -> tuple[float, int, str]:
    """Wall seconds and peak RSS (bytes, the process and its children) of one crawl process."""
    start = time.perf_counter()
    proc = psutil.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{command[:4]} failed:\n{proc.stderr.read().decode()[-2000:]}")
    return elapsed, peak, proc.stdout.read().decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="egov-bench-"))
    try:
        site = work / "site"
        generate_site(site, args.pages)
        server = serve(site)
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        script = work / "plain.py"
        script.write_text(PLAIN_SPIDER)

        plain_s, plain_rss, plain_out = measure([PYTHON, str(script), url], work)
        plain_pages = int(plain_out.strip().splitlines()[-1])
        db = work / "bench.db"
        egov_s, egov_rss, _ = measure([PYTHON, "-m", "egov_audit.app.cli", "crawl", url, "--db", str(db), "--fast",
                                    "--render", "never", "--max-pages", str(args.pages + 10)], ROOT)
        from egov_audit.store.db import Store
        store = Store(db)
        kinds = store.page_kinds(store.run().id)
        store.close()
        fetched = sum(n for kind, n in kinds.items() if kind not in ("robots", "sitemap"))
        server.shutdown()

        print(f"site: {args.pages} generated pages on loopback (ThreadingHTTPServer), render never, 8 per host")
        print(f"plain scrapy   : {plain_pages / plain_s:7.1f} pages/s  ({plain_s:5.1f} s, {plain_pages} pages)  peak RSS {plain_rss / 2**20:6.1f} MiB")
        print(f"egov-audit     : {fetched / egov_s:7.1f} pages/s  ({egov_s:5.1f} s, {fetched} pages stored)  "
              f"peak RSS {egov_rss / 2**20:6.1f} MiB")
        print(f"ratio egov/plain: {(fetched / egov_s) / (plain_pages / plain_s):.2f}")
        snap = work / "bench.snapshots"
        if snap.exists():
            size = sum(p.stat().st_size for p in snap.rglob("*") if p.is_file())
            print(f"store: DB {db.stat().st_size / 2**20:.1f} MiB, snapshots {size / 2**20:.1f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
