"""The people's answers of a database, read through the store and combined by assessment.py."""
from __future__ import annotations

from egov_audit.app.workbench.assessment import ItemState, item_states
from egov_audit.judge.evaluation import latest_evaluation
from egov_audit.store import reviews
from egov_audit.store.db import Store


def run_states(store: Store, run_id: str) -> dict[str, ItemState]:
    return item_states(reviews.current_answers(store, run_id), reviews.recorded_finals(store, run_id))


def decided_items(store: Store) -> list[dict]:
    """Every item people decided in this DB, with the machine verdict of the run's newest evaluation:
    {run_id, rule_id, criterion, automation, outcome, confidence, final, answers}."""
    items = []
    for run_id in reviews.runs_with_answers(store):
        _evaluation, verdicts = latest_evaluation(store, run_id)
        states = run_states(store, run_id)
        for v in verdicts:
            state = states.get(v["rule_id"])
            if state is None:
                continue
            items.append({"run_id": run_id, "rule_id": v["rule_id"], "criterion": v["criterion"],
                          "automation": v["automation"], "outcome": v["outcome"], "confidence": v["confidence"],
                          "final": state.final, "answers": {k: a.answer for k, a in state.answers.items()}})
    return items
