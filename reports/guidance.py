"""What the report tells people beside a verdict: how to improve (reports/data/recommendations.yaml)
and the UN definition of each indicator (the rule files' `definition`), for the manual checklist."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from egov_audit.paths import RULES_DIR
from egov_audit.rules import rule_files

RECOMMENDATIONS = Path(__file__).parent / "data" / "recommendations.yaml"
# libyaml when present: the rule files are long keyword lists and the pure-Python parser takes seconds
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1)
def recommendations_data() -> dict:
    return yaml.safe_load(RECOMMENDATIONS.read_text(encoding="utf-8")) or {}


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


@lru_cache(maxsize=4)
def rule_catalogue(rules_dir: Path = RULES_DIR) -> dict[str, dict]:
    """id → {title, definition, codes, criterion, automation} from the rule files."""
    catalogue = {}
    for path in rule_files(rules_dir):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}
        except (OSError, yaml.YAMLError):
            continue   # a broken rule file is reported by the rule loader, not by the report
        catalogue[data.get("id", path.stem)] = {k: data.get(k) for k in ("title", "definition", "codes", "criterion", "automation")}
    return catalogue
