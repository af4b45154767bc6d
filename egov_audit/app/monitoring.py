"""Scheduled monitoring: after a batch, compare each portal with its previous run and decide whether to alert.

The summary is one JSON document (printed, and POSTed to a webhook when asked) so a chat bot, an
issue tracker or a dashboard can take it as it is.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from egov_audit.app.history import HistoryError, diff_runs, judged_runs
from egov_audit.store.db import Store, now_iso

EXIT_OK, EXIT_REGRESSION, EXIT_UNCHECKED = 0, 1, 3


@dataclass
class Thresholds:
    max_regressions: int = 0          # more indicators lost than this → alert
    max_score_drop: float | None = None  # a larger index drop → alert, even without a lost indicator


def portal_summary(store: Store, state, thresholds: Thresholds) -> dict:
    """One portal's line in the summary: its status, and the diff against its previous judged run."""
    item = {"name": state.row.name, "country": state.row.country, "url": state.row.url, "status": state.status,
            "reason": state.reason, "run_id": state.run_id, "previous_run_id": None, "index": None,
            "previous_index": None, "score_change": None, "lost": [], "gained": [], "unchecked": [],
            "warnings": [], "alert": False}
    if state.status not in ("ok", "partial") or not state.run_id:
        return item
    runs = judged_runs(store, state.row.url)
    ids = [r.id for r in runs]
    if state.run_id not in ids:
        return item
    previous = ids[:ids.index(state.run_id)]
    if not previous:
        item["warnings"].append("first judged run of this portal: nothing to compare with yet")
        evaluation = store.latest_evaluation(state.run_id)
        item["index"] = evaluation.scores.get("index") if evaluation else None
        return item
    try:
        d = diff_runs(store, previous[-1], state.run_id)
    except HistoryError as exc:
        item["warnings"].append(str(exc))
        return item
    brief = lambda changes: [{"id": c.rule_id, "code": c.code, "title": c.title, "before": c.before,  # noqa: E731
                              "after": c.after, "reason": c.reason} for c in changes]
    item.update(previous_run_id=d.before_run, index=d.score_after, previous_index=d.score_before,
                score_change=d.score_change, lost=brief(d.lost), gained=brief(d.gained),
                unchecked=brief(d.unchecked), warnings=d.warnings)
    drop = -(d.score_change or 0)
    item["alert"] = (d.regressions > thresholds.max_regressions
                     or (thresholds.max_score_drop is not None and drop > thresholds.max_score_drop))
    return item


def build_summary(store: Store, batch_result, thresholds: Thresholds) -> dict:
    portals = [portal_summary(store, s, thresholds) for s in batch_result.targets]
    counts: dict[str, int] = {}
    for p in portals:
        counts[p["status"]] = counts.get(p["status"], 0) + 1
    alerts = [p for p in portals if p["alert"]]
    unchecked = [p for p in portals if p["status"] == "error"]
    exit_code = EXIT_REGRESSION if alerts else EXIT_UNCHECKED if unchecked else EXIT_OK
    return {"kind": "egov-audit.monitor", "version": 1, "batch_id": batch_result.batch_id, "finished": now_iso(),
            "seconds": batch_result.seconds, "thresholds": {"max_regressions": thresholds.max_regressions,
                                                           "max_score_drop": thresholds.max_score_drop},
            "totals": {"portals": len(portals), **counts, "alerts": len(alerts),
                       "indicators_lost": sum(len(p["lost"]) for p in portals),
                       "indicators_gained": sum(len(p["gained"]) for p in portals)},
            "exit_code": exit_code, "portals": portals}


def format_summary(summary: dict) -> str:
    t = summary["totals"]
    lines = [f"monitor {summary['batch_id']}: {t['portals']} portals, {t['alerts']} with alerts, "
             f"{t['indicators_lost']} indicators lost, {t['indicators_gained']} gained"]
    for p in summary["portals"]:
        score = "" if p["index"] is None else f" index {p['index']:.2f}"
        if p["score_change"] is not None:
            score += f" ({p['score_change']:+.2f})"
        mark = "ALERT " if p["alert"] else ""
        lines.append(f"  {mark}{p['name']}: {p['status']}{score}" + (f" — {p['reason']}" if p["reason"] else ""))
        for c in p["lost"]:
            lines.append(f"    lost {c['code']} {c['id']}: {c['before']} → {c['after']}")
        for c in p["gained"]:
            lines.append(f"    gained {c['code']} {c['id']}")
        for w in p["warnings"]:
            lines.append(f"    warning: {w}")
    return "\n".join(lines)


def post_webhook(url: str, summary: dict, timeout: float = 15) -> str | None:
    """POST the summary as JSON; returns None on success or a sentence saying what went wrong."""
    body = json.dumps(summary, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "egov-audit monitor"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status >= 300:
                return f"the webhook answered HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"the webhook answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"the webhook could not be reached: {getattr(exc, 'reason', exc)}"
    return None
