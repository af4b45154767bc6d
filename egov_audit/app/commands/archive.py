"""egov-audit archive: a run's evidence archive (its WARC files) packaged as one WACZ for ReplayWeb.page."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def archive(db: Path = typer.Option(Path("audit.db"), "--db", help="audit database (its WARCs are in <db stem>.warc/)"),
                run: Optional[str] = typer.Option(None, "--run", help="run id (default: the newest run)"),
                out: Optional[Path] = typer.Option(None, "--out", help="WACZ file to write (default: <db stem>.<run id>.wacz)")):
        """Package a run's WARC files as a WACZ (index, page list, hashes) to replay the portal as crawled.

        Open the file in ReplayWeb.page (https://replayweb.page, or its desktop app) to browse the pages
        the verdicts were made on; evidence items name their WARC record in `warc_record_id`.

        Example: egov-audit archive --db city.db --out city.wacz
        """
        from egov_audit.store.db import Store
        from egov_audit.app.wacz import build_wacz
        if not db.exists():
            typer.echo(f"error: no audit database at {db}", err=True)
            raise typer.Exit(2)
        try:
            if out is None:
                store = Store(db)
                try:
                    run_id = store.run(run).id
                finally:
                    store.close()
                out = db.with_name(f"{db.stem}.{run_id}.wacz")
            summary = build_wacz(db, out, run)
        except LookupError as exc:
            typer.echo(f"error: {str(exc) or f'no run {run} in {db}'}", err=True)
            raise typer.Exit(2)
        typer.echo(str(summary.path))
        size = summary.path.stat().st_size
        typer.echo(f"run {summary.run_id}: {summary.records} WARC records in {len(summary.warc_files)} file(s), "
                   f"{summary.pages} pages listed, {size / 1024:.0f} KiB", err=True)
        if summary.repaired:
            typer.echo("a killed crawl left an incomplete last record in " + ", ".join(summary.repaired)
                       + ": packaged without it", err=True)
        if summary.unmatched:
            typer.echo(f"{len(summary.unmatched)} listed page(s) had no capture: " + ", ".join(summary.unmatched[:5]),
                       err=True)
