"""egov-audit monitor: a batch for cron / systemd timers that diffs every portal and alerts on regressions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from egov_audit.app.commands.batch import (W3C_OPT, AXE_OPT, DATE_OPT, DB_OPT, FAST_OPT, OUT_OPT, PAGES_OPT, RENDER_OPT, SAT_OPT,
                                       TARGETS_ARG, TIMEOUT_OPT, WORKERS_OPT)

def register(app: typer.Typer) -> None:
    @app.command()
    def monitor(targets: Path = TARGETS_ARG, db: Optional[Path] = DB_OPT, out: Optional[Path] = OUT_OPT,
                max_regressions: int = typer.Option(0, "--max-regressions",
                                                    help="alert when a portal lost more indicators than this"),
                max_score_drop: Optional[float] = typer.Option(None, "--max-score-drop",
                                                               help="also alert when the index fell by more than this "
                                                                    "(e.g. 0.05)"),
                webhook: Optional[str] = typer.Option(None, "--webhook", help="POST the JSON summary to this URL"),
                summary_json: Optional[Path] = typer.Option(None, "--summary", help="also write the JSON summary here"),
                workers: int = WORKERS_OPT, fast: bool = FAST_OPT, render: str = RENDER_OPT,
                max_pages: int = PAGES_OPT, satellite_pages: int = SAT_OPT, axe_pages: int = AXE_OPT,
                timeout: int = TIMEOUT_OPT, audit_date: Optional[str] = DATE_OPT,
                w3c_and_engines: bool = W3C_OPT):
        """Audit every portal again, compare each with its previous run, print a summary and alert.

        Exit status: 0 no regression; 1 some portal lost indicators (or its index fell) beyond the thresholds;
        3 no regression, but a portal could not be audited or the webhook failed; 2 bad input.

        Example: egov-audit monitor targets.csv --db monitor.db --webhook https://hooks.example.org/egov
        """
        from egov_audit.app.commands.batch import batch_options, console, run_with_progress, write_batch_exports
        from egov_audit.app.monitoring import EXIT_OK, EXIT_UNCHECKED, Thresholds, build_summary, format_summary, post_webhook
        options = batch_options(targets, db, out, workers, fast, render, max_pages, satellite_pages, axe_pages,
                                timeout, None, audit_date, new=True, w3c_and_engines=w3c_and_engines)
        result, store = run_with_progress(targets, options)
        try:
            if result.interrupted:
                console.print("interrupted: the next scheduled run continues the unfinished crawls")
                raise typer.Exit(130)
            summary = build_summary(store, result, Thresholds(max_regressions, max_score_drop))
            write_batch_exports(store, result, options.out)
        finally:
            store.close()
        text = json.dumps(summary, indent=2, ensure_ascii=False)
        (options.out / "monitor-summary.json").write_text(text, encoding="utf-8")
        if summary_json:
            summary_json.write_text(text, encoding="utf-8")
        print(format_summary(summary))
        code = summary["exit_code"]
        if webhook:
            problem = post_webhook(webhook, summary)
            if problem:
                console.print(f"[red]webhook:[/red] {problem}")
                code = code if code != EXIT_OK else EXIT_UNCHECKED
            else:
                console.print(f"summary posted to {webhook}")
        raise typer.Exit(code)
