"""How often the machine was right, measured against the people's final answers (egov-audit accuracy).

Per group (all items, each automation class, each indicator):
- agreement: share of decided items whose machine outcome equals the final answer, over the items the
  machine decided (pass / fail / not applicable); items it left open (review, manual, error) are counted
  apart as the share left open, since it claimed nothing there;
- precision of passes: of the machine's passes, the share people answered yes; recall: of the people's
  yes answers, the share the machine passed;
- Cohen's kappa machine–assessors (machine outcome vs final answer, an open verdict is its own category)
  and assessor–assessor (the first two assessors by name, on items both answered), each with its count.
A figure whose count is 0 (or whose kappa is undefined because one category fills both sides) is None.
"""
from __future__ import annotations

import csv
import io
from collections import Counter

from egov_audit.app.workbench.assessment import OUTCOME_TO_ANSWER
from egov_audit.app.workbench.decisions import decided_items
from egov_audit.store.db import Store

COLUMNS = ("group", "name", "decided", "agreement", "agreement_n", "left_open", "pass_precision", "pass_precision_n",
           "pass_recall", "pass_recall_n", "kappa_machine_assessors", "kappa_machine_assessors_n",
           "kappa_assessors", "kappa_assessors_n")


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(1 for a, b in pairs if a == b) / n
    left, right = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(left[c] * right[c] for c in set(left) | set(right)) / (n * n)
    if expected >= 1:
        return None
    return round((observed - expected) / (1 - expected), 4)


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def figures(items: list[dict], group: str, name: str) -> dict:
    decided = [i for i in items if i["final"]]
    machine_said = [i for i in decided if i["outcome"] in OUTCOME_TO_ANSWER]
    agree = sum(1 for i in machine_said if OUTCOME_TO_ANSWER[i["outcome"]] == i["final"]["answer"])
    passes = [i for i in decided if i["outcome"] == "pass"]
    yes = [i for i in decided if i["final"]["answer"] == "yes"]
    machine_pairs = [(OUTCOME_TO_ANSWER.get(i["outcome"], "open"), i["final"]["answer"]) for i in decided]
    assessor_pairs = []
    for i in items:
        names = sorted(i["answers"])
        if len(names) >= 2:
            assessor_pairs.append((i["answers"][names[0]], i["answers"][names[1]]))
    return {
        "group": group, "name": name, "decided": len(decided),
        "agreement": _share(agree, len(machine_said)), "agreement_n": len(machine_said),
        "left_open": _share(len(decided) - len(machine_said), len(decided)),
        "pass_precision": _share(sum(1 for i in passes if i["final"]["answer"] == "yes"), len(passes)),
        "pass_precision_n": len(passes),
        "pass_recall": _share(sum(1 for i in yes if i["outcome"] == "pass"), len(yes)), "pass_recall_n": len(yes),
        "kappa_machine_assessors": cohen_kappa(machine_pairs), "kappa_machine_assessors_n": len(machine_pairs),
        "kappa_assessors": cohen_kappa(assessor_pairs), "kappa_assessors_n": len(assessor_pairs),
    }


def accuracy_of(items: list[dict]) -> list[dict]:
    rows = [figures(items, "all", "all")]
    for automation in sorted({i["automation"] for i in items}):
        rows.append(figures([i for i in items if i["automation"] == automation], "automation", automation))
    for rule_id in sorted({i["rule_id"] for i in items}):
        rows.append(figures([i for i in items if i["rule_id"] == rule_id], "indicator", rule_id))
    return rows


def accuracy(store: Store) -> list[dict]:
    return accuracy_of(decided_items(store))


def csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if r[k] is None else r[k] for k in COLUMNS} for r in rows)
    return buffer.getvalue()


def table(rows: list[dict]) -> str:
    """A plain-text table for the terminal."""
    def cell(value):
        return "–" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))
    header = ("group", "name", "decided", "agree", "open", "precision", "recall", "κ machine", "κ assessors")
    lines = [header]
    for r in rows:
        lines.append((r["group"], r["name"], str(r["decided"]),
                      f"{cell(r['agreement'])} (n={r['agreement_n']})", cell(r["left_open"]),
                      f"{cell(r['pass_precision'])} (n={r['pass_precision_n']})",
                      f"{cell(r['pass_recall'])} (n={r['pass_recall_n']})",
                      f"{cell(r['kappa_machine_assessors'])} (n={r['kappa_machine_assessors_n']})",
                      f"{cell(r['kappa_assessors'])} (n={r['kappa_assessors_n']})"))
    widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() for line in lines)
