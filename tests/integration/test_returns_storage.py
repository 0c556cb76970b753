"""Returns in the database: round trips, aware times, and concurrent moves."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from rma.adapters import orm
from rma.bootstrap import Container
from rma.domain.errors import ConcurrentUpdate, Conflict, NoReturnableItems
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor, Receipt, Return
from rma.domain.statuses import ReturnStatus
from rma.services import catalog, review, sellers
from rma.services import returns as service
from rma.services.clock import utcnow
from rma.services.unit_of_work import Cursor, ReturnFilter

STAFF = Actor("seller", "key_1")


def _seller(container: Container, name: str = "Shop") -> str:
    return sellers.create_seller(sellers.CreateSeller(name), container.uow()).id


def _order(
    container: Container, seller_id: str, number: str = "1001", delivered: datetime | None = None
) -> Order:
    delivered = delivered or utcnow() - timedelta(days=3)
    order = Order(
        id=new_id("ord"),
        seller_id=seller_id,
        number=number,
        customer_email="ada@example.com",
        currency="USD",
        ordered_at=delivered - timedelta(days=4),
        lines=[OrderLine("1", "TEE", 2, 2500, "Tee"), OrderLine("2", "MUG", 1, 1200, "Mug")],
        shipments=[
            Shipment(
                id=new_id("shp"),
                shipped_at=delivered - timedelta(days=2),
                delivered_at=delivered,
                items=[ShipmentItem("1", 2), ShipmentItem("2", 1)],
            )
        ],
    )
    return catalog.add_order(order, container.uow())


def _request(container: Container, seller_id: str, number: str = "1001") -> Return:
    cmd = service.RequestReturn(
        service.Scope(seller_id),
        number,
        [RequestedItem("1", 2, "CR-DEFECTIVE", "torn"), RequestedItem("2", 1, "CR-DEFECTIVE")],
        Actor("customer", "ord"),
    )
    return service.request_return(cmd, container.uow()).ret


def _outbox(container: Container, return_id: str, event_type: str) -> int:
    c = orm.outbox.c
    with container.engine.connect() as connection:
        query = select(func.count()).where(c.aggregate_id == return_id, c.event_type == event_type)
        return int(connection.execute(query).scalar_one())


def test_a_return_comes_back_with_its_items_history_and_events_written(
    container: Container,
) -> None:
    seller_id = _seller(container)
    _order(container, seller_id)
    created = _request(container, seller_id)

    with container.uow() as uow:
        loaded = uow.returns.get(seller_id, created.id)
        assert loaded is not None
        assert loaded is not created
        assert loaded.status is ReturnStatus.AUTHORIZED
        assert loaded.rma_number == created.rma_number
        assert [(i.line_id, i.requested_quantity, i.authorized_quantity) for i in loaded.items] == [
            (i.line_id, i.requested_quantity, i.authorized_quantity) for i in created.items
        ]
        assert loaded.items[0].comment in {"torn", ""}
        assert [(h.from_status, h.to_status, h.actor) for h in loaded.history] == [
            (None, ReturnStatus.REQUESTED, "customer:ord"),
            (ReturnStatus.REQUESTED, ReturnStatus.AUTHORIZED, "system:rma"),
        ]
        assert loaded.events == []
        assert loaded.version == 1
    assert _outbox(container, created.id, "return.requested") == 1
    assert _outbox(container, created.id, "return.authorized") == 1


def test_times_come_back_timezone_aware_in_utc(container: Container) -> None:
    seller_id = _seller(container)
    delivered = datetime(2026, 3, 28, 23, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    order = _order(container, seller_id, delivered=delivered)

    with container.uow() as uow:
        loaded = uow.orders.get(seller_id, order.id)
        assert loaded is not None
        stored = loaded.shipments[0].delivered_at
        assert stored is not None
        assert stored.utcoffset() == timedelta(0)
        assert stored == delivered
        assert loaded.ordered_at.tzinfo is not None
        assert loaded.ordered_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused_rather_than_guessed(container: Container) -> None:
    seller_id = _seller(container)
    with pytest.raises(Exception, match="naive"):
        _order(container, seller_id, delivered=datetime(2026, 3, 1, 12, 0))


def _move_both(container: Container, return_id: str, seller_id: str) -> tuple[Return, Return]:
    first, second = container.uow(), container.uow()
    with first, second:
        a = first.returns.get(seller_id, return_id)
        b = second.returns.get(seller_id, return_id)
        assert a is not None
        assert b is not None
        a.receive([Receipt(a.items[0].id, 2)], actor=STAFF, now=utcnow())
        b.close(actor=STAFF, now=utcnow(), note="closed by someone else")
        first.commit()
        with pytest.raises(ConcurrentUpdate):
            second.commit()
    return a, b


@pytest.mark.postgres_only
def test_of_two_units_of_work_moving_one_return_the_second_commit_loses(
    container: Container,
) -> None:
    seller_id = _seller(container)
    _order(container, seller_id)
    ret = _request(container, seller_id)

    _move_both(container, ret.id, seller_id)

    with container.uow() as uow:
        stored = uow.returns.get(seller_id, ret.id)
        assert stored is not None
        assert stored.status is ReturnStatus.PARTIALLY_RECEIVED
        assert stored.version == 2
        assert [h.action for h in stored.history] == ["request", "authorize", "receive"]
    assert _outbox(container, ret.id, "return.closed") == 0
    assert _outbox(container, ret.id, "return.received") == 1


def _in_threads(work: Callable[[], None], count: int) -> None:
    """``work`` in ``count`` threads at once, until every one is done."""
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_concurrent_requests_for_an_orders_last_unit_make_one_return(
    container: Container,
) -> None:
    # The order is read locked (its shipments in the same round trip): requests for the
    # same order wait for each other, so the last unit is returned once.
    seller_id = _seller(container)
    _order(container, seller_id)  # line 2: one mug
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def request() -> None:
        cmd = service.RequestReturn(
            service.Scope(seller_id),
            "1001",
            [RequestedItem("2", 1, "CR-DEFECTIVE")],
            Actor("customer", "ord"),
        )
        start.wait()
        try:
            service.request_return(cmd, container.uow())
            outcomes.append("made")
        except (Conflict, NoReturnableItems) as error:
            outcomes.append(error.code)

    _in_threads(request, 6)
    assert outcomes.count("made") == 1, outcomes
    with container.engine.connect() as connection:
        items = orm.return_items.c
        query = select(func.sum(items.requested_quantity)).where(items.line_id == "2")
        assert connection.execute(query).scalar_one() == 1


def test_two_concurrent_moves_of_one_return_cannot_both_win(container: Container) -> None:
    seller_id = _seller(container)
    _order(container, seller_id)
    ret = _request(container, seller_id)
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def close() -> None:
        start.wait()
        try:
            service.close_return(
                service.FinishReturn(service.Scope(seller_id), ret.id, STAFF, "done"),
                container.uow(),
            )
            outcomes.append("closed")
        except Conflict as error:  # IllegalTransition when serialized, else ConcurrentUpdate
            outcomes.append(error.code)

    _in_threads(close, 4)

    assert outcomes.count("closed") == 1
    assert set(outcomes) - {"closed"} <= {"illegal_transition", "concurrent_update"}
    with container.uow() as uow:
        stored = uow.returns.get(seller_id, ret.id)
        assert stored is not None
        assert [h.action for h in stored.history].count("close") == 1
    assert _outbox(container, ret.id, "return.closed") == 1


def test_expired_returns_are_found_across_sellers_by_the_job_only(container: Container) -> None:
    seller_id = _seller(container)
    _order(container, seller_id)
    ret = _request(container, seller_id)
    assert ret.deadline is not None
    later = ret.deadline + timedelta(minutes=1)

    assert service.expire_due_returns(container.uow(), now=later) == 1
    assert service.get_return(service.Scope(seller_id), ret.id, container.uow()).status is (
        ReturnStatus.EXPIRED
    )
    assert service.expire_due_returns(container.uow(), now=later) == 0


def test_page_walks_newest_first_with_a_cursor(container: Container) -> None:
    seller_id = _seller(container)
    ids = []
    for number in ("1", "2", "3"):
        _order(container, seller_id, number)
        ids.append(_request(container, seller_id, number).id)
    scope = service.Scope(seller_id)
    where = ReturnFilter()
    first = review.list_returns(scope, where, container.uow(), after=None, limit=2)
    after = Cursor(first[-1].created_at, first[-1].id)
    rest = review.list_returns(scope, where, container.uow(), after=after, limit=2)
    assert [r.id for r in first + rest] == sorted(ids, reverse=True)
    assert all(r.created_at.tzinfo is UTC or r.created_at.utcoffset() == timedelta(0) for r in rest)


def test_the_order_a_request_reads_untracked_is_the_order_as_stored(container: Container) -> None:
    seller_id = _seller(container)
    stored = _order(container, seller_id)
    with container.uow() as uow:
        uow.orders.add(
            Order(
                id=new_id("ord"),
                seller_id=seller_id,
                number="1002",
                customer_email="bo@example.com",
                currency="EUR",
                ordered_at=utcnow(),
                lines=[OrderLine("9", "CAP", 1, 900, "Cap", tax_per_unit=90)],
                shipments=[
                    Shipment(
                        new_id("shp"),
                        utcnow(),
                        carrier="UPS",
                        tracking_number="1Z",
                        facility_code="WH-1",
                    ),
                    Shipment(new_id("shp"), utcnow() + timedelta(hours=1)),
                ],
            )
        )
        uow.commit()

    def shape(value: object) -> object:
        # Every field of the order, its lines, shipments and their items: a field the snapshot
        # forgot to fill would read None, not the default the tracked order has.
        if isinstance(value, list):
            return [shape(one) for one in value]
        if dataclasses.is_dataclass(value):
            return {f.name: shape(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return value

    for number in ("1001", "1002"):
        with container.uow() as uow:
            tracked = uow.orders.by_number(seller_id, number)
            snapshot = uow.orders.to_return_from(seller_id, number)
            assert tracked is not None
            assert snapshot is not None
            assert shape(snapshot) == shape(tracked)
            assert snapshot not in uow.session  # read, never saved
    other = _seller(container, "Other")
    with container.uow() as uow:
        assert uow.orders.to_return_from(seller_id, "404") is None
        assert uow.orders.to_return_from(other, stored.number) is None
