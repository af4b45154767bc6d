"""egov-audit batch: audit every portal in a targets file, then rank them and export the results."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from crawler.options import DEFAULTS, RENDER_MODES
from rich.console import Console
from rich.live import Live
from rich.table import Table

console = Console(stderr=True, soft_wrap=True)   # log lines stay whole in cron mail and CI logs

STATUS_STYLE = {"ok": "green", "partial": "yellow", "error": "red", "running": "cyan", "pending": "dim"}


def batch_options(targets: Path, db: Optional[Path], out: Optional[Path], workers: int, fast: bool, render: str,
                  max_pages: int, satellite_pages: int, axe_pages: int, timeout: int, delay: Optional[float],
                  audit_date: Optional[str], new: bool, w3c_and_engines: bool = DEFAULTS.w3c_and_engines):
    from egov_audit.app.batch import BatchOptions
    from egov_audit.judge.rules import load_rules
    load_rules()   # a bad rule: one line and exit 2 (cli.main) before any portal is crawled, not once per portal
    if render not in RENDER_MODES:
        raise typer.BadParameter("--render takes auto, always or never")
    stem = targets.with_suffix("")
    return BatchOptions(db=db or stem.with_suffix(".db"), out=out or Path(f"{stem}-results"), workers=workers,
                        fast=fast, render=render, max_pages=max_pages, satellite_pages=satellite_pages,
                        axe_pages=axe_pages, timeout=timeout, delay=delay, audit_date=audit_date, new=new,
                        w3c_and_engines=w3c_and_engines)


def progress_table(states) -> Table:
    done = sum(1 for s in states if s.status in ("ok", "partial", "error"))
    table = Table(title=f"{done} of {len(states)} portals done", expand=False)
    for column in ("#", "portal", "country", "status", "pages", "seconds", "note"):
        table.add_column(column)
    for s in states:
        style = STATUS_STYLE.get(s.status, "")
        table.add_row(str(s.row.position), s.row.name, s.row.country, f"[{style}]{s.status}[/{style}]",
                      str(s.pages or ""), "" if s.seconds is None else f"{s.seconds:.0f}", s.reason[:60])
    return table


def run_with_progress(targets: Path, options, quiet_ok: bool = False):
    """Read the targets, open or resume the batch, audit with a live display; returns (result, store)."""
    from egov_audit.app.batch import load_states, open_batch, run_batch
    from egov_audit.store.db import Store
    from egov_audit.app.targets import TargetsError, read_targets
    try:
        rows, digest = read_targets(targets)
    except TargetsError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    options.out.mkdir(parents=True, exist_ok=True)
    store = Store(options.db)
    batch_id, existed = open_batch(store, rows, digest, targets, options)
    states = load_states(store, batch_id, rows)
    done = sum(1 for s in states if s.status in ("ok", "partial"))
    console.print(f"batch {batch_id}: {len(rows)} portals" + (f", resuming ({done} already done)" if existed else "")
                  + f"; database {options.db}, results in {options.out}/")
    if console.is_terminal:
        with Live(progress_table(states), console=console, refresh_per_second=2) as live:
            result = run_batch(store, batch_id, states, options, lambda st: live.update(progress_table(st)))
    else:
        # cron and CI logs: one line whenever a portal changes status
        last: dict[int, str] = {}

        def log_changes(st):
            for s in st:
                if last.get(s.row.position) != s.status:
                    last[s.row.position] = s.status
                    if s.status != "pending":
                        console.print(f"[{s.row.position}/{len(st)}] {s.row.name}: {s.status}"
                                      + (f" ({s.reason})" if s.reason else "")
                                      + (f" in {s.seconds:.0f} s" if s.seconds is not None and s.status != "running" else ""))
        result = run_batch(store, batch_id, states, options, log_changes)
    result.resumed = existed
    return result, store


def ranking_table(ranking) -> Table:
    table = Table(title="Ranking (LOSI index)")
    for column in ("rank", "portal", "country", "index", "band", "up to", "pages"):
        table.add_column(column)
    for n, r in enumerate(ranking, start=1):
        table.add_row(str(n), r["portal"], r["country"], "–" if r["index"] is None else f"{r['index']:.2f}",
                      r["band"] + (" (provisional)" if r["provisional"] else ""),
                      "–" if r["upper_bound"] is None else f"{r['upper_bound']:.2f}", str(r["pages"]))
    return table


def write_batch_exports(store, result, out: Path, documents: list[dict] | None = None) -> list[Path]:
    """Every export of the batch's runs into ``out`` (the documents, when the caller has them already)."""
    from egov_audit.app.exports import DEFAULT_NAMES, collect, export
    if not result.run_ids:
        return []
    documents = documents if documents is not None else collect([store.path], result.run_ids)
    written = []
    for fmt in ("json", "csv", "matrix", "xlsx", "questionnaire"):
        written += export(documents, fmt, out / DEFAULT_NAMES[fmt])
    return written


def finish(store, result, out: Path) -> list[dict]:
    from egov_audit.app.exports import collect, ranking
    documents = collect([store.path], result.run_ids) if result.run_ids else []
    ranked = ranking(documents)
    if ranked:
        console.print(ranking_table(ranked))
    written = write_batch_exports(store, result, out, documents)
    counts = {}
    for s in result.targets:
        counts[s.status] = counts.get(s.status, 0) + 1
    console.print(f"batch {result.batch_id}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
                  + f" in {result.seconds:.0f} s" + (f" ({result.skipped} done earlier, skipped)" if result.skipped else ""))
    for s in result.targets:
        if s.status == "error":
            console.print(f"[red]error[/red] {s.row.name} ({s.row.url}): {s.reason}")
    if written:
        console.print(f"exports: {', '.join(str(p) for p in written if p.parent == out)} and {out / 'questionnaires'}/")
    return ranked


# Options shared by batch and monitor (a monitor run is a batch plus a comparison).
TARGETS_ARG = typer.Argument(..., help="CSV with columns name, country, url (optional: languages, extra_hosts, level)")
DB_OPT = typer.Option(None, "--db", help="audit database (default: <targets>.db)")
OUT_OPT = typer.Option(None, "--out", help="folder for reports and exports (default: <targets>-results/)")
WORKERS_OPT = typer.Option(4, "--workers", help="portals audited at the same time (never two of one host)")
FAST_OPT = typer.Option(DEFAULTS.fast, "--fast/--polite", help="--fast: no politeness delays, loopback only")
RENDER_OPT = typer.Option(DEFAULTS.render, "--render", help="auto | always | never")
PAGES_OPT = typer.Option(DEFAULTS.max_pages, "--max-pages", help="page budget per portal")
SAT_OPT = typer.Option(DEFAULTS.satellite_pages, "--satellite-pages", help="page budget per satellite host")
AXE_OPT = typer.Option(DEFAULTS.axe_pages, "--axe-pages", help="pages scanned with axe-core per portal (0: none)")
TIMEOUT_OPT = typer.Option(DEFAULTS.timeout, "--timeout", help="seconds before a request is a timeout error")
DATE_OPT = typer.Option(None, "--audit-date", help="YYYY-MM-DD for recency judgements")
W3C_OPT = typer.Option(DEFAULTS.w3c_and_engines, "--w3c-and-engines/--no-w3c-and-engines",
                       help="W3C checker (#208/#209) and browser engines (#201) per portal (off: those are 'error')")


def register(app: typer.Typer) -> None:
    @app.command()
    def batch(targets: Path = TARGETS_ARG, db: Optional[Path] = DB_OPT, out: Optional[Path] = OUT_OPT,
              workers: int = WORKERS_OPT, fast: bool = FAST_OPT, render: str = RENDER_OPT, max_pages: int = PAGES_OPT,
              satellite_pages: int = SAT_OPT, axe_pages: int = AXE_OPT, timeout: int = TIMEOUT_OPT,
              delay: Optional[float] = typer.Option(DEFAULTS.delay, "--delay", help="seconds between requests to one host"),
              audit_date: Optional[str] = DATE_OPT, w3c_and_engines: bool = W3C_OPT,
              new: bool = typer.Option(False, "--new", help="start a new batch instead of resuming this one"),
              queue: Optional[str] = typer.Option(None, "--queue", help="Redis URL: enqueue the portals for "
                                                   "`egov-audit worker` processes instead of auditing here"),
              wait: bool = typer.Option(False, "--wait", help="with --queue: wait for the batch, print its ranking")):
        """Audit every portal in a targets CSV, in parallel across hosts; rank them and export the results.

        Running the same command again skips portals already audited and continues interrupted ones.
        Exit status: 0 all portals audited (ok or partial), 1 some portal ended in error, 2 bad input.

        With --queue the portals become jobs for workers on any number of machines (see `worker`, `merge`).

        Example: egov-audit batch targets.csv --db cities.db --out cities/ --workers 4
        """
        options = batch_options(targets, db, out, workers, fast, render, max_pages, satellite_pages, axe_pages,
                                timeout, delay, audit_date, new, w3c_and_engines)
        if queue:
            from egov_audit.app.commands.distributed import enqueue_and_maybe_wait
            enqueue_and_maybe_wait(targets, options, queue, wait)
            return
        result, store = run_with_progress(targets, options)
        try:
            if result.interrupted:
                console.print("interrupted: run the same command again to continue")
                raise typer.Exit(130)
            finish(store, result, options.out)
        finally:
            store.close()
        if any(s.status == "error" for s in result.targets):
            raise typer.Exit(1)
