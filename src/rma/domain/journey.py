"""The customer's view of a return: where it is on its way, step by step.

A return's status is the seller's vocabulary; the customer follows six steps (requested,
authorized, shipped, delivered, inspected, refunded), each reached at a moment the history
or the carrier recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rma.domain.statuses import ReturnStatus


class Step(StrEnum):
    REQUESTED = "requested"  # the customer asked
    AUTHORIZED = "authorized"  # an RMA number was issued: the box may leave
    SHIPPED = "shipped"  # the carrier has it
    DELIVERED = "delivered"  # it arrived at the seller's warehouse
    INSPECTED = "inspected"  # the warehouse looked at every item
    RESOLVED = "resolved"  # the money, credit or exchange was issued


STEPS = tuple(Step)

# The furthest step each status has reached.
_REACHED = {
    ReturnStatus.REQUESTED: Step.REQUESTED,
    ReturnStatus.PENDING_REVIEW: Step.REQUESTED,
    ReturnStatus.AUTHORIZED: Step.AUTHORIZED,
    ReturnStatus.IN_TRANSIT: Step.SHIPPED,
    ReturnStatus.PARTIALLY_RECEIVED: Step.DELIVERED,
    ReturnStatus.RECEIVED: Step.DELIVERED,
    ReturnStatus.INSPECTED: Step.INSPECTED,
    ReturnStatus.RESOLVED: Step.RESOLVED,
}
_STEP_OF_STATUS = {
    ReturnStatus.REQUESTED: Step.REQUESTED,
    ReturnStatus.AUTHORIZED: Step.AUTHORIZED,
    ReturnStatus.IN_TRANSIT: Step.SHIPPED,
    ReturnStatus.PARTIALLY_RECEIVED: Step.DELIVERED,
    ReturnStatus.RECEIVED: Step.DELIVERED,
    ReturnStatus.INSPECTED: Step.INSPECTED,
    ReturnStatus.RESOLVED: Step.RESOLVED,
}
# Until then the customer still has to send the box: the label and "ship by" are shown.
TO_BE_SENT = frozenset({ReturnStatus.AUTHORIZED})


@dataclass(frozen=True)
class StepState:
    """One step as the tracker shows it."""

    step: Step
    done: bool
    current: bool
    at: datetime | None


def progress(
    status: ReturnStatus,
    history: Sequence[tuple[datetime, ReturnStatus]],
    *,
    shipped_at: datetime | None = None,
) -> list[StepState]:
    """The six steps of a return in ``status``, given its history of (time, status reached).

    A return that left the way (denied, cancelled, expired, or closed before resolution)
    shows the steps it had reached; a carrier scan marks the box shipped even when the
    warehouse received it before the carrier's first scan reached rma.
    """
    reached_at: dict[Step, datetime] = {}
    furthest = -1
    for at, reached in history:
        step = _STEP_OF_STATUS.get(reached)
        if step is None:
            continue
        reached_at.setdefault(step, at)
        furthest = max(furthest, STEPS.index(step))
    if shipped_at is not None:
        reached_at.setdefault(Step.SHIPPED, shipped_at)
        furthest = max(furthest, STEPS.index(Step.SHIPPED))
    if status in _REACHED:
        furthest = STEPS.index(_REACHED[status])
    states = []
    for index, step in enumerate(STEPS):
        done = index <= furthest
        states.append(StepState(step, done, index == furthest, reached_at.get(step)))
    return states
