"""Screening of fulfillment return units, in plain Python: known, refused, new by facility."""

from __future__ import annotations

from datetime import UTC, datetime

from rma.domain.amazon import (
    InvalidItemReason,
    RequestedReturnItem,
    screen_items,
)
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.returns import Return, ReturnItem
from rma.domain.statuses import ReturnStatus

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _order() -> Order:
    return Order(
        id="ord_1",
        seller_id="sel_1",
        number="FO-1",
        customer_email="a@example.com",
        currency="USD",
        ordered_at=NOW,
        lines=[OrderLine("a", "TEE", 2, 100), OrderLine("b", "MUG", 1, 100)],
        shipments=[
            Shipment("S1", NOW, facility_code="FC1", items=[ShipmentItem("a", 2)]),
            Shipment("S2", NOW, facility_code="FC2", items=[ShipmentItem("b", 1)]),
        ],
    )


def _return(status: ReturnStatus, *items: ReturnItem) -> Return:
    return Return(
        id="ret_1",
        seller_id="sel_1",
        order_id="ord_1",
        order_number="FO-1",
        customer_email="a@example.com",
        currency="USD",
        status=status,
        created_at=NOW,
        updated_at=NOW,
        items=list(items),
    )


def _held(item_id: str, line: str, shipment: str) -> ReturnItem:
    return ReturnItem(
        id=f"itm_{item_id}",
        line_id=line,
        sku="TEE",
        unit_price=100,
        requested_quantity=1,
        authorized_quantity=1,
        reason_code="CR-DEFECTIVE",
        shipment_id=shipment,
        seller_return_item_id=item_id,
    )


def _unit(
    item_id: str, line: str, shipment: str, reason: str = "CR-DEFECTIVE"
) -> RequestedReturnItem:
    return RequestedReturnItem(item_id, line, shipment, reason)


def _any_reason(sku: str, code: str) -> bool:
    return code.startswith("CR-")


def test_new_units_are_grouped_by_the_facility_they_left_from() -> None:
    screening = screen_items(
        _order(), [_unit("r1", "a", "S1"), _unit("r2", "b", "S2")], [], _any_reason
    )
    assert {
        code: [u.seller_return_item_id for u in units]
        for code, units in screening.new_by_facility.items()
    } == {
        "FC1": ["r1"],
        "FC2": ["r2"],
    }
    assert screening.invalid == []


def test_a_unit_asked_again_is_known_and_another_unit_under_its_id_is_a_duplicate() -> None:
    held = _held("r1", "a", "S1")
    screening = screen_items(
        _order(),
        [_unit("r1", "a", "S1"), _unit("r1", "b", "S2")],
        [_return(ReturnStatus.AUTHORIZED, held)],
        _any_reason,
    )
    assert screening.known == [(screening.known[0][0], held)]
    assert [i.reason for i in screening.invalid] == [InvalidItemReason.DUPLICATE_REQUEST]


def test_units_of_a_cancelled_return_are_free_again() -> None:
    cancelled = _return(ReturnStatus.CANCELLED, _held("r1", "a", "S1"), _held("r2", "a", "S1"))
    screening = screen_items(
        _order(), [_unit("r1", "a", "S1"), _unit("r3", "a", "S1")], [cancelled], _any_reason
    )
    assert screening.known == []
    assert len(screening.new_by_facility["FC1"]) == 2


def test_each_refusal_has_the_models_reason() -> None:
    order = _order()
    order.lines.append(OrderLine("c", "CAP", 1, 100))
    screening = screen_items(
        order,
        [
            _unit("r1", "a", "S1"),
            _unit("r2", "a", "S1"),
            _unit("r3", "a", "S1"),
            _unit("r4", "zz", "S1"),
            _unit("r5", "b", "S1"),
            _unit("r6", "c", "S1"),
            _unit("r7", "b", "S2", reason="TestReturn"),
            _unit("r2", "a", "S1"),
        ],
        [],
        _any_reason,
    )
    assert [(i.item.seller_return_item_id, i.reason) for i in screening.invalid] == [
        ("r3", InvalidItemReason.NO_RETURNABLE_QUANTITY),
        ("r4", InvalidItemReason.INVALID_VALUES),
        ("r5", InvalidItemReason.INVALID_VALUES),
        ("r6", InvalidItemReason.NO_COMPLETED_SHIP_ITEMS),
        ("r7", InvalidItemReason.INVALID_VALUES),
        ("r2", InvalidItemReason.DUPLICATE_REQUEST),
    ]
