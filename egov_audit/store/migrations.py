"""Schema migrations, applied in order and recorded in SQLite's user_version.

Add a new function at the end for every change; never edit one that has shipped,
because audit databases in researchers' hands were made by it.
"""
from __future__ import annotations

import json
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


def m002_judging(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        ALTER TABLE pages ADD COLUMN headers TEXT;   -- JSON: the response headers checks read (HSTS, generator …)
        CREATE TABLE artifacts (                     -- raw results of crawl-time gatherers (search probe, API probes …)
            run_id TEXT NOT NULL,
            kind TEXT NOT NULL,                      -- site-search | api-probe | …
            url TEXT,
            data TEXT NOT NULL,                      -- JSON
            created TEXT NOT NULL
        );
        CREATE INDEX artifacts_run ON artifacts (run_id, kind);
        CREATE TABLE evaluations (                   -- one offline judging of a run with a set of rules
            id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(id),
            created TEXT NOT NULL,
            audit_date TEXT NOT NULL,                -- the date recency is judged against
            rules_digest TEXT NOT NULL,              -- sha256 over the rule files used
            code_version TEXT NOT NULL,
            edition TEXT NOT NULL,
            scores TEXT                              -- JSON: index, band, provisional, criteria, profiles
        );
        CREATE TABLE verdicts (
            evaluation_id TEXT NOT NULL REFERENCES evaluations(id),
            run_id TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            rule_version INTEGER NOT NULL,
            losi_code TEXT,
            osi_code TEXT,
            criterion TEXT NOT NULL,
            automation TEXT NOT NULL,
            outcome TEXT NOT NULL,                   -- pass | fail | review | not_applicable | error | manual
            confidence TEXT,                         -- high | medium | low
            reason TEXT,                             -- a sentence: why this outcome
            evidence TEXT NOT NULL,                  -- JSON list (≤5): url, excerpt, selector, click_depth, snapshot, screenshot
            searched TEXT,                           -- JSON: pages considered, languages, patterns tried
            UNIQUE (evaluation_id, rule_id)
        );
        CREATE INDEX verdicts_run ON verdicts (run_id, rule_id);
        """
    )


def m003_batches(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE batches (                       -- one `egov-audit batch` / `monitor` over a targets file
            id TEXT PRIMARY KEY,                     -- digest of the targets and options: re-running resumes it
            targets_file TEXT NOT NULL,
            created TEXT NOT NULL,
            finished TEXT,
            settings TEXT NOT NULL                   -- JSON: the audit options every target gets
        );
        CREATE TABLE batch_targets (
            batch_id TEXT NOT NULL REFERENCES batches(id),
            position INTEGER NOT NULL,               -- row in the targets file
            name TEXT NOT NULL,
            country TEXT,
            url TEXT NOT NULL,
            level TEXT,                              -- city | national
            languages TEXT,
            extra_hosts TEXT,                        -- space-separated hosts that belong to the portal
            status TEXT NOT NULL,                    -- pending | running | ok | partial | error
            reason TEXT,                             -- why partial or error, in a sentence
            run_id TEXT,
            started TEXT,
            finished TEXT,
            seconds REAL,
            UNIQUE (batch_id, position)
        );
        CREATE INDEX batch_targets_url ON batch_targets (url);
        """
    )


def m004_warc(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        ALTER TABLE pages ADD COLUMN warc_file TEXT;         -- WARC file in <db stem>.warc/ holding warc_record_id
        ALTER TABLE pages ADD COLUMN warc_record_id TEXT;    -- WARC-Record-ID of the response record (after redirects)
        ALTER TABLE pages ADD COLUMN warc_rendered_id TEXT;  -- WARC-Record-ID of the resource record of the rendered DOM
        """
    )


def m005_reviews(conn: sqlite3.Connection) -> None:
    """The assessor's workbench: people's answers beside (never over) the machine's verdicts."""
    conn.executescript(
        """
        CREATE TABLE answers (                       -- every answer an assessor gave; a later one supersedes
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(id),
            rule_id TEXT NOT NULL,
            assessor TEXT NOT NULL,
            answer TEXT NOT NULL,                    -- yes | no | not_applicable
            note TEXT,
            evidence_url TEXT,                       -- the assessor's own evidence, optional
            answered_at TEXT NOT NULL,
            evaluation_id TEXT,                      -- the evaluation whose verdict was answered
            verdict_outcome TEXT,                    -- that verdict's outcome and confidence, as the assessor saw them
            verdict_confidence TEXT,
            source TEXT NOT NULL                     -- app | import:<file name>
        );
        CREATE INDEX answers_run ON answers (run_id, rule_id, assessor);
        CREATE TABLE final_answers (                 -- the reconciled answer of two assessors' disagreement
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(id),
            rule_id TEXT NOT NULL,
            answer TEXT NOT NULL,                    -- yes | no | not_applicable
            note TEXT,
            reconciled_by TEXT NOT NULL,
            decided_at TEXT NOT NULL
        );
        CREATE INDEX final_answers_run ON final_answers (run_id, rule_id);
        """
    )


def m006_codes_per_edition(conn: sqlite3.Connection) -> None:
    """A verdict's UN codes per edition in one JSON column (code system → code), so an edition is data.

    The columns m002 gave each code system are read into `codes` and dropped. Which old column held
    which code system is data too: the `column` of each code system in rules/editions.yaml.
    """
    from egov_audit.editions import code_columns
    conn.execute("ALTER TABLE verdicts ADD COLUMN codes TEXT NOT NULL DEFAULT '{}'")  # JSON: {code system: code}
    present = {row[1] for row in conn.execute("PRAGMA table_info(verdicts)")}
    legacy = {column: code for code, column in code_columns().items() if column in present}
    if not legacy:
        return
    rows = conn.execute(f"SELECT rowid, {', '.join(legacy)} FROM verdicts").fetchall()
    conn.executemany("UPDATE verdicts SET codes = ? WHERE rowid = ?", [
        (json.dumps({code: value for code, value in zip(legacy.values(), values) if value}, sort_keys=True), rowid)
        for rowid, *values in rows])
    for column in legacy:
        conn.execute(f"ALTER TABLE verdicts DROP COLUMN {column}")


MIGRATIONS = [m001_crawl, m002_judging, m003_batches, m004_warc, m005_reviews, m006_codes_per_edition]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; returns the version now in force."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
        with conn:
            migration(conn)
            conn.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)
