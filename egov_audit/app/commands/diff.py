"""egov-audit diff: what changed between two judged runs of a portal."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def diff(db: Path = typer.Option(Path("audit.db"), "--db", help="audit database"),
             portal: Optional[str] = typer.Option(None, "--portal", help="host or start URL (needed when the DB "
                                                                         "holds several portals)"),
             before: Optional[str] = typer.Option(None, "--from", help="older run id (default: the one before --to)"),
             after: Optional[str] = typer.Option(None, "--to", help="newer run id (default: the newest judged run)"),
             as_json: bool = typer.Option(False, "--json", help="print the comparison as JSON"),
             fail_on_regression: bool = typer.Option(False, "--fail-on-regression",
                                                     help="exit 1 when an indicator met before is not met now")):
        """Compare two judged runs of a portal (default: its last two): indicators gained, lost or changed,
        the score change, and warnings when the address, host, crawl size or rules changed too.

        Example: egov-audit diff --db city.db --portal www.city.gov
        """
        from egov_audit.app.history import HistoryError, diff_runs, format_diff, pick_runs
        from egov_audit.store.db import Store
        if not db.exists():
            typer.echo(f"error: no audit database at {db}", err=True)
            raise typer.Exit(2)
        store = Store(db)
        try:
            older, newer = pick_runs(store, portal, before, after)
            result = diff_runs(store, older, newer)
        except (HistoryError, LookupError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        finally:
            store.close()
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) if as_json else format_diff(result))
        if fail_on_regression and result.regressions:
            raise typer.Exit(1)
