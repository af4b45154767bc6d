"""A self-contained HTML report of one run (inline CSS, screenshot embedded; no network needed to view it)."""
from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from egov_audit.store import Store

TEMPLATES = Path(__file__).parent / "templates"
MAX_ROWS = 200


def _environment() -> Environment:
    # autoescape everywhere: titles, URLs and excerpts come from pages we do not control
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))


def _safe_href(url: str | None) -> str:
    """Only http(s) URLs become links; a javascript: URL from a hostile page stays text."""
    return url if url and url.lower().startswith(("http://", "https://")) else "#"


def render_report(store: Store, document: dict) -> str:
    run_id = document["run_id"]
    rows = lambda sql: [dict(zip([d[0] for d in cur.description], r)) for cur in [store.conn.execute(sql, (run_id,))] for r in cur.fetchall()]  # noqa: E731
    errors = rows("SELECT url, status, error_kind, error FROM pages WHERE run_id = ? AND error_kind IS NOT NULL "
                  f"ORDER BY error_kind, url LIMIT {MAX_ROWS}")
    skipped = rows(f"SELECT url, reason, detail FROM skipped WHERE run_id = ? AND reason = 'robots.txt' LIMIT {MAX_ROWS}")
    pages = rows("SELECT url, title, kind, status, click_depth, rendered, scope FROM pages WHERE run_id = ? "
                 f"AND error_kind IS NULL ORDER BY scope = 'external', click_depth IS NULL, click_depth, url LIMIT {MAX_ROWS}")
    screenshot = None
    shot_path = document["crawl"].get("home_screenshot")
    if shot_path:
        screenshot = "data:image/png;base64," + base64.b64encode(store.snapshots.get(shot_path)).decode("ascii")
    template = _environment().get_template("report.html.j2")
    return template.render(doc=document, errors=errors, skipped=skipped, pages=pages, screenshot=screenshot,
                           href=_safe_href, max_rows=MAX_ROWS)


def write_report(store: Store, document: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(store, document), encoding="utf-8")
    return path
