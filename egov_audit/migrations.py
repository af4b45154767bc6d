"""Schema migrations, applied in order and recorded in SQLite's user_version.

Add a new function at the end for every change; never edit one that has shipped,
because audit databases in researchers' hands were made by it.
"""
from __future__ import annotations

import sqlite3


def m001_crawl(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            portal TEXT NOT NULL,            -- the portal's home host, e.g. www.city.gov
            start_url TEXT NOT NULL,
            started TEXT NOT NULL,
            finished TEXT,
            status TEXT NOT NULL,            -- running | finished | interrupted | failed
            settings TEXT NOT NULL,          -- JSON: the options the run was made with
            code_version TEXT NOT NULL,
            pages_crawled INTEGER DEFAULT 0
        );
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(id),
            url TEXT NOT NULL,
            final_url TEXT,
            host TEXT,
            scope TEXT,                      -- portal | satellite | external
            discovered_via TEXT,             -- start | link | sitemap | robots
            status INTEGER,                  -- HTTP status; NULL when no response
            content_type TEXT,
            kind TEXT,                       -- html | pdf | data | sitemap | robots | other
            size INTEGER,                    -- bytes received (or Content-Length when not downloaded)
            depth INTEGER,                   -- link hops at discovery
            click_depth INTEGER,             -- shortest click path from the home page (computed after the crawl)
            rendered INTEGER DEFAULT 0,      -- 1 when a browser rendered it
            needs_render INTEGER DEFAULT 0,  -- raw HTML was an application shell
            title TEXT,
            lang TEXT,
            text_length INTEGER,
            raw_hash TEXT,                   -- snapshot of the bytes from the wire
            rendered_hash TEXT,              -- snapshot of the rendered DOM
            screenshot_hash TEXT,
            text_hash TEXT,                  -- extracted text (PDF)
            fetched_at TEXT,
            error_kind TEXT,                 -- timeout | dns | tls | connection | http | too_large | redirect | soft_404 | decode | …
            error TEXT,                      -- a sentence a person can read
            UNIQUE (run_id, url)
        );
        CREATE TABLE links (
            run_id TEXT NOT NULL,
            from_url TEXT NOT NULL,
            to_url TEXT NOT NULL,
            anchor TEXT,
            position TEXT,                   -- navigation | header | footer | body | sitemap
            target_scope TEXT,               -- portal | satellite | external
            rel TEXT,
            UNIQUE (run_id, from_url, to_url, anchor)
        );
        CREATE INDEX links_to ON links (run_id, to_url);
        CREATE TABLE skipped (
            run_id TEXT NOT NULL,
            url TEXT NOT NULL,
            reason TEXT NOT NULL,            -- robots.txt | budget | depth
            detail TEXT,
            UNIQUE (run_id, url)
        );
        CREATE TABLE snapshots (
            hash TEXT PRIMARY KEY,           -- sha256 of the original bytes
            kind TEXT NOT NULL,              -- raw | rendered | screenshot | text
            path TEXT NOT NULL,              -- relative to the snapshot folder beside the DB
            size INTEGER,
            stored_size INTEGER
        );
        """
    )


MIGRATIONS = [m001_crawl]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; returns the version now in force."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
        with conn:
            migration(conn)
            conn.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)
