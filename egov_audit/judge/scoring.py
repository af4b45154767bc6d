"""LOSI scoring: each indicator met = 1, otherwise 0; the index is the share met, with equal weights.

While reviews, manual items or errors are open the score is provisional: we report the confirmed
index (only passes count) and the upper bound (as if every open item were met).
"""
from __future__ import annotations

from egov_audit.editions import editions
from egov_audit.outcomes import OPEN, Outcome


def band(index: float | None) -> str | None:
    if index is None:
        return None
    for entry in editions()["bands"]:
        if "above" in entry and index > entry["above"]:
            return entry["name"]
        if "from" in entry and index >= entry["from"]:
            return entry["name"]
    return editions()["bands"][-1]["name"]


def in_profile(profile: dict, codes: dict, criterion: str) -> bool:
    if "code" in profile:
        return profile["code"] in codes
    return criterion == profile.get("criterion")


def _share(outcomes: list[str]) -> dict:
    total = len(outcomes)
    met = outcomes.count(Outcome.PASS)
    pending = sum(outcomes.count(o) for o in OPEN)
    na = outcomes.count(Outcome.NOT_APPLICABLE)
    denominator = total - na
    return {
        "indicators": total, "met": met, "open": pending,
        "index": round(met / denominator, 4) if denominator else None,
        "upper_bound": round((met + pending) / denominator, 4) if denominator else None,
    }


def score(verdicts: list[dict], edition: str | None = None) -> dict:
    """verdicts: dicts with codes, criterion, outcome. Returns the main edition's scores plus every profile."""
    config = editions()
    edition = edition or config["default"]
    profiles = {}
    for name, profile in config["profiles"].items():
        chosen = [v for v in verdicts if in_profile(profile, v["codes"], v["criterion"])]
        overall = _share([v["outcome"] for v in chosen])
        criteria = {c: _share([v["outcome"] for v in chosen if v["criterion"] == c]) for c in profile["criteria"]}
        profiles[name] = {
            "title": profile["title"], **overall, "band": band(overall["index"]),
            "provisional": overall["open"] > 0,
            "expected_indicators": profile.get("indicators"),
            "criteria": {c: s["index"] for c, s in criteria.items()},
            "criteria_detail": criteria,
        }
    main = profiles[edition]
    return {"edition": edition, "index": main["index"], "upper_bound": main["upper_bound"], "band": main["band"],
            "provisional": main["provisional"], "criteria": main["criteria"], "profiles": profiles}
