"""Authorized returns with nothing shipped expire after their deadline, on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rma.adapters.orm import outbox
from rma.bootstrap import Container
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.domain.statuses import ReturnStatus
from rma.services import returns
from rma.services.clock import utcnow
from tests.builders import seller_with_order


def test_authorized_return_expires_after_window_plus_transit_days(container: Container) -> None:
    seller, order = seller_with_order(container, delivered_days_ago=10)
    scope = returns.Scope(seller.id)
    outcome = returns.request_return(
        returns.RequestReturn(scope, order.number, order_items(), Actor("customer", "c")),
        container.uow(),
    )
    ret = outcome.ret
    assert ret.status is ReturnStatus.AUTHORIZED
    assert ret.deadline is not None
    assert ret.window_closes_at is not None
    assert ret.deadline == ret.window_closes_at + timedelta(days=15)

    assert returns.expire_due_returns(container.uow(), now=ret.deadline - timedelta(seconds=1)) == 0
    assert returns.expire_due_returns(container.uow(), now=ret.deadline + timedelta(seconds=1)) == 1

    expired = returns.get_return(scope, ret.id, container.uow())
    assert expired.status is ReturnStatus.EXPIRED
    last = expired.history[-1]
    assert (last.action, last.actor, last.from_status) == ("expire", "system:rma", "authorized")
    with container.engine.connect() as connection:
        types = connection.scalars(
            select(outbox.c.event_type).where(outbox.c.aggregate_id == ret.id)
        ).all()
    assert "return.expired" in types


def test_returns_not_authorized_or_already_shipped_never_expire(container: Container) -> None:
    seller, order = seller_with_order(container, delivered_days_ago=40)
    scope = returns.Scope(seller.id)
    pending = returns.request_return(
        returns.RequestReturn(scope, order.number, order_items(), Actor("customer", "c")),
        container.uow(),
    ).ret
    assert pending.status is ReturnStatus.PENDING_REVIEW
    later = utcnow() + timedelta(days=400)
    assert returns.expire_due_returns(container.uow(), now=later) == 0
    assert (
        returns.get_return(scope, pending.id, container.uow()).status is ReturnStatus.PENDING_REVIEW
    )


def order_items() -> list[RequestedItem]:
    return [RequestedItem("1", 1, "CR-UNWANTED_ITEM")]
