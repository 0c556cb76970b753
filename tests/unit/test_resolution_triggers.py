"""When a return may be resolved: the seller's trigger, and keep_item at authorization."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rma.domain.errors import Conflict, IllegalTransition
from rma.domain.returns import (
    Actor,
    Condition,
    Resolution,
    Return,
    ReturnItem,
)
from rma.domain.sellers import ResolutionTrigger
from rma.domain.statuses import ReturnStatus, resolution_due

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
S = ReturnStatus
T = ResolutionTrigger
SELLER = Actor("seller", "key_1")


def a_return(status: ReturnStatus, resolution: Resolution = Resolution.REFUND) -> Return:
    item = ReturnItem("itm_1", "1", "TEE", 2500, 1, "CR-DEFECTIVE", authorized_quantity=1)
    return Return(
        "ret_1", "sel_1", "ord_1", "1001", "ada@example.com", "USD", status, NOW, NOW,
        resolution=resolution, items=[item],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("trigger", "due"),
    [
        (T.INSPECTION, {S.INSPECTED}),
        (T.RECEIPT, {S.RECEIVED, S.INSPECTED}),
        (T.FIRST_SCAN, {S.IN_TRANSIT, S.PARTIALLY_RECEIVED, S.RECEIVED, S.INSPECTED}),
    ],
)
def test_each_trigger_is_due_from_its_step_on(trigger: ResolutionTrigger, due: set[S]) -> None:
    assert {status for status in S if resolution_due(status, trigger)} == due


def test_on_first_scan_a_return_in_transit_resolves() -> None:
    ret = a_return(S.IN_TRANSIT)

    ret.resolve({}, actor=SELLER, now=NOW, trigger=T.FIRST_SCAN)

    assert ret.status is S.RESOLVED
    assert ret.history[-1].from_status is S.IN_TRANSIT


def test_before_the_trigger_resolving_is_refused_with_a_stable_code() -> None:
    ret = a_return(S.IN_TRANSIT)

    with pytest.raises(Conflict) as refused:
        ret.resolve({}, actor=SELLER, now=NOW, trigger=T.RECEIPT)

    assert refused.value.code == "resolution_not_due"
    assert ret.status is S.IN_TRANSIT


def test_keep_item_resolves_at_authorization_whatever_the_trigger() -> None:
    ret = a_return(S.AUTHORIZED, Resolution.KEEP_ITEM)

    ret.resolve({}, actor=SELLER, now=NOW, trigger=T.INSPECTION)

    assert ret.items[0].resolution is Resolution.KEEP_ITEM


def test_a_resolved_return_cannot_be_resolved_again() -> None:
    ret = a_return(S.INSPECTED)
    ret.resolve({}, actor=SELLER, now=NOW)

    with pytest.raises(IllegalTransition):
        ret.resolve({}, actor=SELLER, now=NOW)


def test_units_covered_are_the_authorized_ones_until_inspection_accepts_some() -> None:
    item = a_return(S.AUTHORIZED).items[0]
    assert item.settled_quantity == 1
    item.received_quantity = 1
    assert item.settled_quantity == 1
    item.condition = Condition.DAMAGED
    item.rejected_quantity = 1
    assert item.settled_quantity == 0
