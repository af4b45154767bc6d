"""Datasette metadata for an audit database: what each table and column means, and canned queries.

`egov-audit serve` writes this as the `--metadata` JSON. Column meanings follow egov_audit/store/migrations.py;
the queries read SQLite 3.35+ (window functions, json_extract) and pick, per run, its newest
evaluation and, per portal, its newest judged run, so a DB with many runs of many portals is ranked right.
A verdict's codes are one JSON column (code system → code); the queries show each code system of
rules/editions.yaml as its own column, named as in the CSV exports.
"""
from __future__ import annotations

from egov_audit.outcomes import Confidence, Outcome
from egov_audit.editions import code_columns, code_systems, default_edition, primary_code

# json_extract(v.codes, '$.<code system>') AS <column>, for every code system, primary first
_CODES = {code: f"json_extract(v.codes, '$.{code}')" for code in code_systems()}
_CODE_COLUMNS = ", ".join(f"{expression} AS {code_columns()[code]}" for code, expression in _CODES.items())
_BY_PRIMARY_CODE = f"{_CODES[primary_code()]} IS NULL, {_CODES[primary_code()]}"

TABLES = {
    "runs": ("One crawl run of a portal (a run can be interrupted and resumed).", {
        "id": "run id: UTC start time and a random suffix",
        "portal": "the portal's home host, e.g. www.city.gov",
        "start_url": "the home page the crawl started from",
        "started": "when the run started (UTC, ISO 8601)",
        "finished": "when it last stopped (finished, interrupted or failed)",
        "status": "running | finished | interrupted | failed",
        "settings": "JSON: the options the run was made with (budgets, render mode …)",
        "code_version": "egov-audit version and git commit that crawled",
        "pages_crawled": "pages stored for this run",
    }),
    "pages": ("One fetched URL of a run: what came back, where it sits, and where its bodies are stored.", {
        "run_id": "the run (runs.id)",
        "url": "the URL requested",
        "final_url": "the URL after redirects",
        "host": "host of the final URL",
        "scope": "portal | satellite (an official host linked from the portal) | external (outbound landing page)",
        "discovered_via": "start | link | sitemap | robots | search-probe | data-api",
        "status": "HTTP status; empty when no response came",
        "content_type": "media type of the response",
        "kind": "html | pdf | data | sitemap | robots | other",
        "size": "bytes received (or Content-Length when the body was not downloaded)",
        "depth": "link hops at discovery",
        "click_depth": "shortest click path from the home page (computed after the crawl)",
        "rendered": "1 when Chromium rendered the page",
        "needs_render": "1 when the raw HTML was an application shell",
        "title": "page title (or PDF title)",
        "lang": "declared language",
        "text_length": "characters of visible text",
        "raw_hash": "snapshot (sha256) of the bytes from the wire",
        "rendered_hash": "snapshot of the rendered DOM",
        "screenshot_hash": "snapshot of the PNG screenshot",
        "text_hash": "snapshot of the extracted text (PDF)",
        "fetched_at": "when it was fetched (UTC)",
        "error_kind": "timeout | dns | tls | connection | http | too_large | redirect | soft_404 | decode | render …",
        "error": "what went wrong, in a sentence",
        "headers": "JSON: the response headers checks read (HSTS, generator, cookies' names …)",
        "warc_file": "WARC file in <db stem>.warc/ holding warc_record_id",
        "warc_record_id": "WARC-Record-ID of the response record (the final one, after redirects)",
        "warc_rendered_id": "WARC-Record-ID of the resource record of the rendered DOM",
    }),
    "links": ("One link seen on a page (or a sitemap entry).", {
        "run_id": "the run", "from_url": "page the link is on", "to_url": "where it points",
        "anchor": "anchor text", "position": "navigation | header | footer | body | sitemap",
        "target_scope": "portal | satellite | external", "rel": "rel attribute",
    }),
    "skipped": ("A URL the crawl did not fetch, and why.", {
        "run_id": "the run", "url": "the URL", "reason": "robots.txt | budget | loopback-only | depth",
        "detail": "more detail",
    }),
    "snapshots": ("A stored body, content-addressed (gzip; screenshots as PNG) in <db stem>.snapshots/.", {
        "hash": "sha256 of the original bytes", "kind": "raw | rendered | screenshot | text",
        "path": "file path relative to the snapshot folder", "size": "original bytes",
        "stored_size": "bytes on disk",
    }),
    "artifacts": ("Raw result of a crawl-time gatherer (site search probe, catalogue API probe, axe-core scan), judged later.", {
        "run_id": "the run", "kind": "site-search | data-api | axe | markup-validation | css-validation | browser-compat | gather-cost", "url": "URL it concerns",
        "data": "JSON: the gatherer's raw result", "created": "when it was stored",
    }),
    "evaluations": ("One offline judging of a run with a set of rules (a run can be judged many times).", {
        "id": "evaluation id", "run_id": "the run judged", "created": "when it was judged",
        "audit_date": "the date recency is judged against", "rules_digest": "sha256 over the rule files used",
        "code_version": "egov-audit version that judged", "edition": f"scoring edition ({default_edition()} …)",
        "scores": "JSON: index, upper_bound, band, provisional, criteria, profiles",
    }),
    "verdicts": ("One rule's verdict in one evaluation, with its evidence.", {
        "evaluation_id": "the evaluation", "run_id": "the run", "rule_id": "rule file id",
        "rule_version": "rule version used",
        "codes": "JSON: the rule's code per code system — " + "; ".join(
            f"{code}: {system['description']}" for code, system in code_systems().items()),
        "criterion": "LOSI criterion",
        "automation": "automatic | assisted | manual",
        "outcome": " | ".join(o.value for o in Outcome),
        "confidence": " | ".join(c.value for c in reversed(Confidence)), "reason": "why this outcome, in a sentence",
        "evidence": "JSON list (≤5): url, excerpt, selector, click_depth, snapshot, screenshot, warc_record_id",
        "searched": "JSON: pages considered, languages, checks and patterns tried",
    }),
    "batches": ("One batch audit of a targets file.", {
        "id": "batch id", "targets_file": "the targets file", "created": "when it started",
        "finished": "when it finished", "settings": "JSON: the audit options every target gets",
    }),
    "batch_targets": ("One portal of a batch and how its audit went.", {
        "batch_id": "the batch", "position": "row in the targets file", "name": "portal name",
        "country": "country", "url": "home page", "level": "city | national", "languages": "languages",
        "extra_hosts": "space-separated hosts that belong to the portal",
        "status": "pending | running | ok | partial | error", "reason": "why partial or error",
        "run_id": "the run it produced", "started": "started", "finished": "finished", "seconds": "duration",
    }),
    "answers": ("One answer of an assessor to a verdict (egov-audit review); the newest per assessor and item counts.", {
        "run_id": "the run", "rule_id": "the indicator's rule", "assessor": "who answered",
        "answer": "yes | no | not_applicable", "note": "the assessor's note", "evidence_url": "the assessor's own evidence",
        "answered_at": "when (UTC)", "evaluation_id": "the evaluation whose verdict was answered",
        "verdict_outcome": "that verdict's outcome", "verdict_confidence": "that verdict's confidence",
        "source": "app, or import:<questionnaire file>",
    }),
    "final_answers": ("The reconciled answer to two assessors' disagreement (agreements need no row).", {
        "run_id": "the run", "rule_id": "the indicator's rule", "answer": "yes | no | not_applicable",
        "note": "why", "reconciled_by": "who reconciled", "decided_at": "when (UTC)",
    }),
}

# per run, its newest evaluation (ties on the second: the later row)
_LATEST_EVALUATION = """latest_evaluation AS (
  SELECT e.*, r.portal, r.started AS run_started, r.rowid AS run_rowid,
         row_number() OVER (PARTITION BY e.run_id ORDER BY e.created DESC, e.rowid DESC) AS nth
  FROM evaluations e JOIN runs r ON r.id = e.run_id
)"""
# per portal, its judged runs newest first (age 1 = latest, 2 = the one before)
_JUDGED_RUNS = _LATEST_EVALUATION + """,
judged_run AS (
  SELECT *, row_number() OVER (PARTITION BY portal ORDER BY run_started DESC, run_rowid DESC) AS age
  FROM latest_evaluation WHERE nth = 1
)"""

QUERIES = {
    "score_ranking": {
        "title": "Score ranking",
        "description": "Each portal's newest judged run and its LOSI index, band and upper bound, best first.",
        "sql": f"""WITH {_JUDGED_RUNS}
SELECT portal, run_id, id AS evaluation_id, audit_date, edition,
       json_extract(scores, '$.index') AS "index",
       json_extract(scores, '$.band') AS band,
       json_extract(scores, '$.upper_bound') AS upper_bound,
       json_extract(scores, '$.provisional') AS provisional
FROM judged_run WHERE age = 1
ORDER BY "index" DESC NULLS LAST, portal""",
    },
    "missing_indicators": {
        "title": "Indicators missing per portal",
        "description": "Verdicts fail, review or error in each run's newest evaluation (portal: leave empty for all).",
        "sql": f"""WITH {_LATEST_EVALUATION}
SELECT le.portal, le.run_id, {_CODE_COLUMNS}, v.rule_id, v.criterion, v.outcome, v.confidence, v.reason
FROM latest_evaluation le JOIN verdicts v ON v.evaluation_id = le.id
WHERE le.nth = 1 AND v.outcome IN ('fail', 'review', 'error')
  AND (:portal = '' OR le.portal = :portal)
ORDER BY le.portal, le.run_started DESC, {_BY_PRIMARY_CODE}, v.rule_id""",
    },
    "regressions": {
        "title": "Regressions",
        "description": "Indicators that passed in a portal's previous judged run and do not pass in its latest.",
        "sql": f"""WITH {_JUDGED_RUNS}
SELECT cur.portal, {_CODE_COLUMNS}, v.rule_id, pv.outcome AS previous_outcome, v.outcome AS latest_outcome,
       prev.run_id AS previous_run, cur.run_id AS latest_run, v.reason
FROM judged_run cur
JOIN judged_run prev ON prev.portal = cur.portal AND prev.age = 2
JOIN verdicts v ON v.evaluation_id = cur.id
JOIN verdicts pv ON pv.evaluation_id = prev.id AND pv.rule_id = v.rule_id
WHERE cur.age = 1 AND pv.outcome = 'pass' AND v.outcome != 'pass'
ORDER BY cur.portal, {_BY_PRIMARY_CODE}, v.rule_id""",
    },
    "errors_per_run": {
        "title": "Errors per run",
        "description": "Pages with an error, per run and kind of error, with an example URL.",
        "sql": """SELECT p.run_id, r.portal, r.started, p.error_kind, count(*) AS pages, min(p.url) AS example_url
FROM pages p JOIN runs r ON r.id = p.run_id
WHERE p.error_kind IS NOT NULL
GROUP BY p.run_id, p.error_kind
ORDER BY r.started DESC, pages DESC, p.error_kind""",
    },
    "pages_by_click_depth": {
        "title": "Pages by click depth",
        "description": "How many clicks from the home page each run's pages are (empty: not reachable by clicks).",
        "sql": """SELECT p.run_id, r.portal, p.click_depth, count(*) AS pages,
       sum(p.scope = 'portal') AS portal_pages, sum(p.error_kind IS NULL) AS without_error
FROM pages p JOIN runs r ON r.id = p.run_id
GROUP BY p.run_id, p.click_depth
ORDER BY r.started DESC, p.click_depth IS NULL, p.click_depth""",
    },
}


def metadata(database: str) -> dict:
    """Datasette metadata for one audit DB served under the name `database` (the file's stem)."""
    return {
        "title": "egov-audit",
        "description": ("Audits of government web portals against the UN DESA LOSI 2024 and OSI e-participation "
                        "indicators: crawled pages, links, verdicts with evidence, and scores."),
        "source": "egov-audit",
        "databases": {database: {
            "description": "One egov-audit database: any number of crawl runs and their evaluations.",
            "tables": {name: {"description": description, "columns": columns}
                       for name, (description, columns) in TABLES.items()},
            "queries": QUERIES,
        }},
    }
