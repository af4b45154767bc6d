"""Rendering and accessibility benchmark: the demo portal crawled with every page rendered in Chromium.

    .venv/bin/python bench/render.py [--pages 60] [--axe-pages 10]

Three crawls of fixtures/sites/demo-city on loopback (each its own process, --fast):
  1. no rendering (the baseline fetch rate),
  2. every page rendered (--render always --axe-pages 0): the browser's cost per page,
  3. the default auto mode with --axe-pages N: the home page plus N-1 key pages scanned with axe-core.
It prints pages/s per crawl, and from the stored axe artifacts the milliseconds per axe run (the
scan alone, measured inside the page; the render before it is in the crawl's time).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from egov_audit.app import fixtureserver  # noqa: E402
from egov_audit.store.db import Store  # noqa: E402


def crawl(url: str, db: Path, *options: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "crawl", url, "--db", str(db), "--fast", "--fresh",
                    *options], check=True, capture_output=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    store = Store(db)
    try:
        run_id = store.run().id
        pages, rendered = store.page_kinds(run_id).get("html", 0), store.counts(run_id)["rendered"]
    finally:
        store.close()
    return seconds, pages, rendered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60, help="page budget of each crawl")
    parser.add_argument("--axe-pages", type=int, default=10)
    args = parser.parse_args()
    site = fixtureserver.start(ROOT / "fixtures" / "sites" / "demo-city")
    budget = ["--max-pages", str(args.pages), "--satellite-pages", "0", "--max-external", "0"]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            plain = crawl(site.url("/"), tmp / "plain.db", "--render", "never", "--axe-pages", "0", *budget)
            rendered = crawl(site.url("/"), tmp / "always.db", "--render", "always", "--axe-pages", "0", *budget)
            axe = crawl(site.url("/"), tmp / "axe.db", "--render", "auto", "--axe-pages", str(args.axe_pages), *budget)
            store = Store(tmp / "axe.db")
            try:
                scans = store.artifacts(store.run().id, "axe")
            finally:
                store.close()
    finally:
        site.stop()
    print(f"demo-city, budget {args.pages} pages, {sys.platform}, Chromium via Playwright")
    print(f"{'crawl':<34}{'seconds':>9}{'html pages':>12}{'rendered':>10}{'pages/s':>9}")
    for name, (seconds, pages, n_rendered) in (("no rendering", plain), ("every page rendered", rendered),
                                               (f"auto + axe on {args.axe_pages} pages", axe)):
        print(f"{name:<34}{seconds:>9.1f}{pages:>12}{n_rendered:>10}{pages / seconds:>9.1f}")
    print(f"rendered pages/s (every page rendered): {rendered[2] / rendered[0]:.1f}")
    times = [s["ms"] for s in scans if isinstance(s.get("ms"), (int, float))]
    if times:
        print(f"axe runs: {len(times)}; ms per run: median {statistics.median(times):.0f}, "
              f"mean {statistics.mean(times):.0f}, min {min(times):.0f}, max {max(times):.0f}; "
              f"axe-core {scans[0].get('axe_version')}")
    else:
        print("no axe scan was stored")


if __name__ == "__main__":
    main()
