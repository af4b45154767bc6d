"""The artifacts table: crawl-time gatherers' raw results (search probe, API probes, axe scans), judged later."""
from __future__ import annotations

import json
from dataclasses import dataclass

from egov_audit.store.records import Record
from egov_audit.store.util import now_iso


@dataclass
class Artifact(Record):
    kind: str
    url: str | None
    data: dict | None          # None when the stored record is not valid JSON
    raw: str                   # the JSON as stored


class ArtifactsTable:
    """Mixed into Store: every statement on `artifacts`."""

    def save_artifact(self, run_id: str, kind: str, url: str | None, data: dict) -> None:
        """A crawl-time gatherer's raw result (search probe, API probe …), judged later by checks."""
        with self.conn:
            self.conn.execute("INSERT INTO artifacts (run_id, kind, url, data, created) VALUES (?, ?, ?, ?, ?)",
                              (run_id, kind, url, json.dumps(data, ensure_ascii=False), now_iso()))

    def artifacts(self, run_id: str, kind: str) -> list[dict]:
        """The data of a run's artifacts of one kind, in the order they were stored."""
        return [json.loads(d) for (d,) in self.conn.execute(
            "SELECT data FROM artifacts WHERE run_id = ? AND kind = ? ORDER BY rowid", (run_id, kind))]

    def artifact_records(self, run_id: str, kind: str | None = None) -> list[Artifact]:
        """A run's artifacts (of one kind, or all) with kind and URL, in the order they were stored; a record
        whose JSON does not parse has data None, so a reader can say so instead of failing."""
        sql = "SELECT kind, url, data FROM artifacts WHERE run_id = ?" + (" AND kind = ?" if kind else "")
        found = []
        for kind_, url, raw in self.conn.execute(sql + " ORDER BY rowid", (run_id, kind) if kind else (run_id,)):
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
            found.append(Artifact(kind_, url, data, raw))
        return found
