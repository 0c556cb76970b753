"""Authorizing many returns at once ends as authorizing each alone would, on both databases."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from rma.adapters import orm
from rma.bootstrap import Container
from rma.domain import rma_numbers
from rma.domain.addresses import Address
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor, DenyReason, Resolution, Return
from rma.domain.sellers import AuthorizationMode, SellerKind
from rma.domain.statuses import ReturnStatus
from rma.services import addresses, review, sellers
from rma.services import returns as service
from rma.services.clock import utcnow
from tests.builders import add_order

STAFF = Actor("seller", "key_1")
ADDRESS = Address("Returns dept.", "1 Dock Road", "Springfield", "12345", "US")


def _manual_seller(container: Container, **settings: Any) -> str:
    """An individual seller who reviews every request, with a default return address."""
    seller = sellers.create_seller(
        sellers.CreateSeller("Shop", SellerKind.INDIVIDUAL), container.uow()
    )
    changes = sellers.ReturnSettings(authorization_mode=AuthorizationMode.MANUAL, **settings)
    sellers.update_settings(seller.id, changes, container.uow(), container.destinations)
    addresses.add_return_address(
        addresses.AddReturnAddress(seller.id, "main", ADDRESS), container.uow()
    )
    return seller.id


def _pending(
    container: Container,
    seller_id: str,
    number: str,
    resolution: Resolution = Resolution.REFUND,
) -> str:
    """A return of both lines of a new order (2 x TEE, 1 x MUG), waiting for review."""
    add_order(container, seller_id, number, delivered_days_ago=3)
    cmd = service.RequestReturn(
        service.Scope(seller_id),
        number,
        [RequestedItem("1", 2, "CR-DEFECTIVE"), RequestedItem("2", 1, "CR-DEFECTIVE")],
        Actor("customer", "portal"),
        resolution,
    )
    ret = service.request_return(cmd, container.uow()).ret
    assert ret.status is ReturnStatus.PENDING_REVIEW
    return ret.id


def _bulk(container: Container, seller_id: str, ids: list[str]) -> list[review.BulkOutcome]:
    cmd = review.AuthorizeReturns(service.Scope(seller_id), ids, STAFF)
    return review.authorize_returns(cmd, container.uow())


def _read(container: Container, seller_id: str, return_id: str) -> Return:
    return service.get_return(service.Scope(seller_id), return_id, container.uow())


def _events(container: Container, return_id: str) -> list[tuple[str, dict[str, Any]]]:
    c = orm.outbox.c
    with container.engine.connect() as connection:
        rows = connection.execute(
            select(c.event_type, c.payload).where(c.aggregate_id == return_id).order_by(c.id)
        )
        return [(event_type, payload["data"]) for event_type, payload in rows]


def _as_seen(container: Container, seller_id: str, return_id: str) -> dict[str, Any]:
    """What the seller and the customer can see of an authorized return, ids aside."""
    ret = _read(container, seller_id, return_id)
    assert ret.rma_number is not None
    assert ret.deadline is not None
    assert ret.window_closes_at is not None
    number = ret.rma_number
    events = _events(container, return_id)
    authorized = next(data for kind, data in events if kind == "return.authorized")
    return {
        "status": ret.status,
        "number_is_generated": rma_numbers.is_valid_generated(number),
        "deadline_after_window_close": ret.deadline - ret.window_closes_at,
        "event_names_the_number_and_deadline": authorized
        == {"rma_number": number, "deadline": ret.deadline.isoformat()},
        "return_address": ret.return_address,
        "return_address_id_is_set": ret.return_address_id is not None,
        "label_type": ret.label_type,
        "authorized_units": [(i.sku, i.authorized_quantity) for i in ret.items],
        "version": ret.version,
        "history": [
            (h.action, h.actor, h.from_status, h.to_status, h.note.replace(number, "<number>"))
            for h in ret.history
        ],
        "events": [kind for kind, _ in events],
    }


def test_bulk_authorization_stores_what_authorizing_each_alone_stores(
    container: Container,
) -> None:
    seller_id = _manual_seller(container)
    alone = _pending(container, seller_id, "A")
    in_bulk = _pending(container, seller_id, "B")

    service.authorize_return(
        service.AuthorizeReturn(service.Scope(seller_id), alone, STAFF), container.uow()
    )
    [outcome] = _bulk(container, seller_id, [in_bulk])

    seen = _as_seen(container, seller_id, in_bulk)
    assert seen == _as_seen(container, seller_id, alone)
    assert seen["status"] is ReturnStatus.AUTHORIZED
    assert seen["number_is_generated"]
    assert seen["deadline_after_window_close"] == timedelta(days=15)
    assert seen["return_address"] == ADDRESS
    assert seen["authorized_units"] == [("TEE", 2), ("MUG", 1)]
    assert seen["version"] == 2  # written when requested (and sent to review), then authorized
    assert seen["history"][-1] == (
        "authorize",
        "seller:key_1",
        ReturnStatus.PENDING_REVIEW,
        ReturnStatus.AUTHORIZED,
        "RMA <number>",
    )
    assert seen["events"] == ["return.requested", "return.pending_review", "return.authorized"]
    assert seen["event_names_the_number_and_deadline"]
    stored = _read(container, seller_id, in_bulk)
    assert (outcome.status, outcome.rma_number, outcome.error) == (
        ReturnStatus.AUTHORIZED,
        stored.rma_number,
        None,
    )


def test_each_id_gets_its_outcome_in_order_across_chunks(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review, "CHUNK", 2)
    seller_id = _manual_seller(container)
    pending = [_pending(container, seller_id, f"P{n}") for n in range(3)]
    denied = _pending(container, seller_id, "D")
    service.deny_return(
        service.DenyReturn(service.Scope(seller_id), denied, STAFF, DenyReason.OTHER),
        container.uow(),
    )
    other_seller = _manual_seller(container)
    foreign = _pending(container, other_seller, "F")
    ids = [pending[0], "ret_unknown", denied, foreign, pending[1], pending[0], pending[2]]

    outcomes = _bulk(container, seller_id, ids)

    assert [o.id for o in outcomes] == ids
    answers = [o.error.code if o.error else str(o.status) for o in outcomes]
    assert answers == [
        "authorized",
        "return_not_found",
        "illegal_transition",
        "return_not_found",
        "authorized",
        "authorized",
        "authorized",
    ]
    assert outcomes[0] == outcomes[5]  # the same id asked twice is authorized once
    numbers = {o.rma_number for o in outcomes if o.error is None}
    assert len(numbers) == 3
    assert {_read(container, seller_id, i).rma_number for i in pending} == numbers
    assert _read(container, seller_id, denied).status is ReturnStatus.DENIED
    assert _read(container, other_seller, foreign).status is ReturnStatus.PENDING_REVIEW
    assert [kind for kind, _ in _events(container, denied)].count("return.authorized") == 0


def test_a_return_the_customer_keeps_is_resolved_as_it_is_authorized_in_bulk(
    container: Container,
) -> None:
    seller_id = _manual_seller(container, keep_item_max_value=3000)
    kept = _pending(container, seller_id, "K", Resolution.KEEP_ITEM)
    refunded = _pending(container, seller_id, "R")

    outcomes = _bulk(container, seller_id, [kept, refunded])

    assert [o.status for o in outcomes] == [ReturnStatus.RESOLVED, ReturnStatus.AUTHORIZED]
    assert _read(container, seller_id, kept).status is ReturnStatus.RESOLVED
    kinds = [kind for kind, _ in _events(container, kept)]
    assert kinds.count("return.authorized") == 1
    assert kinds.count("return.resolved") == 1
    with container.uow() as uow:
        refund = uow.refunds.for_return(seller_id, kept)
        assert refund is not None
        assert refund.amount > 0
        assert uow.refunds.for_return(seller_id, refunded) is None


def _wait_for_a_lock_wait(container: Container, seconds: float = 10) -> None:
    """Until some session waits for a row lock (PostgreSQL), or a moment (SQLite)."""
    if container.engine.dialect.name != "postgresql":
        time.sleep(0.5)  # the bulk call waits for the write lock BEGIN IMMEDIATE takes
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with container.engine.connect() as connection:
            waiting = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the bulk authorization never waited for the row lock")


def test_a_return_denied_while_the_bulk_call_waits_stays_denied(container: Container) -> None:
    seller_id = _manual_seller(container)
    contested = _pending(container, seller_id, "C")
    free = _pending(container, seller_id, "F")
    outcomes: list[review.BulkOutcome] = []

    with container.uow() as uow:
        ret = uow.returns.get(seller_id, contested)
        assert ret is not None
        ret.deny(reason=DenyReason.OTHER, note="changed my mind", actor=STAFF, now=utcnow())
        uow.session.flush()  # the row is now locked by this transaction, not yet committed
        bulk = threading.Thread(
            target=lambda: outcomes.extend(_bulk(container, seller_id, [contested, free]))
        )
        bulk.start()
        _wait_for_a_lock_wait(container)
        uow.commit()
    bulk.join(timeout=30)

    assert [o.error.code if o.error else str(o.status) for o in outcomes] == [
        "illegal_transition",
        "authorized",
    ]
    stored = _read(container, seller_id, contested)
    assert stored.status is ReturnStatus.DENIED
    assert stored.rma_number is None
    assert [h.action for h in stored.history] == ["request", "send_to_review", "deny"]
    kinds = [kind for kind, _ in _events(container, contested)]
    assert kinds.count("return.denied") == 1
    assert "return.authorized" not in kinds
