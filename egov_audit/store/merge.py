"""Merge audit databases (the shards of workers on several machines) into one, with their files.

Generic by design: every table of the target schema is copied by run, found by introspection,
so a table another part of the project adds later (review answers, verdict codes …) comes along
without a change here. A row belongs to the merge when
- its table has a ``run_id`` column and the run is merged, or
- it references (declared ``REFERENCES``) a row that belongs to the merge, or
- its table is tied to no run at all (content-addressed snapshots, batches): then all rows.
A row already present (all columns equal, or the same unique key) is not copied again, so merging
twice changes nothing. ``INTEGER PRIMARY KEY`` ids are local to a file: the target gives new ones
and the references to them are translated. A run still ``running`` in a shard is left out: its
worker is auditing it or died during it (the queue then gave the portal to another worker).
The files beside the databases (snapshots, WARCs) are copied by egov_audit.app.merge.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from egov_audit.store.db import Store


class MergeConflict(RuntimeError):
    pass


@dataclass
class MergeReport:
    source: Path
    runs: int = 0                     # runs new in the target
    skipped_running: int = 0
    rows: dict[str, int] = field(default_factory=dict)   # table → rows added
    files: int = 0                    # snapshot and WARC files copied (by egov_audit.app.merge)
    run_ids: list[str] = field(default_factory=list)   # the shard's runs that are in the target now


@dataclass
class _Table:
    name: str
    columns: list[str]
    int_pk: str | None                # an INTEGER PRIMARY KEY (rowid alias) column, renumbered in the target
    refs: list[tuple[str, str, str]]  # (column, parent table, parent column)


def _tables(conn: sqlite3.Connection, schema: str = "main") -> dict[str, _Table]:
    tables = {}
    for (name,) in conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite_%' ORDER BY name"):
        info = conn.execute(f"PRAGMA {schema}.table_info({_q(name)})").fetchall()
        pks = [row for row in info if row[5]]
        int_pk = pks[0][1] if len(pks) == 1 and (pks[0][2] or "").upper() == "INTEGER" else None
        refs = [(row[3], row[2], row[4] or "rowid")
                for row in conn.execute(f"PRAGMA {schema}.foreign_key_list({_q(name)})")]
        tables[name] = _Table(name, [row[1] for row in info], int_pk, refs)
    return tables


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _order(tables: dict[str, _Table]) -> list[_Table]:
    """Parents before the tables that reference them."""
    done: list[str] = []

    def visit(name: str, path: tuple = ()):
        if name in done or name in path or name not in tables:
            return
        for _, parent, _ in tables[name].refs:
            visit(parent, path + (name,))
        done.append(name)

    for name in tables:
        visit(name)
    return [tables[n] for n in done]


def merge_into(target: Path, sources: list[Path]) -> list[MergeReport]:
    store = Store(target)      # creates the target and brings its schema up to date
    try:
        return [_merge_one(store, Path(source)) for source in sources]
    finally:
        store.close()


def _merge_one(store: Store, source: Path) -> MergeReport:
    if source.resolve() == store.path.resolve():
        raise MergeConflict(f"{source} is the target itself")
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist")
    Store(source).close()      # the shard's schema up to date too (a shard made by an older version)
    report = MergeReport(source)
    conn = store.conn
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    try:
        with conn:
            runs = _runs_to_merge(conn, report)
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS merge_runs (id TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM temp.merge_runs")
            conn.executemany("INSERT INTO temp.merge_runs VALUES (?)", [(r,) for r in runs])
            source_tables = _tables(conn, "src")
            _create_missing(conn, source_tables)
            target_tables = _tables(conn, "main")
            id_maps: dict[str, dict] = {}
            for table in _order(target_tables):
                if table.name not in source_tables:
                    continue
                added = _copy_table(conn, table, source_tables[table.name], target_tables, id_maps)
                if added:
                    report.rows[table.name] = added
            report.runs = report.rows.get("runs", 0)
    finally:
        conn.execute("DETACH DATABASE src")
    report.run_ids = runs
    return report


def _create_missing(conn: sqlite3.Connection, source_tables: dict[str, _Table]) -> None:
    """A table only the shard has (made by a newer version, or a plug-in) is created in the target as it is there."""
    have = {name for (name,) in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")}
    for name in source_tables:
        if name not in have:
            (sql,) = conn.execute("SELECT sql FROM src.sqlite_master WHERE type = 'table' AND name = ?",
                                  (name,)).fetchone()
            conn.execute(sql)
            for (index_sql,) in conn.execute("SELECT sql FROM src.sqlite_master WHERE type = 'index' "
                                             "AND tbl_name = ? AND sql IS NOT NULL", (name,)).fetchall():
                conn.execute(index_sql)


def _runs_to_merge(conn: sqlite3.Connection, report: MergeReport) -> list[str]:
    runs = []
    for run_id, start_url, started, status in conn.execute("SELECT id, start_url, started, status FROM src.runs"):
        if status == "running":
            report.skipped_running += 1
            continue
        mine = conn.execute("SELECT start_url, started FROM main.runs WHERE id = ?", (run_id,)).fetchone()
        if mine is not None and tuple(mine) != (start_url, started):
            raise MergeConflict(f"run id {run_id} names different runs in {report.source} and the target")
        runs.append(run_id)
    return runs


def _belongs(table: _Table, tables: dict[str, _Table], alias: str, depth: int = 0) -> str | None:
    """SQL condition on the source row ``alias`` that ties it to a merged run; None: not tied to any run."""
    if "run_id" in table.columns:
        return f"{alias}.run_id IN (SELECT id FROM temp.merge_runs)"
    if table.name == "runs":
        return f"{alias}.id IN (SELECT id FROM temp.merge_runs)"
    if depth > 5:
        return None
    conditions = []
    for column, parent, parent_column in table.refs:
        parent_table = tables.get(parent)
        if parent_table is None:
            continue
        inner = _belongs(parent_table, tables, f"p{depth}", depth + 1)
        if inner is not None:
            conditions.append(f"{alias}.{_q(column)} IN (SELECT p{depth}.{_q(parent_column)} "
                              f"FROM src.{_q(parent)} AS p{depth} WHERE {inner})")
    return " AND ".join(conditions) if conditions else None


def _copy_table(conn: sqlite3.Connection, table: _Table, source: _Table, tables: dict[str, _Table],
                id_maps: dict[str, dict]) -> int:
    columns = [c for c in table.columns if c in source.columns and c != table.int_pk]
    if not columns:
        return 0
    where = _belongs(table, tables, "s") or "1"
    mapped = {column: parent for column, parent, parent_col in table.refs
              if parent in id_maps and parent_col in ("rowid", tables[parent].int_pk)}
    referenced = table.int_pk and any(parent == table.name for t in tables.values() for _, parent, _ in t.refs)
    if not mapped and not referenced:
        # the common case, in SQL: rows not already there (all columns equal), unique keys respected
        same = " AND ".join(f"m.{_q(c)} IS s.{_q(c)}" for c in columns)
        cursor = conn.execute(
            f"INSERT OR IGNORE INTO main.{_q(table.name)} ({', '.join(map(_q, columns))}) "
            f"SELECT {', '.join('s.' + _q(c) for c in columns)} FROM src.{_q(table.name)} AS s "
            f"WHERE ({where}) AND NOT EXISTS (SELECT 1 FROM main.{_q(table.name)} AS m WHERE {same})")
        return max(cursor.rowcount, 0)
    # rows whose integer ids are referenced, or who reference renumbered rows: one by one, keeping the id map
    select_pk = f"s.{_q(source.int_pk)}, " if referenced and source.int_pk else "NULL, "
    id_map = id_maps.setdefault(table.name, {}) if referenced else None
    added = 0
    for row in conn.execute(f"SELECT {select_pk}{', '.join('s.' + _q(c) for c in columns)} "
                            f"FROM src.{_q(table.name)} AS s WHERE {where}").fetchall():
        old_id, values = row[0], list(row[1:])
        for i, column in enumerate(columns):
            if column in mapped and values[i] is not None:
                values[i] = id_maps[mapped[column]].get(values[i], values[i])
        same = " AND ".join(f"{_q(c)} IS ?" for c in columns)
        found = conn.execute(f"SELECT {_q(table.int_pk) if table.int_pk else 'rowid'} FROM main.{_q(table.name)} "
                             f"WHERE {same} LIMIT 1", values).fetchone()
        if found is None:
            cursor = conn.execute(f"INSERT OR IGNORE INTO main.{_q(table.name)} ({', '.join(map(_q, columns))}) "
                                  f"VALUES ({', '.join('?' for _ in columns)})", values)
            added += max(cursor.rowcount, 0)
            new_id = cursor.lastrowid
        else:
            new_id = found[0]
        if id_map is not None and old_id is not None:
            id_map[old_id] = new_id
    return added
