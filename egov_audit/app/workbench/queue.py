"""The assessor's queue: every judged portal's items that need a person, with what people answered so far."""
from __future__ import annotations

from dataclasses import dataclass, field

from egov_audit.app.exports import evaluated_runs
from egov_audit.app.workbench.assessment import (ItemState, in_sample, others_visible, queue_reason,
                                                 completed_assessors)
from egov_audit.app.workbench.decisions import run_states
from egov_audit.judge.evaluation import latest_evaluation
from egov_audit.store.db import Store


@dataclass
class Item:
    run_id: str
    portal: str
    verdict: dict                 # the machine's verdict row (evidence and searched parsed)
    why: str                      # review | manual | error | low-confidence pass | sample
    state: ItemState

    @property
    def rule_id(self) -> str:
        return self.verdict["rule_id"]


@dataclass
class Portal:
    run_id: str
    portal: str
    start_url: str
    evaluation_id: str
    items: list[Item] = field(default_factory=list)
    states: dict[str, ItemState] = field(default_factory=dict)
    verdicts: list[dict] = field(default_factory=list)

    @property
    def queue_ids(self) -> list[str]:
        return [i.rule_id for i in self.items]

    def answered_by(self, assessor: str) -> int:
        return sum(1 for i in self.items if assessor in i.state.answers)

    def finals(self) -> int:
        return sum(1 for i in self.items if i.state.final is not None)

    def conflicts(self) -> list[Item]:
        return [i for i in self.items if i.state.conflict and i.state.recorded is None]

    def can_see_others(self, assessor: str) -> bool:
        return others_visible(assessor, self.states, self.queue_ids)

    def completed(self) -> set[str]:
        return completed_assessors(self.states, self.queue_ids)


def build_queue(store: Store, sample: float, seed: str) -> list[Portal]:
    portals = []
    for run_id in evaluated_runs(store):
        run = store.run(run_id)
        evaluation, verdicts = latest_evaluation(store, run_id)
        portal = Portal(run_id, run["portal"], run["start_url"], evaluation["id"], verdicts=verdicts,
                        states=run_states(store, run_id))
        for v in verdicts:
            why = queue_reason(v["outcome"], v["confidence"])
            if why is None and in_sample(seed, run_id, v["rule_id"], sample):
                why = "sample"
            if why is not None:
                portal.items.append(Item(run_id, run["portal"], v, why,
                                         portal.states.get(v["rule_id"]) or ItemState(v["rule_id"])))
        portals.append(portal)
    return portals
