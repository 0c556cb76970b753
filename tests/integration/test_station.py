"""What the warehouse station reads and receives: one seller's return, by name, with flags."""

from __future__ import annotations

import pytest

from rma.bootstrap import Container
from rma.domain.errors import NotFound
from rma.domain.flags import FlagCode
from rma.domain.policy import RequestedItem
from rma.domain.receiving import ReceiptStatus
from rma.domain.returns import Actor, Receipt, Return
from rma.domain.statuses import ReturnStatus
from rma.services import receiving, returns, station
from tests.builders import seller_with_order

WAREHOUSE = Actor("warehouse", "key_w")


def authorized(container: Container, seller_id: str, number: str) -> Return:
    items = [RequestedItem("1", 2, "CR-UNWANTED_ITEM"), RequestedItem("2", 1, "CR-UNWANTED_ITEM")]
    cmd = returns.RequestReturn(returns.Scope(seller_id), number, items, Actor("customer", "c"))
    ret = returns.request_return(cmd, container.uow()).ret
    assert ret.status is ReturnStatus.AUTHORIZED
    return ret


def test_the_station_shows_items_by_name_with_what_is_still_expected_and_their_flags(
    container: Container,
) -> None:
    seller, order = seller_with_order(container)
    ret = authorized(container, seller.id, order.number)
    tee, mug = ret.items
    counted = [Receipt(tee.id, 3), Receipt(mug.id, 0)]

    outcome = station.receive_count(
        station.ReceiveCount(seller.id, ret.rma_number or "", WAREHOUSE, counted), container.uow()
    )

    assert outcome.receipt.status is ReceiptStatus.MATCHED
    view = station.return_at_station(returns.Scope(seller.id), ret.id, container.uow())
    assert view.ret.status is ReturnStatus.PARTIALLY_RECEIVED
    assert [(i.name, i.item.received_quantity, i.expected) for i in view.items] == [
        ("Tee", 3, 0),
        ("Mug", 0, 1),
    ]
    assert [f.code for f in view.items[0].flags] == [FlagCode.OVER_RECEIPT]
    assert [f.code for f in view.items[1].flags] == [FlagCode.PARTIAL_RECEIPT]
    assert (view.receivable, view.inspectable) == (True, False)


def test_another_sellers_return_is_neither_shown_nor_received_nor_queued(
    container: Container,
) -> None:
    seller, _ = seller_with_order(container)
    other, other_order = seller_with_order(container, number="9")
    theirs = authorized(container, other.id, other_order.number)

    with pytest.raises(NotFound):
        station.return_at_station(returns.Scope(seller.id), theirs.id, container.uow())
    with pytest.raises(NotFound):
        station.receive_count(
            station.ReceiveCount(seller.id, theirs.id, WAREHOUSE, [Receipt(theirs.items[0].id, 1)]),
            container.uow(),
        )

    mine = receiving.list_receipts(seller.id, None, container.uow(), after=None, limit=10)
    assert mine == []
    untouched = returns.get_return(returns.Scope(other.id), theirs.id, container.uow())
    assert untouched.status is ReturnStatus.AUTHORIZED
