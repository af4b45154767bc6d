"""The words a verdict is made of, defined once: outcomes and confidences.

Both are str-valued enums, so the JSON result, the database and the CSV exports keep the same strings
("pass", "medium") while the code compares members; a misspelt outcome fails where it is made.
"""
from __future__ import annotations

from enum import Enum


class Outcome(str, Enum):
    PASS = "pass"                       # the evidence meets the rule
    FAIL = "fail"                       # searched and not found
    REVIEW = "review"                   # found, but a person must confirm (weak or undated evidence)
    NOT_APPLICABLE = "not_applicable"   # the indicator does not apply to this portal
    ERROR = "error"                     # could not judge (timeout, 5xx, a crashing check): never a fail
    MANUAL = "manual"                   # a human assessor's indicator: listed, never guessed

    def __str__(self) -> str:           # f-strings and joins show "pass", not "Outcome.PASS"
        return self.value

    __format__ = str.__format__


# what a check may return (the rest are verdicts only the engine gives)
CHECK_OUTCOMES = frozenset({Outcome.PASS, Outcome.FAIL, Outcome.REVIEW})
# verdicts that do not meet an indicator: the report gives improvement advice beside them
UNMET = frozenset({Outcome.FAIL, Outcome.REVIEW, Outcome.ERROR})
# verdicts an assessor still has to settle (open items: the index is provisional while any is left)
OPEN = frozenset({Outcome.REVIEW, Outcome.ERROR, Outcome.MANUAL})


class Confidence(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__

    @property
    def rank(self) -> int:
        return CONFIDENCE_RANK[self]


CONFIDENCE_RANK = {Confidence.LOW: 1, Confidence.MEDIUM: 2, Confidence.HIGH: 3}


def rank(confidence: str | Confidence) -> int:
    """1 (low) … 3 (high) for a confidence or its string."""
    return CONFIDENCE_RANK[Confidence(confidence)]


# what an expected verdict (in a fixture portal's expected.yaml or a rule case) accepts
EXPECTATIONS: dict[str, frozenset] = {
    "pass": frozenset({Outcome.PASS}), "fail": frozenset({Outcome.FAIL}), "review": frozenset({Outcome.REVIEW}),
    "not-pass": frozenset({Outcome.FAIL, Outcome.REVIEW}), "manual": frozenset({Outcome.MANUAL}),
    "error": frozenset({Outcome.ERROR}), "not_applicable": frozenset({Outcome.NOT_APPLICABLE}),
}
