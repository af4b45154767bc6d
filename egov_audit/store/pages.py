"""The crawl's tables: pages (with their snapshots), links and skipped URLs.

A page's snapshot files are written before its rows, and its rows in one transaction, so a killed
crawl leaves whole pages or none.
"""
from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field

from egov_audit.store.records import Record
from egov_audit.store.util import now_iso

PAGE_COLUMNS = (
    "url", "final_url", "host", "scope", "discovered_via", "status", "content_type", "kind", "size",
    "depth", "rendered", "needs_render", "title", "lang", "text_length", "raw_hash", "rendered_hash",
    "screenshot_hash", "text_hash", "fetched_at", "error_kind", "error", "headers",
    "warc_file", "warc_record_id", "warc_rendered_id",
)
_INSERT_PAGE = (f"INSERT OR IGNORE INTO pages (run_id, {', '.join(PAGE_COLUMNS)}) "
                f"VALUES (?, {', '.join('?' for _ in PAGE_COLUMNS)})")


@dataclass
class ResumeState:
    """What an interrupted run already holds, so the spider neither refetches nor duplicates."""
    fetched: dict[str, int] = field(default_factory=dict)          # url → discovery depth
    scopes: dict[str, str] = field(default_factory=dict)           # url → scope kind
    pending_links: list[tuple] = field(default_factory=list)       # (from_url, to_url, anchor, position, from_depth, from_scope)
    unrendered: list[tuple[str, int]] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)


@dataclass
class PageError(Record):
    url: str
    status: int | None
    error_kind: str
    error: str | None


@dataclass
class PageListed(Record):
    url: str
    title: str | None
    kind: str | None
    status: int | None
    click_depth: int | None
    rendered: int | None
    scope: str | None


@dataclass
class Skip(Record):
    url: str
    reason: str
    detail: str | None


@dataclass
class ReplayPage(Record):
    url: str
    final_url: str | None
    title: str | None
    scope: str | None
    click_depth: int | None


@dataclass
class HostCount(Record):
    host: str
    scope: str | None
    pages: int


class PagesTable:
    """Mixed into Store: every statement on `pages`, `links`, `skipped` and `snapshots`."""

    # ---- writing (the crawl) ----------------------------------------------------------------------------
    def _snapshot(self, data: bytes | None, kind: str, compressed: bool = True) -> str | None:
        if not data:
            return None
        digest, rel, stored = self.snapshots.put(data, compressed)
        self.conn.execute("INSERT OR IGNORE INTO snapshots (hash, kind, path, size, stored_size) VALUES (?, ?, ?, ?, ?)",
                          (digest, kind, rel, len(data), stored))
        return digest

    def save_page(self, run_id: str, page: dict) -> None:
        """Store one fetched (or failed) page with its snapshots and links, as one transaction."""
        with self.conn:
            row = dict(page)
            row["raw_hash"] = self._snapshot(page.get("raw_body"), "raw")
            row["rendered_hash"] = self._snapshot(page.get("rendered_body"), "rendered")
            row["screenshot_hash"] = self._snapshot(page.get("screenshot"), "screenshot", compressed=False)
            row["text_hash"] = self._snapshot(page.get("text_body"), "text")
            exists = self.conn.execute("SELECT 1 FROM pages WHERE run_id = ? AND url = ?",
                                       (run_id, page["url"])).fetchone()
            if exists and page.get("rendered"):
                self._merge_render(run_id, row)
            else:
                self.conn.execute(_INSERT_PAGE, (run_id, *(row.get(c) for c in PAGE_COLUMNS)))
            links = page.get("links") or ()
            if links:
                self.conn.executemany(
                    "INSERT OR IGNORE INTO links (run_id, from_url, to_url, anchor, position, target_scope, rel) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(run_id, page["url"], l["url"], l["anchor"], l["position"], l["scope"], l.get("rel", ""))
                     for l in links])

    def _merge_render(self, run_id: str, row: dict) -> None:
        """A rendered DOM completes the raw fetch of the same URL; the text of the render wins."""
        self.conn.execute(
            "UPDATE pages SET rendered = 1, needs_render = 0, rendered_hash = ?, "
            "screenshot_hash = COALESCE(?, screenshot_hash), title = COALESCE(NULLIF(?, ''), title), "
            "lang = COALESCE(NULLIF(?, ''), lang), text_length = MAX(COALESCE(text_length, 0), COALESCE(?, 0)), "
            "error_kind = CASE WHEN ? IS NOT NULL THEN ? ELSE error_kind END, "
            "error = CASE WHEN ? IS NOT NULL THEN ? ELSE error END, "
            "warc_rendered_id = COALESCE(?, warc_rendered_id), warc_file = COALESCE(warc_file, ?) "
            "WHERE run_id = ? AND url = ?",
            (row["rendered_hash"], row["screenshot_hash"], row.get("title"), row.get("lang"), row.get("text_length"),
             row.get("error_kind"), row.get("error_kind"), row.get("error"), row.get("error"),
             row.get("warc_rendered_id"), row.get("warc_file"), run_id, row["url"]))

    def save_skip(self, run_id: str, url: str, reason: str, detail: str = "") -> None:
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO skipped (run_id, url, reason, detail) VALUES (?, ?, ?, ?)",
                              (run_id, url, reason, detail))

    def record_render_failure(self, run_id: str, url: str, message: str) -> None:
        """The browser could not render a page whose raw HTML is stored: the static page stays as fetched
        (it could be checked); the failure is kept beside it as a `render-failure` artifact."""
        with self.conn:
            stored = self.conn.execute("SELECT 1 FROM pages WHERE run_id = ? AND url = ?", (run_id, url)).fetchone()
            if stored:
                self.conn.execute("INSERT INTO artifacts (run_id, kind, url, data, created) "
                                  "VALUES (?, 'render-failure', ?, ?, ?)",
                                  (run_id, url, json.dumps({"url": url, "error": message}), now_iso()))
            else:
                self.conn.execute("INSERT OR IGNORE INTO pages (run_id, url, rendered, error_kind, error, fetched_at) "
                                  "VALUES (?, ?, 0, 'render', ?, ?)", (run_id, url, message, now_iso()))

    # ---- resume -------------------------------------------------------------------------------------------
    def resume_state(self, run_id: str) -> ResumeState:
        state = ResumeState()
        render_failed = {u for (u,) in self.conn.execute(
            "SELECT url FROM artifacts WHERE run_id = ? AND kind = 'render-failure'", (run_id,))}
        for url, depth, scope, needs_render, rendered in self.conn.execute(
                "SELECT url, depth, scope, needs_render, rendered FROM pages WHERE run_id = ?", (run_id,)):
            state.fetched[url] = depth or 0
            state.scopes[url] = scope
            if needs_render and not rendered and url not in render_failed:
                state.unrendered.append((url, depth or 0))
        state.skipped = {u for (u,) in self.conn.execute("SELECT url FROM skipped WHERE run_id = ?", (run_id,))}
        for from_url, to_url, anchor, position in self.conn.execute(
                "SELECT from_url, to_url, anchor, position FROM links WHERE run_id = ?", (run_id,)):
            if to_url not in state.fetched and to_url not in state.skipped:
                state.pending_links.append((from_url, to_url, anchor, position,
                                            state.fetched.get(from_url, 0), state.scopes.get(from_url, "portal")))
        return state

    # ---- after the crawl ----------------------------------------------------------------------------------
    def compute_click_depth(self, run_id: str, home_url: str) -> None:
        """Shortest click path from the home page over the stored links (breadth-first)."""
        graph: dict[str, list[str]] = {}
        for from_url, to_url in self.conn.execute(
                "SELECT from_url, to_url FROM links WHERE run_id = ? AND position != 'sitemap'", (run_id,)):
            graph.setdefault(from_url, []).append(to_url)
        final = dict(self.conn.execute("SELECT url, final_url FROM pages WHERE run_id = ? AND final_url IS NOT NULL "
                                       "AND final_url != url", (run_id,)).fetchall())
        depth = {home_url: 0}
        queue = deque([home_url])
        while queue:
            url = queue.popleft()
            for nxt in graph.get(url, []) + graph.get(final.get(url, ""), []):
                if nxt not in depth:
                    depth[nxt] = depth[url] + 1
                    queue.append(nxt)
        with self.conn:
            self.conn.execute("UPDATE pages SET click_depth = NULL WHERE run_id = ?", (run_id,))
            self.conn.executemany("UPDATE pages SET click_depth = ? WHERE run_id = ? AND url = ?",
                                  [(d, run_id, u) for u, d in depth.items()])

    # ---- reading --------------------------------------------------------------------------------------------
    def counts(self, run_id: str) -> dict:
        one = lambda sql: self.conn.execute(sql, (run_id,)).fetchone()[0]   # noqa: E731
        return {
            "pages": one("SELECT count(*) FROM pages WHERE run_id = ?"),
            "ok": one("SELECT count(*) FROM pages WHERE run_id = ? AND error_kind IS NULL"),
            "errors": one("SELECT count(*) FROM pages WHERE run_id = ? AND error_kind IS NOT NULL"),
            "rendered": one("SELECT count(*) FROM pages WHERE run_id = ? AND rendered = 1"),
            "links": one("SELECT count(*) FROM links WHERE run_id = ?"),
            "skipped_robots": one("SELECT count(*) FROM skipped WHERE run_id = ? AND reason = 'robots.txt'"),
            "skipped_budget": one("SELECT count(*) FROM skipped WHERE run_id = ? AND reason = 'budget'"),
            "skipped_egress": one("SELECT count(*) FROM skipped WHERE run_id = ? AND reason = 'egress'"),
            "skipped_traps": one("SELECT count(*) FROM skipped WHERE run_id = ? AND reason = 'trap'"),
            "external_pages": one("SELECT count(*) FROM pages WHERE run_id = ? AND scope = 'external'"),
            "satellite_pages": one("SELECT count(*) FROM pages WHERE run_id = ? AND scope = 'satellite'"),
        }

    def problems(self, run_id: str) -> dict:
        """Why pages could not be checked (error kind → count) and why URLs were not fetched (reason → count)."""
        errors = dict(self.conn.execute("SELECT error_kind, count(*) FROM pages WHERE run_id = ? AND error_kind "
                                        "IS NOT NULL GROUP BY 1 ORDER BY 2 DESC", (run_id,)).fetchall())
        skipped = dict(self.conn.execute("SELECT reason, count(*) FROM skipped WHERE run_id = ? GROUP BY 1 "
                                         "ORDER BY 2 DESC", (run_id,)).fetchall())
        return {"errors_by_kind": errors, "skipped_by_reason": skipped}

    def page_outcome(self, run_id: str, url: str) -> tuple | None:
        """(status, error_kind, error) of a stored page, or ('skipped', reason, detail), or None."""
        row = self.conn.execute("SELECT status, error_kind, error FROM pages WHERE run_id = ? AND url = ?",
                                (run_id, url)).fetchone()
        if row is not None:
            return tuple(row)
        row = self.conn.execute("SELECT reason, detail FROM skipped WHERE run_id = ? AND url = ?", (run_id, url)).fetchone()
        return ("skipped", row[0], row[1]) if row else None

    def page_row(self, run_id: str, url: str) -> dict | None:
        """Every column of one stored page, or None."""
        cursor = self.conn.execute("SELECT * FROM pages WHERE run_id = ? AND url = ?", (run_id, url))
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row)) if row else None

    def key_pages(self, run_id: str, home_url: str, limit: int) -> list[str]:
        """The home page's navigation targets on the portal that were fetched as HTML without error, in page order."""
        rows = self.conn.execute(
            "SELECT l.to_url FROM links l JOIN pages p ON p.run_id = l.run_id AND p.url = l.to_url "
            "WHERE l.run_id = ? AND l.from_url = ? AND l.position IN ('navigation', 'header') "
            "AND l.target_scope = 'portal' AND p.kind = 'html' AND p.error_kind IS NULL AND p.status < 400 "
            "AND l.to_url != ? ORDER BY l.rowid", (run_id, home_url, home_url)).fetchall()
        seen: list[str] = []
        for (url,) in rows:
            if url not in seen and url.split("#")[0] != home_url:
                seen.append(url)
        return seen[:limit]

    def page_count(self, run_id: str) -> int:
        return self.conn.execute("SELECT count(*) FROM pages WHERE run_id = ?", (run_id,)).fetchone()[0]

    def page_kinds(self, run_id: str) -> dict[str, int]:
        """kind (html, pdf, robots …) → pages of that kind in the run."""
        return dict(self.conn.execute("SELECT coalesce(kind, ''), count(*) FROM pages WHERE run_id = ? GROUP BY kind",
                                      (run_id,)).fetchall())

    def page_rows(self, run_id: str) -> list[dict]:
        """Every column of every page of a run: the raw material the page model parses."""
        cursor = self.conn.execute("SELECT * FROM pages WHERE run_id = ?", (run_id,))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def page_error(self, run_id: str, url: str) -> PageError | None:
        """How fetching one URL of a run went wrong, or None when it was fetched (or never tried)."""
        row = self.conn.execute("SELECT url, status, error_kind, error FROM pages WHERE run_id = ? AND url = ? "
                                "AND error_kind IS NOT NULL", (run_id, url)).fetchone()
        return PageError(*row) if row else None

    def final_url(self, run_id: str, url: str) -> str | None:
        """Where a fetched URL landed after redirects (the URL itself when it did not move)."""
        row = self.conn.execute("SELECT coalesce(final_url, url) FROM pages WHERE run_id = ? AND url = ?",
                                (run_id, url)).fetchone()
        return row[0] if row else None

    def host_counts(self, run_id: str) -> list[HostCount]:
        return [HostCount(*row) for row in self.conn.execute(
            "SELECT host, scope, count(*) FROM pages WHERE run_id = ? AND host IS NOT NULL "
            "GROUP BY host, scope ORDER BY count(*) DESC", (run_id,))]

    def error_pages(self, run_id: str, limit: int) -> list[PageError]:
        return [PageError(*row) for row in self.conn.execute(
            "SELECT url, status, error_kind, error FROM pages WHERE run_id = ? AND error_kind IS NOT NULL "
            "ORDER BY error_kind, url LIMIT ?", (run_id, limit))]

    def fetched_pages(self, run_id: str, limit: int) -> list[PageListed]:
        """Pages fetched without error, portal first, nearest to the home page first."""
        return [PageListed(*row) for row in self.conn.execute(
            "SELECT url, title, kind, status, click_depth, rendered, scope FROM pages WHERE run_id = ? "
            "AND error_kind IS NULL ORDER BY scope = 'external', click_depth IS NULL, click_depth, url LIMIT ?",
            (run_id, limit))]

    def skipped(self, run_id: str, reason: str, limit: int) -> list[Skip]:
        return [Skip(*row) for row in self.conn.execute(
            "SELECT url, reason, detail FROM skipped WHERE run_id = ? AND reason = ? LIMIT ?", (run_id, reason, limit))]

    def replay_pages(self, run_id: str, start_url: str) -> list[ReplayPage]:
        """Fetched HTML pages with a WARC record, the home page first, then in crawl order (probes left out)."""
        return [ReplayPage(*row) for row in self.conn.execute(
            "SELECT url, final_url, title, scope, click_depth FROM pages WHERE run_id = ? AND kind = 'html' "
            "AND error_kind IS NULL AND status < 400 AND (warc_record_id IS NOT NULL OR warc_rendered_id IS NOT NULL) "
            "AND COALESCE(discovered_via, '') != 'search-probe' ORDER BY url != ?, id", (run_id, start_url))]

    # ---- snapshots ------------------------------------------------------------------------------------------
    def snapshot_paths(self, run_id: str) -> dict[str, str]:
        """hash → snapshot path of every body, DOM, text and screenshot the run's pages refer to."""
        return dict(self.conn.execute(
            "SELECT s.hash, s.path FROM snapshots s JOIN pages p ON s.hash IN (p.raw_hash, p.rendered_hash, p.text_hash, "
            "p.screenshot_hash) WHERE p.run_id = ?", (run_id,)).fetchall())

    def save_snapshot(self, data: bytes | None, kind: str, compressed: bool = True) -> str | None:
        """Store bytes a post-crawl gatherer produced (an engine's screenshot); returns the content hash."""
        with self.conn:
            return self._snapshot(data, kind, compressed)

    def snapshot_bytes(self, digest: str | None) -> bytes | None:
        """The stored bytes of a snapshot hash, or None when there is none (or it cannot be read)."""
        row = self.conn.execute("SELECT path FROM snapshots WHERE hash = ?", (digest,)).fetchone() if digest else None
        if row is None:
            return None
        try:
            return self.snapshots.get(row[0])
        except OSError:
            return None

    def snapshot_path(self, reference: str) -> str | None:
        """The stored path of a snapshot named by its path or its hash; None when the table does not know it."""
        row = self.conn.execute("SELECT path FROM snapshots WHERE path = ? OR hash = ? LIMIT 1",
                                (reference, reference)).fetchone()
        return row[0] if row else None

    def screenshot_of(self, run_id: str, url: str) -> str | None:
        """The snapshot path of a page's screenshot, if it has one."""
        row = self.conn.execute("SELECT s.path FROM pages p JOIN snapshots s ON s.hash = p.screenshot_hash "
                                "WHERE p.run_id = ? AND p.url = ?", (run_id, url)).fetchone()
        return row[0] if row else None
