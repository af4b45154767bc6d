"""What the report tells people beside an unmet indicator: how to improve — the rule's own `recommendation`
(rules/<criterion>/<id>.yaml), or its criterion's default advice (rules/_criteria.yaml) — with the UN page
to read (the rule's `toolkit`, or its criterion's)."""
from __future__ import annotations

from functools import lru_cache

import yaml

from egov_audit.judge.rules import YAML_LOADER, rule_catalogue
from egov_audit.paths import RULES_DIR

CRITERIA = RULES_DIR / "_criteria.yaml"


@lru_cache(maxsize=1)
def criteria_data() -> dict:
    return yaml.load(CRITERIA.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}


def recommendation(rule_id: str, criterion: str | None) -> dict | None:
    """{"text", "source", "url"} for a rule (None when neither the rule nor its criterion gives advice)."""
    entry = rule_catalogue().get(rule_id) or {}
    data = criteria_data()
    default = (data.get("criteria") or {}).get(criterion or entry.get("criterion")) or {}
    text = entry.get("recommendation") or default.get("recommendation")
    if not text:
        return None
    key = entry.get("toolkit") or default.get("toolkit") or data.get("default_toolkit")
    source = (data.get("sources") or {}).get(key) or {}
    return {"text": " ".join(str(text).split()), "source": source.get("title", ""), "url": source.get("url", "")}
