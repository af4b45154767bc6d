"""The audit database: one SQLite file (plus its snapshot folder) a researcher can open in Datasette.

`Store` is the one door to it. It opens the connection, brings the schema up to date and keeps the
snapshots; the statements themselves live with their tables, one module per table family, mixed in
here: runs.py, pages.py (pages, links, skipped, snapshots), artifacts.py, evaluations.py (evaluations,
verdicts), batches.py (batches, batch_targets). Nothing outside this package writes SQL.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from egov_audit.paths import snapshot_dir_for
from egov_audit.store.artifacts import ArtifactsTable
from egov_audit.store.batches import BatchesTable
from egov_audit.store.evaluations import EvaluationsTable
from egov_audit.store.migrations import migrate
from egov_audit.store.pages import PagesTable, ResumeState   # noqa: F401 — the spider imports ResumeState from here
from egov_audit.store.runs import RunsTable
from egov_audit.store.snapshots import SnapshotStore
from egov_audit.store.util import now_iso                    # noqa: F401 — batch and monitor import it from here


class Store(RunsTable, PagesTable, ArtifactsTable, EvaluationsTable, BatchesTable):
    def __init__(self, db_path: str | Path):
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")   # WAL + NORMAL: durable at checkpoints, fast per page
        self.conn.execute("PRAGMA busy_timeout=10000")
        migrate(self.conn)
        self.snapshots = SnapshotStore(snapshot_dir_for(self.path))

    def close(self) -> None:
        self.conn.close()
