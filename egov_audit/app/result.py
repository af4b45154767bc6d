"""The machine-readable result document (DESIGN.md §5), built from the DB and checked against its schema."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from egov_audit.editions import default_edition
from egov_audit.paths import SCHEMAS_DIR
from egov_audit.store.db import Store

# 1.1: the assessors' answers (assessment, decided_by, machine_outcome), and everything the report shows
# (definitions, advice, crawl page lists, accessibility scans), so the report renders from the document alone
SCHEMA_VERSION = "1.1"
EVIDENCE_KEYS = ("url", "excerpt", "selector", "click_depth", "snapshot", "screenshot", "confidence", "field", "link",
                 "warc_record_id")


@lru_cache(maxsize=1)
def result_schema() -> dict:
    return json.loads((SCHEMAS_DIR / "result.schema.json").read_text(encoding="utf-8"))


def build_result(store: Store, run_id: str | None = None, report_facts: bool = True) -> dict:
    """The result document of a run (its newest evaluation, with the assessors' final answers); report_facts=False
    leaves out what only the report shows (page lists, axe scans, definitions, advice) where only scores matter."""
    run = store.run(run_id)
    run_id = run.id
    counts = store.counts(run_id)
    hosts = [h.as_dict() for h in store.host_counts(run_id)]
    document = {
        "schema_version": SCHEMA_VERSION,
        "portal": run.portal, "start_url": run.start_url, "run_id": run_id,
        "started": run.started, "finished": run.finished, "status": run.status,
        "edition": default_edition(), "code_version": run.code_version,
        "pages_crawled": counts["pages"],
        "crawl": {**counts, **store.problems(run_id), "hosts": hosts,
                  "home_screenshot": store.screenshot_of(run_id, run.start_url), "settings": run.options},
        "indicators": [],
        "scores": {"index": None, "band": None, "provisional": True, "criteria": {}},
    }
    evaluation = store.latest_evaluation(run_id)
    if evaluation is not None:
        document["edition"] = evaluation.edition
        document["evaluation"] = {k: evaluation[k] for k in ("id", "created", "audit_date", "rules_digest")}
        document["scores"] = evaluation.scores
        from egov_audit.judge.rules import rule_titles
        titles = rule_titles()
        document["indicators"] = [{
            "id": v.rule_id, "title": titles.get(v.rule_id, v.rule_id), "rule_version": v.rule_version,
            "codes": {k: c for k, c in v.codes.items() if c},
            "criterion": v.criterion, "automation": v.automation, "outcome": v.outcome,
            "confidence": v.confidence, "reason": v.reason or "",
            "evidence": [{k: e.get(k) for k in EVIDENCE_KEYS if k in e} for e in v.evidence],
            "searched": v.searched} for v in store.verdicts(evaluation.id)]
        add_people(store, document)
    if report_facts:
        add_report_facts(store, document)
    validate_result(document)
    return document


def add_report_facts(store: Store, document: dict) -> None:
    """Freeze into the document everything the report shows, so the report renders from it alone."""
    from reports.facts import accessibility_facts, crawl_facts, indicator_texts
    document["crawl"].update(crawl_facts(store, document["run_id"]))
    document["accessibility"] = accessibility_facts(store, document["run_id"])
    from reports.technology import technology_facts
    document["technology"] = technology_facts(store, document["run_id"])
    for indicator in document["indicators"]:
        indicator.update(indicator_texts(indicator["id"], indicator.get("criterion")))


def add_people(store: Store, document: dict) -> None:
    """Final answers of assessors replace the machine's outcomes they decided (the machine's stay beside them)."""
    from egov_audit.app.workbench.assessment import apply_to_document
    from egov_audit.app.workbench.decisions import run_states
    apply_to_document(document, run_states(store, document["run_id"]), _rule_rates(store))


_RATES: dict = {}


def _rule_rates(store: Store) -> dict:
    """How often each rule was confirmed, over every decided item of the DB. Exporting many portals builds many
    documents from one DB: the figures are computed once per state of the answers, not once per document."""
    from egov_audit.app.workbench.assessment import rule_rates
    from egov_audit.app.workbench.decisions import decided_items
    from egov_audit.store.reviews import answers_version
    key = (str(store.path.resolve()), answers_version(store))
    if key not in _RATES:
        _RATES.clear()
        _RATES[key] = rule_rates([(i["rule_id"], i["outcome"], i["final"]["answer"])
                                  for i in decided_items(store) if i["final"]])
    return _RATES[key]


def validate_result(document: dict) -> None:
    """Raises jsonschema.ValidationError when the document breaks the published contract."""
    _validator().validate(document)


@lru_cache(maxsize=1)
def _validator():
    from egov_audit.judge.rules import checked_validator
    return checked_validator(result_schema())


def write_result(document: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    return path
