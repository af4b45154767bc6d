"""What the report tells people beside an unmet indicator: how to improve (reports/data/recommendations.yaml),
with the UN page to read."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from egov_audit.judge.rules import YAML_LOADER

RECOMMENDATIONS = Path(__file__).parent / "data" / "recommendations.yaml"


@lru_cache(maxsize=1)
def recommendations_data() -> dict:
    return yaml.load(RECOMMENDATIONS.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}


def recommendation(rule_id: str, criterion: str | None) -> dict | None:
    """{"text", "source", "url"} for a rule; the UN page is the rule's own or its criterion's default."""
    data = recommendations_data()
    entry = (data.get("recommendations") or {}).get(rule_id)
    if not entry:
        return None
    if isinstance(entry, str):
        entry = {"text": entry}
    source_key = entry.get("source") or (data.get("criteria") or {}).get(criterion) or data.get("default_source")
    source = (data.get("sources") or {}).get(source_key) or {}
    return {"text": " ".join(str(entry["text"]).split()), "source": source.get("title", ""), "url": source.get("url", "")}
