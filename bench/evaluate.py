"""Evaluation benchmark: judge every rule against a crawled run, offline.

    .venv/bin/python bench/evaluate.py [--pages 500] [--site demo-city]

Crawls the generated portal of bench/crawl.py (or a fixture site with --site) once, then times
`evaluate_run` (all rules, all pages, from the snapshots) and prints pages/s, ms per rule and peak RSS.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl import ROOT, generate_site, serve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--site", help="a fixture site under fixtures/sites/ instead of the generated one")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="egov-bench-eval-"))
    db = work / "bench.db"
    try:
        if args.site:
            from egov_audit.app import fixtureserver
            from egov_audit.paths import FIXTURES_DIR
            site = fixtureserver.start(FIXTURES_DIR / args.site)
            url, stop = site.url("/"), site.stop
        else:
            generate_site(work / "site", args.pages)
            server = serve(work / "site")
            url, stop = f"http://127.0.0.1:{server.server_address[1]}/index.html", server.shutdown
        try:
            subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "crawl", url, "--db", str(db), "--fast",
                            "--render", "never", "--max-pages", str(args.pages + 10)], cwd=ROOT, check=True,
                           capture_output=True)
        finally:
            stop()
        from egov_audit.judge.evaluation import evaluate_run
        from egov_audit.store.db import Store
        store = Store(db)
        started = time.perf_counter()
        summary = evaluate_run(store)
        elapsed = time.perf_counter() - started
        store.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"evaluated {summary['pages']} pages x {summary['rules']} rules in {elapsed:.2f} s: "
              f"{summary['pages'] / elapsed:.0f} pages/s, {1000 * elapsed / summary['rules']:.1f} ms per rule, "
              f"peak RSS {rss:.0f} MiB")
        print("outcomes:", ", ".join(f"{k} {v}" for k, v in sorted(summary["counts"].items())))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
