"""egov-audit export: researcher exports of judged runs from one or more audit databases."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

FORMATS = "json | csv (long: one row per indicator) | matrix (wide: one row per portal) | questionnaire | xlsx"


def register(app: typer.Typer) -> None:
    @app.command()
    def export(fmt: str = typer.Option("json", "--format", help=FORMATS),
               db: List[Path] = typer.Option([Path("audit.db")], "--db", help="audit database (repeatable)"),
               run: Optional[List[str]] = typer.Option(None, "--run", help="run id (repeatable; default: the newest "
                                                                               "judged run of every portal)"),
               all_runs: bool = typer.Option(False, "--all-runs", help="every judged run, not only the newest per portal"),
               out: Optional[Path] = typer.Option(None, "--out", help="output file (a folder for questionnaire)")):
        """Export judged runs for analysis: JSON documents, CSV tables, an xlsx workbook, assessor questionnaires.

        Example: egov-audit export --format matrix --db batch.db --out matrix.csv
        """
        from egov_audit.app.exports import DEFAULT_NAMES, collect, export as write
        try:
            documents = collect(db, run, all_runs)
            written = write(documents, fmt, out or Path(DEFAULT_NAMES.get(fmt, "export")))
        except (FileNotFoundError, LookupError, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        for path in written:
            typer.echo(str(path))
        typer.echo(f"{len(documents)} run(s) exported as {fmt}", err=True)
