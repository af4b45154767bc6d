"""The store is the one door to the database: no module outside egov_audit/store/ writes SQL or reaches
for the connection. (Datasette's canned queries are Datasette's and stay SQL.)"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("egov_audit", "crawler", "checks", "reports", "bench")
ALLOWED = ("egov_audit/store/", "egov_audit/app/datasette_metadata.py")
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|WITH)\b[\s\S]*"
                 r"\b(FROM|INTO|SET|TABLE|INDEX|VALUES|user_version|AS)\b")
DRIVERS = ("sqlite3", "sqlite_utils")


def door_violations(path: Path, source: str | None = None) -> list[str]:
    """Where a module writes SQL, imports a SQLite driver or touches a store's connection."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] in DRIVERS for a in node.names):
            found.append(f"{where}: imports a SQLite driver")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in DRIVERS:
            found.append(f"{where}: imports a SQLite driver")
        elif isinstance(node, ast.Attribute) and node.attr == "conn":
            found.append(f"{where}: reaches a connection (.conn)")
        elif isinstance(node, ast.Attribute) and node.attr == "db" and "store" in ast.unparse(node.value):
            found.append(f"{where}: reaches the store's database (.db)")
        elif isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany", "executescript"):
            found.append(f"{where}: executes SQL (.{node.attr})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{where}: SQL text {node.value[:40]!r}")
    return found


def test_no_sql_outside_the_store():
    problems = []
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(ALLOWED):
                problems += door_violations(path.relative_to(ROOT))
    assert problems == []


def test_the_rule_catches_each_way_round_the_door():
    bad = ("import sqlite3\n"
           "from sqlite_utils.db import Database\n"
           "rows = store.conn.execute('SELECT id FROM runs').fetchall()\n"
           "table = store.db['runs']\n"
           "cursor.executemany(sql, [])\n"
           "query = f\"UPDATE pages SET title = ? WHERE url = {url}\"\n")
    found = door_violations(Path("bad.py"), bad)
    assert sum("imports a SQLite driver" in f for f in found) == 2
    assert any("reaches a connection" in f for f in found)
    assert any("reaches the store's database" in f for f in found)
    assert any(".execute)" in f for f in found) and any(".executemany)" in f for f in found)
    # the plain SELECT, and the f-string (its literal head is a constant of its own)
    assert {f.split(": ", 1)[1] for f in found if "SQL text" in f} == {
        "SQL text 'SELECT id FROM runs'", "SQL text 'UPDATE pages SET title = ? WHERE url = '"}


def test_prose_is_not_sql():
    fine = ('doc = "Select the newest run from the list"\n'
            'help = "UPDATE notes are in the changelog"\n'
            'options.db = "audit.db"\n')
    assert door_violations(Path("fine.py"), fine) == []
