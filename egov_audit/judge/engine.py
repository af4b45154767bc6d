"""The rule engine: every rule judged against the stored pages of a run, offline, with evidence.

Per rule: candidate pages (scope, kind) → drop pages a `none` check matches → a page is a hit when all
`all` checks pass and one `any` check passes → the best hit decides: pass when its confidence reaches
the rule's bar, review when weaker, fail when there is none (with what was searched). A check that
raises gives `error`, never `fail`.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from datetime import date

from checks import CheckResult, Context
from egov_audit.judge.rules import CheckCall, Rule
from egov_audit.outcomes import CONFIDENCE_RANK, Confidence, Outcome
from egov_audit.page.language import portal_languages
from egov_audit.page.site import Site

MAX_EVIDENCE = 5


@dataclass
class Verdict:
    rule: Rule
    outcome: Outcome
    confidence: Confidence | None = None
    reason: str = ""
    evidence: list[dict] = field(default_factory=list)
    searched: dict = field(default_factory=dict)


@dataclass
class Hit:
    page: object
    confidence: Confidence
    outcome: Outcome                   # pass | review
    evidence: list[dict]
    reason: str = ""
    notes: tuple = ()                  # why other checks could not decide (shown when the verdict is review)


class CheckFailed(Exception):
    def __init__(self, call: CheckCall, url: str, exc: BaseException):
        self.call, self.url, self.exc = call, url, exc
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
        super().__init__(f"check '{call.name}' raised {type(exc).__name__}: {exc} (on {url}{at})")


def _run(call: CheckCall, subject, context: Context, cache: dict) -> CheckResult:
    key = (id(call), id(subject))
    if key not in cache:
        from checks import CHECKS
        try:
            cache[key] = CHECKS[call.name].run(subject, call.options, context)
        except Exception as exc:   # noqa: BLE001 — any crash in a detector becomes an `error` verdict
            raise CheckFailed(call, getattr(subject, "url", "the site"), exc) from exc
    return cache[key]


def _min_conf(a: Confidence, b: Confidence) -> Confidence:
    return a if CONFIDENCE_RANK[a] <= CONFIDENCE_RANK[b] else b


def _judge_page(rule: Rule, page, site: Site, context: Context, cache: dict) -> Hit | None:
    for call in rule.none:
        if _run(call, site if call.site else page, context, cache).passed:
            return None
    confidence, evidence, outcome, reasons = Confidence.HIGH, [], Outcome.PASS, []
    for call in rule.all:
        result = _run(call, site if call.site else page, context, cache)
        if result.outcome == Outcome.FAIL:
            return None
        confidence = _min_conf(confidence, call.confidence)
        evidence += result.evidence
        if result.outcome == Outcome.REVIEW:
            outcome = Outcome.REVIEW
            reasons.append(result.reason)
    if rule.any:
        best, notes = None, []
        for call in rule.any:
            result = _run(call, site if call.site else page, context, cache)
            if result.outcome == Outcome.FAIL:
                continue
            if result.outcome == Outcome.REVIEW and result.reason:
                notes.append(result.reason)
            rank = (result.outcome == Outcome.PASS, CONFIDENCE_RANK[call.confidence])
            if best is None or rank > best[0]:
                best = (rank, call, result)
        if best is None:
            return None
        _, call, result = best
        confidence = _min_conf(confidence, call.confidence)
        evidence = result.evidence + evidence
        if result.outcome == Outcome.REVIEW:
            outcome = Outcome.REVIEW
            reasons.append(result.reason)
    else:
        notes = []
    reason = "; ".join(r for r in reasons if r)
    return Hit(page, confidence, outcome, evidence, reason, tuple(n for n in notes if n != reason))


def _searched(rule: Rule, pages: list) -> dict:
    """What a rule looked for, as each of its checks reports it (CheckSpec.searched): shown beside a fail."""
    from checks import CHECKS
    languages, patterns = set(), []
    for call in rule.any + rule.all:
        said = CHECKS[call.name].searched(call.options)
        languages.update(said.get("languages") or ())
        patterns += said.get("patterns") or ()
    return {"pages_considered": len(pages), "languages": sorted(languages), "checks": [c.name for c in rule.any + rule.all],
            "patterns": patterns[:12]}


def _mostly_unread(rule: Rule, site, readable: int) -> str:
    """Why a fail cannot be told from absence: at least as many pages in the rule's scope could not be
    read (server errors, timeouts …) as could. '' when the crawl read most of what it tried."""
    unchecked = site.unchecked(rule.scope) if hasattr(site, "unchecked") else {}
    count = sum(unchecked.values())
    if not count or count < readable:
        return ""
    detail = ", ".join(f"{reason} ×{n}" for reason, n in sorted(unchecked.items(), key=lambda kv: -kv[1]))
    return f"could not check: {count} of {count + readable} pages could not be read ({detail})"


def judge(rule: Rule, site: Site, context: Context, cache: dict | None = None) -> Verdict:
    cache = {} if cache is None else cache
    if rule.automation == "manual":
        return Verdict(rule, Outcome.MANUAL, reason=rule.manual_reason or "needs a human assessor")
    candidates = [p for p in site.pages if p.scope in rule.scope and p.kind in rule.kinds]
    searched = _searched(rule, candidates)
    site_only = all(c.site for c in rule.any + rule.all + rule.none)
    try:
        if site_only:
            hits = [h for h in [_judge_page(rule, site.home, site, context, cache)] if h]
        else:
            if not candidates:
                return Verdict(rule, Outcome.ERROR, reason="no pages of the run could be judged (the crawl got nothing usable)",
                               searched=searched)
            hits = [h for h in (_judge_page(rule, p, site, context, cache) for p in candidates) if h]
    except CheckFailed as failure:
        return Verdict(rule, Outcome.ERROR, reason=str(failure), searched=searched)
    if not hits:
        reasons, evidence = _fail_reasons(rule, candidates if not site_only else [], site, cache)
        reason = "; ".join(reasons) or f"no evidence on {len(candidates)} pages"
        unread = "" if site_only else _mostly_unread(rule, site, len(candidates))   # site checks read the home page
        if unread:
            # the feature may sit on a page the server would not give us: not seen is not absent
            return Verdict(rule, Outcome.ERROR, reason=f"{unread}; {reason}", evidence=evidence[:MAX_EVIDENCE],
                           searched=searched)
        uncovered = _uncovered_language(rule, site, searched)
        if uncovered:
            # words in languages the portal is not written in cannot find the feature: not seen is not absent
            searched = {**searched, "portal_languages": portal_languages(site)}
            return Verdict(rule, Outcome.REVIEW, reason=f"portal language {uncovered} not covered; searched only "
                           f"language-independent evidence ({reason})", evidence=evidence[:MAX_EVIDENCE], searched=searched)
        return Verdict(rule, Outcome.FAIL, reason=reason, evidence=evidence[:MAX_EVIDENCE], searched=searched)
    hits.sort(key=lambda h: (h.outcome == Outcome.PASS, CONFIDENCE_RANK[h.confidence],
                             -(h.page.click_depth if h.page.click_depth is not None else 99)), reverse=True)
    best = hits[0]
    # the best hits first, two items each, so evidence spans pages; then fill up from what is left
    ranked = [(i, hit, item) for hit in hits for i, item in enumerate(hit.evidence)]
    ranked.sort(key=lambda entry: entry[0] >= 2)
    evidence, seen = [], set()
    for _, hit, item in ranked:
        key = (item.get("url"), item.get("excerpt"), item.get("selector"))
        if key in seen:
            continue   # a site-wide finding (a catalogue API answer) backs every page hit: show it once
        seen.add(key)
        evidence.append({**item, "confidence": hit.confidence})
        if len(evidence) == MAX_EVIDENCE:
            break
    if best.outcome == Outcome.PASS and CONFIDENCE_RANK[best.confidence] >= CONFIDENCE_RANK[rule.min_confidence]:
        return Verdict(rule, Outcome.PASS, best.confidence, "", evidence, searched)
    # a check that said why it could not decide (e.g. "the catalogue API answered HTTP 500") explains the
    # review better than the confidence bar, even when a weaker keyword hit ranked first
    explained = list(dict.fromkeys([h.reason for h in hits if h.outcome == Outcome.REVIEW and h.reason]
                                   + [n for h in hits for n in h.notes]))
    lead = best.reason or f"only {best.confidence}-confidence evidence (a {rule.min_confidence} one is needed to pass)"
    reason = "; ".join([lead] + [r for r in explained if r != lead][:2])
    return Verdict(rule, Outcome.REVIEW, best.confidence, reason, evidence, searched)


def _uncovered_language(rule: Rule, site, searched: dict) -> str | None:
    """The portal's main language when a rule that reads words has none of that language (None otherwise). Which
    calls read words each check declares (CheckSpec.reads_words); which languages they searched, they report."""
    from checks import CHECKS
    if not any(CHECKS[c.name].reads_words(c.options) for c in rule.any + rule.all):
        return None
    languages = set(searched.get("languages") or ())
    if not languages or "any" in languages:
        return None   # words given as one list for every language: nothing says which languages they cover
    main = portal_languages(site)
    if not main or any(lang in languages for lang in main):
        return None
    return main[0]


def _fail_reasons(rule: Rule, candidates, site, cache) -> tuple[list[str], list[dict]]:
    """Reasons (and findings, e.g. accessibility violations) checks gave for failing, so a fail says
    more than 'not found': 'only dates older than 5 years', '12 violations (image-alt …)'."""
    reasons, evidence = [], []
    subjects = [(call, site) for call in rule.any + rule.all if call.site]
    subjects += [(call, page) for page in candidates for call in rule.any + rule.all if not call.site]
    for call, subject in subjects:
        result = cache.get((id(call), id(subject)))
        if result is not None and result.outcome == Outcome.FAIL:
            if result.reason and result.reason not in reasons:
                reasons.append(result.reason)
            evidence += result.evidence
    return reasons[:3], evidence


def _warc_ids(site) -> dict[str, str]:
    """URL (and final URL) → WARC record id of the capture a page's snapshot came from (rendered DOM first)."""
    rows = getattr(site, "rows", None) or [p.row for p in site.pages]
    ids = {}
    for row in rows:
        record = row.get("warc_rendered_id") or row.get("warc_record_id")
        if record:
            for url in (row.get("final_url"), row.get("url")):
                if url:
                    ids[url] = record
    for probe in (getattr(site, "artifacts", None) or {}).get("data-api", ()):   # catalogue API answers
        if probe.get("warc_record_id"):
            ids.setdefault(probe.get("url"), probe["warc_record_id"])
    return ids


def evaluate(site: Site, rules: list[Rule], data: dict, audit_date: date) -> list[Verdict]:
    problem = getattr(site, "home_problem", None)
    if problem:
        # nothing of the portal could be checked: every indicator is `error` (could not check), never `fail`
        return [Verdict(rule, "error", reason=f"the home page could not be fetched: {problem}") for rule in rules]
    context = Context(audit_date=audit_date, data=data, site=site)
    cache: dict = {}
    verdicts = [judge(rule, site, context, cache) for rule in rules]
    warc_ids = _warc_ids(site)
    for verdict in verdicts:   # each evidence item names its archived capture, so a reviewer can replay it
        for item in verdict.evidence:
            item.setdefault("warc_record_id", warc_ids.get(item.get("url")))
    return verdicts
