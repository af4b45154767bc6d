"""Batch benchmark: the eight language fixture portals audited by `egov-audit batch`, as a researcher would.

    .venv/bin/python bench/batch.py [--workers 4] [--render auto] [--axe-pages 5]

Every portal is served on loopback (its own port), a targets CSV is written, and one `batch` command
audits them all (crawl with Chromium where needed, axe-core, judging, report per portal, exports).
Prints the batch's wall time, each portal's seconds, pages and index, and the time of a second
identical command (which only skips: the resume path).
"""
from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from egov_audit.app import fixtureserver  # noqa: E402
from egov_audit.store.db import Store  # noqa: E402

PORTALS = [("Riverton", "Utopia", "demo-city"), ("Ciudad", "España", "ciudad-es"),
           ("Prefeitura", "Brasil", "prefeitura-pt"), ("Ville", "France", "ville-fr"),
           ("Stadt", "Deutschland", "stadt-de"), ("Gorod", "Rossiya", "gorod-ru"),
           ("Amana", "Misr", "amana-ar"), ("Shi", "Zhongguo", "shi-zh")]


def _target_rows(db: Path) -> list[tuple]:
    """(name, status, seconds, pages, index, band) per target, in targets-file order."""
    store = Store(db)
    try:
        rows = []
        for target in sorted(store.batch_targets(), key=lambda t: t.position):
            if not target.run_id:
                continue
            evaluation = store.latest_evaluation(target.run_id)
            scores = evaluation.scores if evaluation else {}
            rows.append((target.name, target.status, target.seconds, store.run(target.run_id).pages_crawled,
                         scores.get("index"), scores.get("band")))
        return rows
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--render", default="auto")
    parser.add_argument("--axe-pages", type=int, default=5)
    args = parser.parse_args()
    servers = [fixtureserver.start(ROOT / "fixtures" / "sites" / site) for _, _, site in PORTALS]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            targets = tmp / "targets.csv"
            with open(targets, "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(["name", "country", "url", "level"])
                for (name, country, _), server in zip(PORTALS, servers):
                    writer.writerow([name, country, server.url("/"), "city"])
            cmd = [sys.executable, "-m", "egov_audit.app.cli", "batch", str(targets), "--db", str(tmp / "b.db"),
                   "--out", str(tmp / "out"), "--fast", "--workers", str(args.workers), "--render", args.render,
                   "--axe-pages", str(args.axe_pages), "--audit-date", "2026-11-22"]
            started = time.perf_counter()
            first = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            seconds = time.perf_counter() - started
            started = time.perf_counter()
            subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            again = time.perf_counter() - started
            rows = _target_rows(tmp / "b.db")
    finally:
        for server in servers:
            server.stop()
    print(f"{len(PORTALS)} fixture portals, --workers {args.workers}, --render {args.render}, "
          f"--axe-pages {args.axe_pages} (exit {first.returncode})")
    print(f"{'portal':<12}{'status':<9}{'seconds':>8}{'pages':>7}{'index':>7}  band")
    for name, status, secs, pages, index, band in rows:
        print(f"{name:<12}{status:<9}{secs or 0:>8.1f}{pages or 0:>7}{index or 0:>7.2f}  {band}")
    total_pages = sum(r[3] or 0 for r in rows)
    print(f"batch wall time {seconds:.1f} s for {total_pages} pages ({total_pages / seconds:.1f} pages/s overall); "
          f"sum of per-portal times {sum(r[2] or 0 for r in rows):.1f} s")
    print(f"the same command again (everything done: skip, rank, export): {again:.1f} s")


if __name__ == "__main__":
    main()
