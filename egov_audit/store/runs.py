"""The runs table: one crawl of a portal, with the settings it was made with."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from egov_audit.store.records import Record
from egov_audit.store.util import code_version, now_iso

# Settings that define *what* is audited: a run is resumed only when they match.
RESUME_KEYS = ("start_url", "allow_hosts", "max_pages", "max_depth", "satellite_pages", "render")
RUN_COLUMNS = ("id", "portal", "start_url", "started", "finished", "status", "settings", "code_version",
               "pages_crawled")


@dataclass
class Run(Record):
    id: str
    portal: str
    start_url: str
    started: str
    finished: str | None
    status: str
    settings: str                 # JSON, as stored: the options the run was made with
    code_version: str
    pages_crawled: int | None

    @property
    def options(self) -> dict:
        return json.loads(self.settings or "{}")


_SELECT = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs"


class RunsTable:
    """Mixed into Store: every statement on `runs`."""

    def new_run(self, portal: str, start_url: str, settings: dict) -> str:
        run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
        with self.conn:
            self.conn.execute(
                "INSERT INTO runs (id, portal, start_url, started, status, settings, code_version, pages_crawled) "
                "VALUES (?, ?, ?, ?, 'running', ?, ?, 0)",
                (run_id, portal, start_url, now_iso(), json.dumps(settings, sort_keys=True), code_version()))
        return run_id

    def find_resumable(self, settings: dict) -> str | None:
        """The newest unfinished run made with the same audit-defining settings."""
        wanted = {k: settings.get(k) for k in RESUME_KEYS}
        rows = self.conn.execute(
            "SELECT id, settings FROM runs WHERE status IN ('running', 'interrupted') "
            "AND start_url = ? ORDER BY started DESC", (settings["start_url"],)).fetchall()
        for run_id, raw in rows:
            stored = json.loads(raw)
            if {k: stored.get(k) for k in RESUME_KEYS} == wanted:
                return run_id
        return None

    def mark_run(self, run_id: str, status: str) -> None:
        count = self.conn.execute("SELECT count(*) FROM pages WHERE run_id = ?", (run_id,)).fetchone()[0]
        finished = now_iso() if status in ("finished", "failed", "interrupted") else None
        with self.conn:
            self.conn.execute("UPDATE runs SET status = ?, finished = ?, pages_crawled = ? WHERE id = ?",
                              (status, finished, count, run_id))

    def run(self, run_id: str | None = None) -> Run:
        """One run, or the newest when run_id is None; LookupError when there is none."""
        if run_id is None:
            row = self.conn.execute(_SELECT + " ORDER BY started DESC LIMIT 1").fetchone()
            if row is None:
                raise LookupError(f"{self.path} holds no runs")
        else:
            row = self.conn.execute(_SELECT + " WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise LookupError(f"no run {run_id} in {self.path}")
        return Run(*row)

    def has_run(self, run_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is not None

    def runs(self) -> list[Run]:
        """Every run, newest first."""
        return [Run(*row) for row in self.conn.execute(_SELECT + " ORDER BY started DESC")]

    def judged_runs(self, portal: str | None = None) -> list[Run]:
        """Runs with at least one evaluation, oldest first; ``portal`` matches the host or the start URL."""
        sql = _SELECT + " r WHERE EXISTS (SELECT 1 FROM evaluations e WHERE e.run_id = r.id)"
        params: tuple = ()
        if portal:
            sql += " AND (portal = ? OR start_url = ?)"
            params = (portal, portal)
        return [Run(*row) for row in self.conn.execute(sql + " ORDER BY started, rowid", params)]

    def newest_run_of(self, start_url: str, since: str | None = None) -> Run | None:
        """The newest run of a start URL; with ``since``, only one started, finished or still running since then."""
        row = self.conn.execute(_SELECT + " WHERE start_url = ? "
                                + ("AND (started >= ? OR finished >= ? OR status = 'running') " if since else "")
                                + "ORDER BY coalesce(finished, started) DESC LIMIT 1",
                                (start_url, since, since) if since else (start_url,)).fetchone()
        return Run(*row) if row else None
