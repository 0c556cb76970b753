"""Quantities of a return's items: authorized, received (partly, or more), inspected."""

from __future__ import annotations

import pytest

from rma.domain.errors import InvalidInput, NotFound
from rma.domain.returns import Condition, Disposition, Inspection, Receipt, Resolution
from rma.domain.statuses import ReturnStatus
from tests.unit.factories import NOW, STAFF, requested, return_in


def test_authorizing_fewer_units_than_requested_is_kept_per_item() -> None:
    ret = requested(quantity=2)
    ret.authorize(rma_number="R-1", deadline=NOW, actor=STAFF, now=NOW, quantities={"itm_1": 1})
    assert ret.items[0].authorized_quantity == 1
    assert ret.held_quantity("1") == 1


def test_authorizing_more_than_requested_is_refused_and_leaves_the_return_waiting() -> None:
    ret = requested(quantity=2)
    with pytest.raises(InvalidInput) as raised:
        ret.authorize(rma_number="R-1", deadline=NOW, actor=STAFF, now=NOW, quantities={"itm_1": 3})
    assert raised.value.details == [{"field": "quantities", "item_id": "itm_1"}]
    assert ret.status is ReturnStatus.REQUESTED
    assert ret.rma_number is None
    assert len(ret.history) == 1


def test_authorizing_quantities_of_an_item_the_return_does_not_have_is_refused() -> None:
    ret = requested(quantity=2)
    with pytest.raises(InvalidInput) as raised:
        ret.authorize(rma_number="R-1", deadline=NOW, actor=STAFF, now=NOW, quantities={"itm_9": 0})
    assert raised.value.code == "unknown_item"
    assert raised.value.details == [{"field": "quantities", "item_id": "itm_9"}]
    assert ret.status is ReturnStatus.REQUESTED


def test_partial_receipt_then_the_rest_completes_the_return() -> None:
    ret = return_in(ReturnStatus.AUTHORIZED)
    ret.receive([Receipt("itm_1", 1)], actor=STAFF, now=NOW)
    assert ret.status is ReturnStatus.PARTIALLY_RECEIVED
    assert ret.events[-1].data == {
        "complete": False,
        "items": [{"item_id": "itm_1", "quantity": 1}],
    }
    ret.receive([Receipt("itm_1", 1)], actor=STAFF, now=NOW)
    assert ret.status is ReturnStatus.RECEIVED
    assert ret.items[0].received_quantity == 2
    assert [h.to_status for h in ret.history][-2:] == [
        ReturnStatus.PARTIALLY_RECEIVED,
        ReturnStatus.RECEIVED,
    ]


def test_more_units_than_authorized_are_recorded_as_they_arrived() -> None:
    ret = return_in(ReturnStatus.IN_TRANSIT)
    ret.receive([Receipt("itm_1", 5)], actor=STAFF, now=NOW)
    assert ret.status is ReturnStatus.RECEIVED
    assert ret.items[0].received_quantity == 5


def test_negative_or_unknown_receipts_are_refused_without_a_trace() -> None:
    ret = return_in(ReturnStatus.AUTHORIZED)
    with pytest.raises(InvalidInput):
        ret.receive([Receipt("itm_1", 1), Receipt("itm_1", -1)], actor=STAFF, now=NOW)
    with pytest.raises(NotFound) as raised:
        ret.receive([Receipt("itm_1", 1), Receipt("itm_9", 1)], actor=STAFF, now=NOW)
    assert raised.value.code == "item_not_found"
    assert ret.items[0].received_quantity == 0
    assert ret.status is ReturnStatus.AUTHORIZED
    assert not ret.events


def _inspection(accepted: int, rejected: int) -> Inspection:
    return Inspection("itm_1", accepted, rejected, Condition.DAMAGED, Disposition.LIQUIDATE)


def test_inspection_splits_received_units_into_accepted_and_rejected() -> None:
    ret = return_in(ReturnStatus.RECEIVED)
    ret.inspect([_inspection(1, 1)], actor=STAFF, now=NOW)
    item = ret.items[0]
    assert (item.accepted_quantity, item.rejected_quantity) == (1, 1)
    assert (item.condition, item.disposition) == (Condition.DAMAGED, Disposition.LIQUIDATE)
    assert ret.status is ReturnStatus.INSPECTED
    assert ret.events[-1].data["items"] == [
        {"item_id": "itm_1", "accepted": 1, "condition": Condition.DAMAGED}
    ]


@pytest.mark.parametrize(("accepted", "rejected"), [(1, 0), (2, 1), (0, 0), (3, 0)])
def test_inspection_that_does_not_add_up_to_the_units_received_is_refused(
    accepted: int, rejected: int
) -> None:
    ret = return_in(ReturnStatus.RECEIVED)
    with pytest.raises(InvalidInput) as raised:
        ret.inspect([_inspection(accepted, rejected)], actor=STAFF, now=NOW)
    assert raised.value.code == "inspection_quantity_mismatch"
    assert ret.status is ReturnStatus.RECEIVED
    assert ret.items[0].condition is None


def test_negative_inspection_quantities_are_refused() -> None:
    ret = return_in(ReturnStatus.RECEIVED)
    with pytest.raises(InvalidInput):
        ret.inspect([_inspection(3, -1)], actor=STAFF, now=NOW)


def test_resolution_defaults_to_the_requested_one_and_may_be_set_per_item() -> None:
    ret = return_in(ReturnStatus.INSPECTED)
    ret.resolve({}, actor=STAFF, now=NOW)
    assert ret.items[0].resolution is Resolution.REFUND
    other = return_in(ReturnStatus.INSPECTED)
    other.resolve({"itm_1": Resolution.STORE_CREDIT}, actor=STAFF, now=NOW)
    assert other.items[0].resolution is Resolution.STORE_CREDIT
    with pytest.raises(NotFound):
        return_in(ReturnStatus.INSPECTED).resolve(
            {"itm_9": Resolution.REFUND}, actor=STAFF, now=NOW
        )


@pytest.mark.parametrize(
    ("status", "held"),
    [
        (ReturnStatus.REQUESTED, 2),
        (ReturnStatus.PENDING_REVIEW, 2),
        (ReturnStatus.AUTHORIZED, 2),
        (ReturnStatus.RECEIVED, 2),
        (ReturnStatus.CLOSED, 2),
        (ReturnStatus.DENIED, 0),
        (ReturnStatus.CANCELLED, 0),
        (ReturnStatus.EXPIRED, 0),
    ],
)
def test_live_and_finished_returns_hold_units_but_dead_ones_release_them(
    status: ReturnStatus, held: int
) -> None:
    ret = return_in(status)
    assert ret.held_quantity("1") == held
    assert ret.held_quantity("2") == 0


def test_the_request_itself_is_the_first_history_entry_and_event() -> None:
    ret = requested()
    entry = ret.history[0]
    assert (entry.from_status, entry.to_status, entry.actor) == (
        None,
        ReturnStatus.REQUESTED,
        "customer:ord_1",
    )
    assert [e.type for e in ret.events] == ["return.requested"]
    assert ret.events[0].payload()["data"] == {"in_policy": True}
