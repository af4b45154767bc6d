"""egov-audit worker / merge / queue: a batch on several machines (Redis queue, worker shards, one merge)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

console = Console(stderr=True, soft_wrap=True)

QUEUE_OPT = typer.Option(..., "--queue", envvar="EGOV_QUEUE",
                         help="Redis URL, e.g. redis://:password@host:6379/0 (never printed with its password; "
                              "default: $EGOV_QUEUE, which keeps the password out of `ps`)")


def _redis_errors():
    import redis
    return (redis.exceptions.ConnectionError, redis.exceptions.AuthenticationError)


def enqueue_and_maybe_wait(targets: Path, options, queue_url: str, wait: bool) -> None:
    """`batch --queue`: the same targets file, batch id and resume rules as the local batch."""
    from egov_audit.app import queue as q
    from egov_audit.app.batch import batch_id_for
    from egov_audit.app.commands.batch import ranking_table
    from egov_audit.app.targets import TargetsError, read_targets
    try:
        rows, digest = read_targets(targets)
    except TargetsError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    from egov_audit.store.db import now_iso
    batch_id = batch_id_for(digest, options, now_iso() if options.new else "")   # --new: another batch, as locally
    settings = options.audit_settings()
    try:
        counts = q.enqueue_batch(queue_url, batch_id, rows, settings, str(targets))
    except _redis_errors() as exc:
        console.print(f"[red]error:[/red] cannot reach the queue at {q.redact(queue_url)}: {type(exc).__name__}")
        raise typer.Exit(2)
    console.print(f"batch {batch_id}: {len(rows)} portals on {q.redact(queue_url)}; {counts['enqueued']} enqueued, "
                  f"{counts['done']} done earlier, {counts['waiting']} already queued or running")
    if not wait:
        console.print(f"workers: egov-audit worker --queue … --db shard.db; progress: egov-audit queue status --queue …")
        return
    seen: dict[int, str] = {}

    def log_changes(states):
        for position, state in sorted(states.items()):
            if seen.get(position) != state.get("status"):
                seen[position] = state.get("status")
                console.print(f"[{position}/{len(rows)}] {state.get('name')}: {state.get('status')}"
                              + (f" ({state['reason']})" if state.get("reason") else ""))

    states = q.wait_for(queue_url, batch_id, [r.position for r in rows], on_change=log_changes)
    ranked = sorted(({"portal": s.get("name", ""), "country": s.get("country", ""), "index": s.get("index"),
                      "band": s.get("band") or "", "provisional": bool(s.get("provisional")),
                      "upper_bound": s.get("upper_bound"), "pages": s.get("pages", 0)}
                     for s in states.values() if s.get("status") in ("ok", "partial")),
                    key=lambda r: (r["index"] is None, -(r["index"] or 0), r["portal"]))
    if ranked:
        console.print(ranking_table(ranked))
    bad = [s for s in states.values() if s.get("status") in ("error", "failed")]
    for s in bad:
        console.print(f"[red]{s['status']}[/red] {s.get('name')} ({s.get('url')}): {s.get('reason')}")
    console.print(f"batch {batch_id}: finished; merge the workers' shards with egov-audit merge shard-*.db --into …")
    if bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(queue: str = QUEUE_OPT,
               db: Path = typer.Option(Path("shard.db"), "--db", help="this worker's own audit database (shard)"),
               portals: int = typer.Option(1, "--portals", help="portals audited at the same time by this worker"),
               burst: bool = typer.Option(False, "--burst", help="exit when the queue is empty (cron, tests)"),
               restart_browser: int = typer.Option(50, "--restart-browser",
                                                   help="restart the shared Chromium every N portals"),
               dead_after: float = typer.Option(60.0, "--dead-after",
                                                help="seconds without a heartbeat before a worker's job is "
                                                     "given to another worker"),
               out: Optional[Path] = typer.Option(None, "--out", help="also write each portal's result.json and "
                                                                       "report.html here (default: none; "
                                                                       "`egov-audit report` makes them later)")):
        """Take portal audits from a Redis queue and audit them in this long-lived process, into its own shard.

        One process audits portal after portal with one reactor and one shared Chromium (no start per
        portal). Stop it with Ctrl-C or SIGTERM: the portals in progress finish first.

        Example: egov-audit worker --queue redis://:secret@10.0.0.5:6379/0 --db shard-a.db --portals 4
        """
        from egov_audit.app.worker import run_worker
        try:
            run_worker(queue, db, portals=portals, burst=burst, restart_every=restart_browser,
                       dead_after_s=dead_after, out=out, echo=lambda text: console.print(text, markup=False))
        except _redis_errors() as exc:
            from egov_audit.app.queue import redact
            console.print(f"[red]error:[/red] cannot reach the queue at {redact(queue)}: {type(exc).__name__}")
            raise typer.Exit(2)

    @app.command()
    def merge(shards: List[Path] = typer.Argument(..., help="worker databases (shards) to bring together"),
              into: Path = typer.Option(..., "--into", help="the merged audit database (created if missing)")):
        """Merge worker shards into one audit database, with their snapshots and WARC files.

        Idempotent: merging the same shard again adds nothing. Every table is copied by run, including
        tables added later. A run still marked running (its worker died) is left out.

        Example: egov-audit merge shard-*.db --into cities.db
        """
        from egov_audit.app.merge import merge_shards
        from egov_audit.store.merge import MergeConflict
        try:
            reports = merge_shards(into, list(shards))
        except (MergeConflict, FileNotFoundError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2)
        for r in reports:
            rows = sum(r.rows.values())
            console.print(f"{r.source}: {r.runs} new run(s), {rows} row(s), {r.files} file(s)"
                          + (f"; {r.skipped_running} unfinished run(s) left out" if r.skipped_running else ""))
        print(f"merged into {into.resolve()}")

    queue_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                            help="The distributed batch queue (Redis): status per batch.")
    app.add_typer(queue_app, name="queue")

    @queue_app.command("status")
    def queue_status(queue: str = QUEUE_OPT,
                     batch: Optional[str] = typer.Option(None, "--batch", help="only this batch, with its targets")):
        """Show queued / running / done / failed portals per batch (a failed job shows its reason).

        Example: egov-audit queue status --queue redis://127.0.0.1:6379/0
        """
        from egov_audit.app import queue as q
        try:
            r = q.redis_for(queue)
            ids = [batch] if batch else q.batch_ids(r)
            table = Table(title=f"queue {q.redact(queue)}")
            for column in ("batch", "targets", "total", "queued", "running", "done", "failed"):
                table.add_column(column)
            failed = []
            for batch_id in ids:
                s = q.batch_summary(r, batch_id)
                table.add_row(batch_id, s["targets_file"], str(s["total"]), str(s["queued"]), str(s["running"]),
                              str(s["done"]), str(s["failed"]))
                for position, state in sorted(q.target_states(r, batch_id).items()):
                    if state.get("status") == "failed" or batch:
                        failed.append((batch_id, position, state))
        except _redis_errors() as exc:
            console.print(f"[red]error:[/red] cannot reach the queue at {q.redact(queue)}: {type(exc).__name__}")
            raise typer.Exit(2)
        Console(soft_wrap=True).print(table)
        for batch_id, position, state in failed:
            print(f"{batch_id}\t{position}\t{state.get('name')}\t{state.get('status')}\t{state.get('reason', '')}")
