"""Compare two judged runs of a portal: what was gained, lost or changed, and why a change may be misleading.

Every run is kept, so history is a query. The comparison uses each run's newest evaluation. Warnings
name what changed besides the portal (its address, the host it redirects to, how much was crawled,
the rule versions) so a drop caused by a smaller crawl or a stricter rule is not read as the city's.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from urllib.parse import urlsplit

from egov_audit.editions import display_code
from egov_audit.outcomes import Outcome
from egov_audit.store.db import Store
from egov_audit.store.evaluations import StoredVerdict
from egov_audit.store.runs import Run

PAGE_CHANGE_WARNING = 0.25        # a crawl 25 % larger or smaller is worth a warning


@dataclass
class Change:
    rule_id: str
    code: str
    title: str
    before: str | None
    after: str | None
    confidence_before: str | None = None
    confidence_after: str | None = None
    reason: str = ""
    decided_by_before: str = "machine"     # machine | assessors (their final answer replaced the verdict)
    decided_by_after: str = "machine"


@dataclass
class RunDiff:
    portal: str
    before_run: str
    after_run: str
    score_before: float | None
    score_after: float | None
    band_before: str | None
    band_after: str | None
    gained: list[Change] = field(default_factory=list)      # now met, not met before
    lost: list[Change] = field(default_factory=list)        # met before, now fail or review: regressions
    unchecked: list[Change] = field(default_factory=list)   # met before, now error: could not be checked
    changed: list[Change] = field(default_factory=list)     # other outcome or confidence changes
    warnings: list[str] = field(default_factory=list)

    @property
    def score_change(self) -> float | None:
        if self.score_before is None or self.score_after is None:
            return None
        return round(self.score_after - self.score_before, 4)

    @property
    def regressions(self) -> int:
        return len(self.lost)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["score_change"] = self.score_change
        data["regressions"] = self.regressions
        return data


class HistoryError(LookupError):
    pass


def judged_runs(store: Store, portal: str | None = None) -> list[Run]:
    """Runs with at least one evaluation, oldest first; ``portal`` matches the host or the start URL."""
    return store.judged_runs(portal)


def pick_runs(store: Store, portal: str | None, before: str | None = None, after: str | None = None) -> tuple[str, str]:
    """(older, newer) run ids: as given, or the newer's predecessor, or the portal's last two judged runs."""
    if before and after:
        return before, after
    if after:
        run = store.run(after)
        runs = [r for r in judged_runs(store, run.start_url) if r.started < run.started]
        if not runs:
            raise HistoryError(f"no judged run of {run.start_url} before {after}")
        return runs[-1].id, after
    runs = judged_runs(store, portal)
    starts = sorted({r.start_url for r in runs})
    if len(starts) > 1:
        raise HistoryError(f"this database holds several portals; name one with --portal ({', '.join(starts)})")
    if len(runs) < 2:
        raise HistoryError(f"need two judged runs of {portal or 'the portal'} to compare; found {len(runs)}")
    return runs[-2].id, runs[-1].id


def _final_host(store: Store, run: Run) -> str | None:
    url = store.final_url(run.id, run.start_url)
    return urlsplit(url).hostname if url else None


def diff_runs(store: Store, before_id: str, after_id: str) -> RunDiff:
    before_run, after_run = store.run(before_id), store.run(after_id)
    eval_before, eval_after = store.latest_evaluation(before_id), store.latest_evaluation(after_id)
    if eval_before is None or eval_after is None:
        missing = before_id if eval_before is None else after_id
        raise HistoryError(f"run {missing} has not been judged (run `egov-audit evaluate --run {missing}`)")
    from egov_audit.judge.rules import rule_titles
    titles = rule_titles()
    verdicts_before, decided_before, scores_before = _with_final_answers(store, before_id, eval_before.id)
    verdicts_after, decided_after, scores_after = _with_final_answers(store, after_id, eval_after.id)
    result = RunDiff(portal=after_run.portal, before_run=before_id, after_run=after_id,
                     score_before=scores_before.get("index"), score_after=scores_after.get("index"),
                     band_before=scores_before.get("band"), band_after=scores_after.get("band"))
    old = {v.rule_id: v for v in verdicts_before}
    new = {v.rule_id: v for v in verdicts_after}
    for rule_id in sorted(set(old) | set(new)):
        a, b = old.get(rule_id), new.get(rule_id)
        ref = b or a
        change = Change(rule_id=rule_id, code=display_code(ref.codes), title=titles.get(rule_id, rule_id),
                        before=a and a.outcome, after=b and b.outcome,
                        confidence_before=a and a.confidence, confidence_after=b and b.confidence,
                        reason=(b and b.reason) or "",
                        decided_by_before="assessors" if a and rule_id in decided_before else "machine",
                        decided_by_after="assessors" if b and rule_id in decided_after else "machine")
        if a is None or b is None:
            result.changed.append(change)
        elif a.outcome != Outcome.PASS and b.outcome == Outcome.PASS:
            result.gained.append(change)
        elif a.outcome == Outcome.PASS and b.outcome in (Outcome.FAIL, Outcome.REVIEW):
            result.lost.append(change)
        elif a.outcome == Outcome.PASS and b.outcome == Outcome.ERROR:
            result.unchecked.append(change)
        elif a.outcome != b.outcome or a.confidence != b.confidence:
            result.changed.append(change)
    result.warnings = _warnings(store, before_run, after_run, eval_before, eval_after, old, new)
    return result


def _with_final_answers(store: Store, run_id: str,
                        evaluation_id: str) -> tuple[list[StoredVerdict], set[str], dict]:
    """The run's verdicts with the assessors' final answers in place of the outcomes they decided, the ids
    of the rules they decided, and the scores of its result document (which counts those answers)."""
    from egov_audit.app.result import build_result
    document = build_result(store, run_id, report_facts=False)
    decided = {i["id"]: i for i in document["indicators"] if i.get("decided_by") == "assessors"}
    verdicts = [replace(v, outcome=decided[v.rule_id]["outcome"]) if v.rule_id in decided else v
                for v in store.verdicts(evaluation_id)]
    return verdicts, set(decided), document["scores"]


def _warnings(store, before_run, after_run, eval_before, eval_after, old, new) -> list[str]:
    warnings = []
    if before_run.start_url != after_run.start_url:
        warnings.append(f"the portal address changed: {before_run.start_url} → {after_run.start_url}")
    hosts = (_final_host(store, before_run), _final_host(store, after_run))
    if hosts[0] != hosts[1]:
        warnings.append(f"the home page now lands on another host: {hosts[0]} → {hosts[1]}")
    pages = (before_run.pages_crawled or 0, after_run.pages_crawled or 0)
    if max(pages) and abs(pages[1] - pages[0]) / max(pages) >= PAGE_CHANGE_WARNING:
        warnings.append(f"the crawl size changed from {pages[0]} to {pages[1]} pages: "
                        "indicators may have been missed or found because of it")
    if after_run.status != "finished":
        warnings.append(f"the newer crawl did not finish (status {after_run.status})")
    bumped = sorted(r for r in set(old) & set(new) if old[r].rule_version != new[r].rule_version)
    if bumped:
        warnings.append("rule versions changed for " + ", ".join(
            f"{r} (v{old[r].rule_version} → v{new[r].rule_version})" for r in bumped))
    added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
    if added or removed:
        warnings.append("the rule set changed: " + "; ".join(
            part for part in (f"added {', '.join(added)}" if added else "",
                              f"removed {', '.join(removed)}" if removed else "") if part))
    elif eval_before.rules_digest != eval_after.rules_digest and not bumped:
        warnings.append("the rule files changed between the two evaluations (same versions, different content)")
    if eval_before.edition != eval_after.edition:
        warnings.append(f"scored under different editions: {eval_before.edition} → {eval_after.edition}")
    return warnings


def format_diff(d: RunDiff) -> str:
    def score(value):
        return "–" if value is None else f"{value:.2f}"
    change = d.score_change
    lines = [f"{d.portal}: run {d.before_run} → {d.after_run}",
             f"index {score(d.score_before)} ({d.band_before or '–'}) → {score(d.score_after)} ({d.band_after or '–'})"
             + ("" if change is None else f", change {change:+.2f}")]
    sections = (("lost (regressions)", d.lost), ("could not be checked now", d.unchecked), ("gained", d.gained),
                ("changed", d.changed))
    for heading, items in sections:
        if not items:
            continue
        lines.append(f"{heading}: {len(items)}")
        for c in items:
            conf = ""
            if c.confidence_before != c.confidence_after:
                conf = f" [confidence {c.confidence_before or '–'} → {c.confidence_after or '–'}]"
            people = ""
            if "assessors" in (c.decided_by_before, c.decided_by_after):
                people = f" [answered by assessors: {'before' if c.decided_by_before == 'assessors' else ''}" \
                         f"{' and ' if c.decided_by_before == c.decided_by_after else ''}" \
                         f"{'after' if c.decided_by_after == 'assessors' else ''}]"
            lines.append(f"  {c.code or '':<8} {c.rule_id}: {c.before or 'absent'} → {c.after or 'absent'}{conf}{people}"
                         + (f" — {c.reason}" if heading != "gained" and c.reason else ""))
    if not any(items for _, items in sections):
        lines.append("no indicator changed")
    for w in d.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)
