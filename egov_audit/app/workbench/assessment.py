"""Which items need a person, and what the people's answers add up to (pure: no database, no web).

- An item (a portal × indicator) is queued for a person when the machine left it open (review, manual,
  error), passed it with low confidence, or it falls in the quality-control sample of automatic verdicts.
  The sample is seeded: an item's membership depends on (seed, run, rule) only, so the queue is the same
  on every page load and for every assessor.
- An item is *final* when two (or more) assessors gave the same answer, or when someone reconciled their
  disagreement (a recorded final answer always wins). One assessor's answer alone is not final: LOSI is
  answered by two researchers who then reconcile (losi-methodology.md §5).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from egov_audit.outcomes import OPEN, Outcome
from egov_audit.store.reviews import Answer, FinalAnswer

# plain strings: they go into result documents and CSV cells as they are
ANSWER_TO_OUTCOME = {"yes": Outcome.PASS.value, "no": Outcome.FAIL.value,
                     "not_applicable": Outcome.NOT_APPLICABLE.value}
OUTCOME_TO_ANSWER = {v: k for k, v in ANSWER_TO_OUTCOME.items()}
OPEN_OUTCOMES = tuple(o.value for o in OPEN)
DEFAULT_SAMPLE = 0.10
DEFAULT_SEED = "egov-audit"


def queue_reason(outcome: str, confidence: str | None) -> str | None:
    """Why a verdict needs a person regardless of sampling, or None."""
    if outcome in OPEN_OUTCOMES:
        return outcome
    if outcome == Outcome.PASS and confidence == "low":
        return "low-confidence pass"
    return None


def in_sample(seed: str, run_id: str, rule_id: str, rate: float) -> bool:
    """Stable pseudo-random membership of an automatic verdict in the quality-control sample."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{seed}\x00{run_id}\x00{rule_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64 < rate


@dataclass
class ItemState:
    rule_id: str
    answers: dict[str, Answer] = field(default_factory=dict)      # assessor → newest answer
    recorded: FinalAnswer | None = None

    @property
    def conflict(self) -> bool:
        return len({a.answer for a in self.answers.values()}) > 1

    @property
    def final(self) -> dict | None:
        """{answer, how, reconciled_by, note} or None while the item is not decided by people."""
        if self.recorded is not None:
            return {"answer": self.recorded.answer, "how": "reconciled", "reconciled_by": self.recorded.reconciled_by,
                    "note": self.recorded.note, "decided_at": self.recorded.decided_at}
        if len(self.answers) >= 2 and not self.conflict:
            first = next(iter(self.answers.values()))
            latest = max(a.answered_at for a in self.answers.values())
            return {"answer": first.answer, "how": "agreed", "reconciled_by": None, "note": "", "decided_at": latest}
        return None


def item_states(answers: list[Answer], finals: dict[str, FinalAnswer]) -> dict[str, ItemState]:
    states: dict[str, ItemState] = {}
    for a in answers:
        states.setdefault(a.rule_id, ItemState(a.rule_id)).answers[a.assessor] = a
    for rule_id, final in finals.items():
        states.setdefault(rule_id, ItemState(rule_id)).recorded = final
    return states


def completed_assessors(states: dict[str, ItemState], queue_ids: list[str]) -> set[str]:
    """Assessors who answered every queued item of a portal."""
    everyone = {name for s in states.values() for name in s.answers}
    return {name for name in everyone
            if all(name in states.get(rule_id, ItemState(rule_id)).answers for rule_id in queue_ids)}


def others_visible(assessor: str, states: dict[str, ItemState], queue_ids: list[str]) -> bool:
    """Blind answering: another assessor's answers show only once this one and another finished the portal."""
    done = completed_assessors(states, queue_ids)
    return assessor in done and len(done) >= 2


MIN_ANSWERS_FOR_RATE = 5   # below this many final answers a rule's confirmation rate says nothing


def apply_to_document(document: dict, states: dict[str, ItemState], rule_rates: dict[str, dict]) -> None:
    """Put the people's final answers into a result document: the outcome a score counts becomes theirs where
    they decided, the machine's stays beside it (machine_outcome), and every indicator says who decided it."""
    from egov_audit.judge.scoring import score

    decided = 0
    assessors: set[str] = set()
    for indicator in document["indicators"]:
        state = states.get(indicator["id"])
        indicator["machine_outcome"] = indicator["outcome"]
        indicator["decided_by"] = "machine"
        rate = rule_rates.get(indicator["id"])
        if rate and rate["answers"] >= MIN_ANSWERS_FOR_RATE:
            indicator["rule_confirmation"] = dict(rate)
        if state is None:
            continue
        assessors.update(state.answers)
        final = state.final
        indicator["assessment"] = {
            "final": final,
            "answers": [{"assessor": a.assessor, "answer": a.answer, "note": a.note, "evidence_url": a.evidence_url,
                         "answered_at": a.answered_at, "source": a.source} for a in state.answers.values()],
        }
        if final is not None:
            decided += 1
            indicator["outcome"] = ANSWER_TO_OUTCOME[final["answer"]]
            indicator["decided_by"] = "assessors"
    total = len(document["indicators"])
    confirmed = bool(total) and decided == total
    document["assessment"] = {"assessors": sorted(assessors), "final_answers": decided, "indicators": total,
                              "confirmed": confirmed}
    if decided:
        machine_scores = document["scores"]
        document["assessment"]["machine_scores"] = machine_scores
        edition = machine_scores.get("edition") or document["edition"]
        document["scores"] = score([{"codes": i["codes"], "criterion": i["criterion"], "outcome": i["outcome"]}
                                    for i in document["indicators"]], edition)
    document["scores"]["confirmed"] = confirmed


def rule_rates(pairs: list[tuple[str, str, str]]) -> dict[str, dict]:
    """(rule_id, machine outcome, final answer) over every decided item → per rule: answers, confirmed.
    A verdict is confirmed when the final answer is the outcome it gave (open verdicts are never confirmed)."""
    rates: dict[str, dict] = {}
    for rule_id, outcome, answer in pairs:
        entry = rates.setdefault(rule_id, {"answers": 0, "confirmed": 0})
        entry["answers"] += 1
        entry["confirmed"] += int(ANSWER_TO_OUTCOME[answer] == outcome)
    return rates
