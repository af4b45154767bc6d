"""egov-audit serve: browse an audit database in Datasette, with table descriptions and canned queries."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import typer


def datasette_args(db: Path, metadata_file: Path, host: str, port: int, time_limit_ms: int) -> list[str]:
    """`datasette serve` arguments: the DB is opened read-only (mode=ro), so a crawl may go on writing it."""
    return ["serve", str(db), "--metadata", str(metadata_file), "--host", host, "--port", str(port),
            "--setting", "sql_time_limit_ms", str(time_limit_ms)]


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(db: Path = typer.Option(Path("audit.db"), "--db", help="audit database to browse"),
              host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
              port: int = typer.Option(8001, "--port", help="port to listen on"),
              time_limit_ms: int = typer.Option(5000, "--sql-time-limit-ms", help="longest a query may run")):
        """Open an audit DB in Datasette (read-only): tables described, canned queries for scores,
        missing indicators, regressions, errors and click depth. Ctrl-C stops it.

        Example: egov-audit serve --db city.db --port 8001
        """
        from egov_audit.app.datasette_metadata import metadata
        if not db.exists():
            typer.echo(f"error: no audit database at {db}", err=True)
            raise typer.Exit(2)
        try:
            import datasette  # noqa: F401
        except ImportError:
            typer.echo("error: Datasette is not installed: pip install 'egov-audit[ui]'", err=True)
            raise typer.Exit(2)
        with tempfile.TemporaryDirectory(prefix="egov-serve-") as tmp:
            metadata_file = Path(tmp) / "metadata.json"
            metadata_file.write_text(json.dumps(metadata(db.stem), ensure_ascii=False, indent=1), encoding="utf-8")
            typer.echo(f"serving {db} at http://{host}:{port}/{db.stem} (Ctrl-C stops)", err=True)
            # in this process (uvicorn stops on Ctrl-C or SIGTERM), so stopping our PID stops the server
            from datasette.cli import cli
            cli.main(args=datasette_args(db, metadata_file, host, port, time_limit_ms), prog_name="datasette",
                     standalone_mode=False)
