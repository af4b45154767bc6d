"""egov-audit review (the assessor's workbench), review import (filled-in questionnaires), accuracy."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from egov_audit.app.workbench.assessment import DEFAULT_SAMPLE, DEFAULT_SEED


def _open_db(db: Path):
    from egov_audit.store.db import Store
    if not db.exists():
        typer.echo(f"error: no audit database at {db}", err=True)
        raise typer.Exit(2)
    return Store(db)


def register(app: typer.Typer) -> None:
    review_app = typer.Typer(add_completion=False, invoke_without_command=True, rich_markup_mode=None,
                             help="The assessor's workbench: confirm or correct verdicts in the browser.")
    app.add_typer(review_app, name="review")

    @review_app.callback()
    def review(ctx: typer.Context,
               db: Path = typer.Option(Path("audit.db"), "--db", help="audit database with judged runs"),
               host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (other than 127.0.0.1, "
                                                                    "::1, localhost only with --token-file)"),
               port: int = typer.Option(8002, "--port", help="port to listen on"),
               token_file: Optional[Path] = typer.Option(None, "--token-file",
                                                         help="file holding the secret every browser must give once "
                                                              "(?token=…); required off loopback"),
               sample: float = typer.Option(DEFAULT_SAMPLE, "--sample", min=0.0, max=1.0,
                                            help="share of automatic verdicts sampled into the queue"),
               seed: str = typer.Option(DEFAULT_SEED, "--seed", help="seed of the sample (same seed, same queue)")):
        """Open the assessor's workbench in the browser: the queue of verdicts that need a person, the evidence,
        answers with y / n / a (j / k to move), two-assessor reconciliation and the accuracy page. Ctrl-C stops it.

        Example: egov-audit review --db cities.db --port 8002
        """
        if ctx.invoked_subcommand:
            return
        from egov_audit.app.workbench.serving import BindRefused, read_token, serve
        _open_db(db).close()                      # applies the migration before the first request
        try:
            token = read_token(token_file)
            url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
            typer.echo(f"workbench for {db} at {url}{'?token=…' if token else ''} (Ctrl-C stops)", err=True)
            serve(db, host, port, token, sample, seed)
        except BindRefused as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)

    @review_app.command("import")
    def review_import(questionnaire: Path = typer.Argument(..., help="questionnaire .csv or .xlsx, filled in"),
                      assessor: str = typer.Option(..., "--assessor", help="who filled it in"),
                      db: Path = typer.Option(Path("audit.db"), "--db", help="audit database the runs live in")):
        """Read back a questionnaire (`export --format questionnaire` or xlsx) with assessor_answer / assessor_note
        filled in, as that assessor's answers. Bad rows are reported by row number and nothing is imported.

        Example: egov-audit review import Lakeside-20261122T101500Z-1a2b3c.questionnaire.csv --assessor "A. Researcher" --db cities.db
        """
        from egov_audit.app.workbench.importer import ImportProblem, import_questionnaire
        if not questionnaire.exists():
            typer.echo(f"error: no file {questionnaire}", err=True)
            raise typer.Exit(2)
        store = _open_db(db)
        try:
            count = import_questionnaire(store, questionnaire, assessor)
        except ImportProblem as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1)
        finally:
            store.close()
        typer.echo(f"imported {count} answer(s) of {assessor.strip()} from {questionnaire.name}")

    @app.command()
    def accuracy(db: Path = typer.Option(Path("audit.db"), "--db", help="audit database with assessors' answers"),
                 csv_out: Optional[Path] = typer.Option(None, "--csv", help="also write the figures as CSV")):
        """How often the machine agreed with the assessors' final answers: per automation class and indicator,
        agreement, precision and recall of passes, share left open, Cohen's kappa (with counts).

        Example: egov-audit accuracy --db cities.db --csv accuracy.csv
        """
        from egov_audit.app.workbench.accuracy import accuracy as figures, csv_text, table
        store = _open_db(db)
        try:
            rows = figures(store)
        finally:
            store.close()
        if not rows[0]["decided"] and not rows[0]["kappa_assessors_n"]:
            typer.echo("no final answers yet: nothing to measure", err=True)
        typer.echo(table(rows))
        if csv_out:
            csv_out.write_text(csv_text(rows), encoding="utf-8")
            typer.echo(f"wrote {csv_out}", err=True)
