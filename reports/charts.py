"""Geometry for the report's inline SVG charts (the gauge and the criterion bars).

Only numbers are computed here, from scores the document already holds; the SVG markup itself is in
the templates so that every label goes through Jinja's autoescape.
"""
from __future__ import annotations

import math

from egov_audit.judge.scoring import editions

# Band colours from low to very high; the names come from rules/editions.yaml, not from here.
BAND_COLOURS = ("#d1242f", "#e16f24", "#bf8700", "#1a7f37")
LABELS = {"e-government-literacy": "E-government literacy", "e-participation": "E-participation",
          "participation-engagement": "Participation and engagement"}
GAUGE = {"cx": 110.0, "cy": 112.0, "r": 88.0, "width": 18.0}


def criterion_label(name: str) -> str:
    return LABELS.get(name) or name.replace("-", " ").capitalize()


def _point(value: float, radius: float) -> tuple[float, float]:
    """A value 0…1 on the half circle, left (0) over the top to right (1)."""
    angle = math.pi * (1.0 - min(max(value, 0.0), 1.0))
    return (round(GAUGE["cx"] + radius * math.cos(angle), 2), round(GAUGE["cy"] - radius * math.sin(angle), 2))


def arc(start: float, end: float, radius: float | None = None) -> str:
    """SVG path data of the arc between two values (clockwise in SVG coordinates; never more than half a turn)."""
    r = GAUGE["r"] if radius is None else radius
    (x1, y1), (x2, y2) = _point(start, r), _point(end, r)
    return f"M {x1} {y1} A {r} {r} 0 0 1 {x2} {y2}"


def band_segments() -> list[dict]:
    """The UN bands as coloured arcs, lowest first (bounds read from rules/editions.yaml)."""
    bands = editions()["bands"]
    lows = sorted(((b.get("above", b.get("from", 0.0)), b["name"]) for b in bands))
    segments = []
    for i, (low, name) in enumerate(lows):
        high = lows[i + 1][0] if i + 1 < len(lows) else 1.0
        segments.append({"name": name, "low": low, "high": high, "path": arc(low, high),
                         "colour": BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]})
    return segments


def gauge(index: float | None, upper_bound: float | None, provisional: bool) -> dict | None:
    if index is None:
        return None
    # the index is marked by a tick across the band arc, so the number in the middle stays readable
    inner, outer = _point(index, GAUGE["r"] - GAUGE["width"] / 2 - 4), _point(index, GAUGE["r"] + GAUGE["width"] / 2 + 4)
    return {**GAUGE, "segments": band_segments(), "value_path": arc(0.0, index, GAUGE["r"] + 14) if index > 0 else None,
            "upper_path": arc(index, upper_bound, GAUGE["r"] + 14) if provisional and upper_bound and upper_bound > index else None,
            "marker": {"x1": inner[0], "y1": inner[1], "x2": outer[0], "y2": outer[1]}}


BAR = {"label_width": 190, "bar_width": 330, "row": 30, "bar_height": 16, "top": 8}


def bars(criteria_detail: dict) -> dict:
    """One row per criterion: the confirmed sub-score as a solid bar, the upper bound as a hatched extension."""
    rows = []
    for i, (name, d) in enumerate(criteria_detail.items()):
        index = d.get("index") or 0.0
        upper = d.get("upper_bound")
        y = BAR["top"] + i * BAR["row"]
        rows.append({"name": name, "label": criterion_label(name), "y": y,
                     "text_y": y + BAR["bar_height"] - 3, "index": d.get("index"), "upper_bound": upper,
                     "met": d.get("met"), "indicators": d.get("indicators"), "open": d.get("open", 0),
                     "width": round(index * BAR["bar_width"], 1),
                     "upper_x": round(BAR["label_width"] + index * BAR["bar_width"], 1),
                     "upper_width": round(max((upper or 0.0) - index, 0.0) * BAR["bar_width"], 1)})
    height = BAR["top"] * 2 + len(rows) * BAR["row"] + 14
    ticks = [{"value": v, "x": round(BAR["label_width"] + v * BAR["bar_width"], 1)} for v in (0, 0.25, 0.5, 0.75, 1)]
    return {**BAR, "rows": rows, "height": height, "width": BAR["label_width"] + BAR["bar_width"] + 150,
            "ticks": ticks, "axis_y": height - 14}
