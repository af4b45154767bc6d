"""Scale benchmark: a farm of >= 200 slow small portals, audited politely, per process vs long-lived workers.

    .venv/bin/python bench/scale.py                       # 200 portals: before, 1 worker, 2 workers
    .venv/bin/python bench/scale.py --portals 24          # a shorter run
    .venv/bin/python bench/scale.py --portals 24 --skip-before

The farm (bench/farm.py) serves every portal on its own 127.x address with injected latency and a
per-host connection limit. Every audit runs the real defaults: politeness on (robots.txt, delay,
AutoThrottle, 2 requests per host), rendering auto (the home page always, application shells), axe-core
on 5 pages, judging. Three runs against the same farm:

- before: `egov-audit batch --workers K`, one `egov-audit audit` process (Python, Scrapy, Chromium) per portal;
- after, 1 worker: `batch --queue` on a redis-server of our own, one `egov-audit worker --portals K --burst`;
- after, 2 workers: the same targets as a new batch, two such workers (each with the same --portals K).

Prints portals/hour, pages/s, CPU seconds per portal by stage, peak RSS, the extrapolation to 5,570
portals x 150 pages, and as its last two lines ``portals_per_hour=N`` (one worker, real defaults) and
``workers_ratio=R`` (2 workers / 1 worker). The machine may be shared: CPU figures are this run's
own processes (getrusage of the children), wall-clock figures depend on what else runs.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "egov_audit.app.cli"]
TARGET = 5570
TARGET_PAGES = 150
RUNNING: list = []    # worker processes, stopped (with their browsers) if the bench itself is stopped


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def children_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_farm(portals: int, seed: int, per_host: int):
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "farm.py"), "--portals", str(portals),
                             "--seed", str(seed), "--per-host", str(per_host)],
                            stdout=subprocess.PIPE, text=True)
    rows = []
    for line in proc.stdout:
        if line.strip() == "READY":
            break
        rows.append(json.loads(line))
    return proc, rows


def start_redis(folder: Path):
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, f"redis://127.0.0.1:{port}/0"


def run_pages(db: Path) -> int:
    if not db.exists():
        return 0
    sys.path.insert(0, str(ROOT))
    from egov_audit.store.db import Store
    store = Store(db)
    try:
        return sum(store.page_count(run.id) for run in store.runs())
    finally:
        store.close()


def before(targets: Path, tmp: Path, concurrency: int, portals: int) -> dict:
    cpu0, started = children_cpu(), time.perf_counter()
    proc = subprocess.Popen(CLI + ["batch", str(targets), "--db", str(tmp / "before.db"), "--out", str(tmp / "before"),
                                   "--workers", str(concurrency)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=ROOT, start_new_session=True)
    RUNNING.append(proc)
    proc.wait()
    wall = time.perf_counter() - started
    cpu = children_cpu() - cpu0
    return {"wall": wall, "cpu": cpu, "pages": run_pages(tmp / "before.db"), "portals": portals,
            "peak_rss_mb": children_peak_rss_mb(), "exit": proc.returncode}


def process_start_cpu() -> float:
    """What every per-portal process pays before it fetches anything: Python + imports + a Chromium launch."""
    code = ("import egov_audit.app.cli, crawler.spiders.portal, scrapy_playwright.handler\n"
            "from playwright.sync_api import sync_playwright\n"
            "from crawler.browser import chromium_launch_options\n"
            "with sync_playwright() as p:\n"
            "    b = p.chromium.launch(**chromium_launch_options()); pg = b.new_page(); pg.close(); b.close()\n")
    cpu0 = children_cpu()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
    return children_cpu() - cpu0


def worker_start_cpu(url: str, tmp: Path) -> float:
    cpu0 = children_cpu()
    subprocess.run(CLI + ["worker", "--queue", url, "--db", str(tmp / "empty.db"), "--burst"], cwd=ROOT,
                   capture_output=True, text=True, timeout=120)
    return children_cpu() - cpu0


def after(targets: Path, tmp: Path, url: str, workers: int, concurrency: int, label: str, portals: int,
          audit: list[str] = ()) -> dict:
    extra = (["--new"] if label != "w1" else []) + list(audit)
    enq = subprocess.run(CLI + ["batch", str(targets), "--queue", url] + extra, capture_output=True, text=True, cwd=ROOT)
    batch_id = re.search(r"batch (b[0-9a-f]+)", enq.stderr).group(1)
    cpu0, started = children_cpu(), time.perf_counter()
    procs = [subprocess.Popen(CLI + ["worker", "--queue", url, "--db", str(tmp / f"{label}-shard-{n}.db"),
                                     "--portals", str(concurrency), "--burst"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                              start_new_session=True)
             for n in range(workers)]
    RUNNING.extend(procs)
    outputs = [p.communicate()[0] for p in procs]
    wall = time.perf_counter() - started
    cpu = children_cpu() - cpu0
    own = browser = 0.0
    for out in outputs:
        m = re.search(r"CPU ([\d.]+) s in this process, ([\d.]+) s in the browser", out)
        if m:
            own += float(m.group(1))
            browser += float(m.group(2))
    sys.path.insert(0, str(ROOT))
    from egov_audit.app import queue as q
    states = q.target_states(q.redis_for(url), batch_id)
    evaluate = sum((s.get("cpu") or {}).get("evaluate", 0) for s in states.values())
    rss = [(s.get("audited", 0), s.get("rss_mb", 0)) for s in states.values() if s.get("rss_mb")]
    pages = sum(run_pages(tmp / f"{label}-shard-{n}.db") for n in range(workers))
    return {"wall": wall, "cpu": cpu, "own": own, "browser": browser, "evaluate": evaluate, "pages": pages,
            "portals": portals, "statuses": {k: sum(1 for s in states.values() if s.get("status") == k)
                                             for k in ("ok", "partial", "error", "failed")},
            "rss": sorted(rss), "shards": [tmp / f"{label}-shard-{n}.db" for n in range(workers)],
            "outputs": outputs}


def merge_and_export_cpu(shards: list[Path], tmp: Path) -> float:
    cpu0 = children_cpu()
    subprocess.run(CLI + ["merge", *map(str, shards), "--into", str(tmp / "merged.db")], cwd=ROOT, capture_output=True)
    for fmt, name in (("json", "r.json"), ("matrix", "m.csv"), ("xlsx", "r.xlsx")):
        subprocess.run(CLI + ["export", "--db", str(tmp / "merged.db"), "--format", fmt, "--out", str(tmp / name)],
                       cwd=ROOT, capture_output=True)
    return children_cpu() - cpu0


def memory(args) -> None:
    """--memory N: one worker audits N farm portals (--fast, 20 pages each; Chromium, axe and judging as usual)
    and its RSS is read after every portal: is it flat?"""
    farm, rows = start_farm(args.memory, args.seed, args.per_host)
    tmp = Path(tempfile.mkdtemp(prefix="egov-scale-mem-"))
    redis, url = start_redis(tmp)
    try:
        targets = tmp / "targets.csv"
        targets.write_text("name,country,url\n" + "".join(f"{r['name']},Farmland,{r['url']}\n" for r in rows))
        # small portals (20 pages) so that many go through in minutes: memory growth is per portal, not per page
        run = after(targets, tmp, url, 1, args.concurrency, "w1", len(rows), ["--fast", "--max-pages", "20",
                                                                              "--satellite-pages", "5"])
        by_count = dict(run["rss"])
        marks = [n for n in (10, 50, 100, 200, 300, 500, len(rows)) if n <= len(rows)]
        print(f"memory: {len(rows)} portals (--fast, 20 pages each), one worker, --portals {args.concurrency}, browser restarted "
              f"every 50; statuses {run['statuses']}; {run['wall']:.0f} s")
        for n in marks:
            near = min(by_count, key=lambda k: abs(k - n)) if by_count else None
            if near is not None:
                print(f"  worker RSS after {near} portals: {by_count[near]:.0f} MB")
        if by_count:
            at50 = by_count[min(by_count, key=lambda k: abs(k - 50))]
            last = by_count[max(by_count)]
            print(f"rss_ratio_last_to_50={last / at50:.2f}")
    finally:
        for proc in RUNNING:
            if proc.poll() is None:
                os.killpg(proc.pid, 9)
                proc.wait()
        farm.terminate()
        redis.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


def rate(run: dict) -> float:
    return run["portals"] / run["wall"] * 3600


def report(name: str, run: dict) -> None:
    pages_per_portal = run["pages"] / max(1, run["portals"])
    print(f"{name}: {run['portals']} portals, {run['pages']} pages in {run['wall']:.0f} s wall: "
          f"{rate(run):.0f} portals/hour, {run['pages'] / run['wall']:.2f} pages/s, "
          f"{run['cpu'] / run['portals']:.2f} CPU s per portal ({run['cpu'] / max(1, run['pages']) * 1000:.0f} ms "
          f"per page, {pages_per_portal:.0f} pages per portal)")


def extrapolate(name: str, run: dict, cores: int = 2) -> None:
    """5,570 portals x 150 pages: wall from the measured rate scaled by pages, and the CPU bound on this machine."""
    per_page_cpu = run["cpu"] / max(1, run["pages"])
    cpu_hours = per_page_cpu * TARGET * TARGET_PAGES / 3600
    pages_per_portal = run["pages"] / max(1, run["portals"])
    wall_hours = TARGET / rate(run) * (TARGET_PAGES / max(1.0, pages_per_portal))
    print(f"  extrapolation {name}: {TARGET} portals x {TARGET_PAGES} pages = {cpu_hours:.1f} CPU hours "
          f"({cpu_hours / cores:.1f} h on {cores} cores at 100%), {wall_hours:.1f} h at this run's rate "
          f"(scaled to {TARGET_PAGES} pages per portal)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="portals at a time per worker (and --workers of "
                                                                    "the per-process batch)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-host", type=int, default=4, help="connections a farm host serves at once")
    parser.add_argument("--skip-before", action="store_true", help="skip the per-process batch (the slow baseline)")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts to run (default 1 2)")
    parser.add_argument("--memory", type=int, default=0, help="only the memory run: one worker, N portals, --fast")
    args = parser.parse_args()
    import signal
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))   # clean up on `timeout`
    if args.memory:
        return memory(args)
    if not shutil.which("redis-server"):
        sys.exit("redis-server is missing: make setup installs it")
    farm, rows = start_farm(args.portals, args.seed, args.per_host)
    tmp = Path(tempfile.mkdtemp(prefix="egov-scale-"))
    redis, url = start_redis(tmp)
    try:
        targets = tmp / "targets.csv"
        targets.write_text("name,country,url\n" + "".join(f"{r['name']},Farmland,{r['url']}\n" for r in rows))
        kinds = {k: sum(1 for r in rows if r["failing"] == k) for k in ("down", "503")}
        print(f"farm: {len(rows)} portals, {sum(r['pages'] for r in rows)} pages, {sum(r['shell'] for r in rows)} "
              f"application shells, {sum(1 for r in rows if r['satellites'])} with a data satellite, "
              f"{sum(1 for r in rows if r['latency'] >= 1)} slow (1-2 s), {kinds['down']} down, {kinds['503']} "
              f"answering 503; {args.per_host} connections per host; {os.cpu_count()} cores (shared machine)")
        start_cpu = process_start_cpu()
        print(f"process start (Python + imports + Chromium launch, paid per portal before): {start_cpu:.2f} CPU s")
        wstart = worker_start_cpu(url, tmp)
        print(f"worker start (paid once per worker after): {wstart:.2f} CPU s")
        runs = {}
        if not args.skip_before:
            runs["before"] = before(targets, tmp, args.concurrency, len(rows))
            report(f"before (per-process batch, --workers {args.concurrency})", runs["before"])
            extrapolate("before", runs["before"])
        for n in args.workers:
            label = f"w{n}"
            runs[label] = after(targets, tmp, url, n, args.concurrency, label, len(rows))
            r = runs[label]
            report(f"after ({n} worker(s) x --portals {args.concurrency})", r)
            print(f"  statuses {r['statuses']}; CPU per portal by stage: process start "
                  f"{wstart * n / r['portals']:.3f} (once per worker), crawl {(r['own'] - r['evaluate']) / r['portals']:.2f}, render+axe (Chromium) "
                  f"{r['browser'] / r['portals']:.2f}, evaluate {r['evaluate'] / r['portals']:.2f}")
            if r["rss"]:
                first, last = r["rss"][0], r["rss"][-1]
                print(f"  worker RSS: {first[1]:.0f} MB after {first[0]} portal(s), {last[1]:.0f} MB after {last[0]}")
            extrapolate(label, r)
        if "w1" in runs:
            exports = merge_and_export_cpu(runs["w1"]["shards"], tmp)
            print(f"report/exports (merge + json, matrix, xlsx of the whole batch): {exports / len(rows):.3f} CPU s "
                  f"per portal")
        one = rate(runs["w1"]) if "w1" in runs else 0
        two = rate(runs["w2"]) if "w2" in runs else 0
        print(f"portals_per_hour={one:.0f}")
        print(f"workers_ratio={two / one if one else 0:.2f}")
    finally:
        for proc in RUNNING:
            if proc.poll() is None:
                os.killpg(proc.pid, 9)
                proc.wait()
        farm.terminate()
        redis.terminate()
        farm.wait()
        redis.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
