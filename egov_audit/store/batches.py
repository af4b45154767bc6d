"""The batch tables: one `egov-audit batch` / `monitor` over a targets file, and its targets' progress."""
from __future__ import annotations

import json
from dataclasses import dataclass

from egov_audit.store.records import Record
from egov_audit.store.util import now_iso


@dataclass
class TargetProgress(Record):
    position: int
    status: str
    reason: str | None
    run_id: str | None
    seconds: float | None


@dataclass
class BatchTarget(Record):
    url: str
    name: str | None
    country: str | None
    level: str | None
    position: int
    status: str
    run_id: str | None
    seconds: float | None


class BatchesTable:
    """Mixed into Store: every statement on `batches` and `batch_targets`."""

    def open_batch(self, batch_id: str, targets_file: str, settings: dict, targets: list[dict]) -> bool:
        """Create the batch and its pending targets unless it exists; returns whether it existed.

        targets: dicts with position, name, country, url, level, languages, extra_hosts (space-separated).
        """
        if self.conn.execute("SELECT 1 FROM batches WHERE id = ?", (batch_id,)).fetchone() is not None:
            return True
        with self.conn:
            self.conn.execute("INSERT INTO batches (id, targets_file, created, settings) VALUES (?, ?, ?, ?)",
                              (batch_id, targets_file, now_iso(), json.dumps(settings)))
            self.conn.executemany(
                "INSERT INTO batch_targets (batch_id, position, name, country, url, level, languages, extra_hosts, "
                "status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                [(batch_id, t["position"], t["name"], t["country"], t["url"], t["level"], t["languages"],
                  t["extra_hosts"]) for t in targets])
        return False

    def target_progress(self, batch_id: str) -> dict[int, TargetProgress]:
        """position → how far that target got."""
        return {row[0]: TargetProgress(*row) for row in self.conn.execute(
            "SELECT position, status, reason, run_id, seconds FROM batch_targets WHERE batch_id = ?", (batch_id,))}

    def save_target(self, batch_id: str, position: int, status: str, reason: str, run_id: str | None,
                    seconds: float | None, started: str | None = None, finished: str | None = None) -> None:
        """Record a target's progress; started/finished are written only when given."""
        extra = {k: v for k, v in (("started", started), ("finished", finished)) if v is not None}
        with self.conn:
            self.conn.execute(
                "UPDATE batch_targets SET status = ?, reason = ?, run_id = ?, seconds = ?"
                + "".join(f", {k} = ?" for k in extra) + " WHERE batch_id = ? AND position = ?",
                (status, reason, run_id, seconds, *extra.values(), batch_id, position))

    def finish_batch(self, batch_id: str) -> None:
        with self.conn:
            self.conn.execute("UPDATE batches SET finished = ? WHERE id = ?", (now_iso(), batch_id))

    def batch_targets(self) -> list[BatchTarget]:
        """Every target any batch of this DB named, in the order they were recorded."""
        return [BatchTarget(*row) for row in self.conn.execute(
            "SELECT url, name, country, level, position, status, run_id, seconds FROM batch_targets ORDER BY rowid")]
