"""The return use cases over the in-memory unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rma.adapters.destinations import DestinationGuard
from rma.domain import rma_numbers
from rma.domain.errors import DuplicateRmaNumber, InvalidInput, NoReturnableItems, NotFound
from rma.domain.orders import Order
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.domain.sellers import AuthorizationMode, SellerKind
from rma.domain.statuses import ReturnStatus
from rma.services import returns as service
from rma.services import sellers
from rma.services.clock import utcnow
from tests.fakes import FakeUnitOfWork
from tests.unit.factories import order

CUSTOMER = Actor("customer", "ord_1001")
STAFF = Actor("seller", "key_1")

GUARD = DestinationGuard(allow_private=False)  # no URL is set here: nothing resolves


def _shop(uow: FakeUnitOfWork, kind: SellerKind = SellerKind.PROFESSIONAL) -> str:
    seller = sellers.create_seller(sellers.CreateSeller("Shop", kind), uow)
    return seller.id


def _order(uow: FakeUnitOfWork, seller_id: str, number: str, delivered_days_ago: int) -> Order:
    shipped = order(number=number, delivered_at=utcnow() - timedelta(days=delivered_days_ago))
    shipped.seller_id = seller_id
    shipped.ordered_at = utcnow() - timedelta(days=delivered_days_ago + 3)
    with uow:
        uow.orders.add(shipped)
        uow.commit()
    return shipped


def _request(
    uow: FakeUnitOfWork, seller_id: str, number: str, quantity: int = 1, line: str = "1"
) -> service.RequestOutcome:
    cmd = service.RequestReturn(
        service.Scope(seller_id),
        number,
        [RequestedItem(line, quantity, "CR-UNWANTED_ITEM")],
        CUSTOMER,
    )
    return service.request_return(cmd, uow)


def test_in_policy_request_of_a_professional_seller_is_authorized_at_once() -> None:
    uow = FakeUnitOfWork()
    seller_id = _shop(uow)
    _order(uow, seller_id, "1001", delivered_days_ago=3)

    ret = _request(uow, seller_id, "1001").ret

    assert ret.status is ReturnStatus.AUTHORIZED
    assert ret.rma_number is not None
    assert rma_numbers.is_valid_generated(ret.rma_number)
    assert ret.deadline is not None
    assert ret.window_closes_at is not None
    assert ret.deadline == ret.window_closes_at + timedelta(days=15)
    assert [e.type for e in uow.outbox] == ["return.requested", "return.authorized"]
    assert uow.returns.get(seller_id, ret.id) is ret


def test_out_of_policy_request_waits_for_review() -> None:
    uow = FakeUnitOfWork()
    seller_id = _shop(uow)
    _order(uow, seller_id, "1001", delivered_days_ago=31)

    ret = _request(uow, seller_id, "1001").ret

    assert ret.status is ReturnStatus.PENDING_REVIEW
    assert ret.rma_number is None
    assert not ret.in_policy
    assert [v["code"] for v in ret.violations] == ["return_window_ended"]
    assert [e.type for e in uow.outbox] == ["return.requested", "return.pending_review"]


def test_individual_seller_in_manual_mode_reviews_even_in_policy_requests() -> None:
    uow = FakeUnitOfWork()
    seller_id = _shop(uow, SellerKind.INDIVIDUAL)
    sellers.update_settings(
        seller_id, sellers.ReturnSettings(authorization_mode=AuthorizationMode.MANUAL), uow, GUARD
    )
    _order(uow, seller_id, "1001", delivered_days_ago=3)

    ret = _request(uow, seller_id, "1001").ret

    assert ret.status is ReturnStatus.PENDING_REVIEW
    assert ret.in_policy
    assert ret.history[-1].note == "manual authorization"


def test_professional_seller_cannot_choose_manual_mode() -> None:
    uow = FakeUnitOfWork()
    seller_id = _shop(uow)
    with pytest.raises(InvalidInput) as raised:
        sellers.update_settings(
            seller_id,
            sellers.ReturnSettings(authorization_mode=AuthorizationMode.MANUAL),
            uow,
            GUARD,
        )
    assert raised.value.code == "manual_mode_not_allowed"


def test_units_held_by_one_return_cannot_be_returned_again_until_it_is_cancelled() -> None:
    uow = FakeUnitOfWork()
    seller_id = _shop(uow)
    _order(uow, seller_id, "1001", delivered_days_ago=3)
    first = _request(uow, seller_id, "1001", quantity=1).ret
    _request(uow, seller_id, "1001", quantity=1)

    with pytest.raises(NoReturnableItems) as raised:
        _request(uow, seller_id, "1001", quantity=1)
    assert raised.value.details[0]["code"] == "quantity_exceeds_returnable"

    service.cancel_return(service.FinishReturn(service.Scope(seller_id), first.id, CUSTOMER), uow)
    assert _request(uow, seller_id, "1001", quantity=1).ret.status is ReturnStatus.AUTHORIZED


def test_a_custom_rma_number_already_used_by_the_seller_is_a_clash() -> None:
    uow = FakeUnitOfWork()
    seller_id = _shop(uow)
    _order(uow, seller_id, "1001", delivered_days_ago=40)
    _order(uow, seller_id, "1002", delivered_days_ago=40)
    first = _request(uow, seller_id, "1001").ret
    second = _request(uow, seller_id, "1002").ret
    scope = service.Scope(seller_id)

    service.authorize_return(service.AuthorizeReturn(scope, first.id, STAFF, "rma-7"), uow)
    with pytest.raises(DuplicateRmaNumber) as raised:
        service.authorize_return(service.AuthorizeReturn(scope, second.id, STAFF, "RMA-7"), uow)

    assert raised.value.details[0]["return_id"] == first.id
    assert second.status is ReturnStatus.PENDING_REVIEW
    # Another seller may use the same number.
    other_id = _shop(uow)
    _order(uow, other_id, "1001", delivered_days_ago=40)
    theirs = _request(uow, other_id, "1001").ret
    service.authorize_return(
        service.AuthorizeReturn(service.Scope(other_id), theirs.id, STAFF, "RMA-7"), uow
    )
    assert theirs.rma_number == "RMA-7"


def test_a_return_is_found_by_id_or_rma_number_only_within_its_scope() -> None:
    uow = FakeUnitOfWork()
    seller_id = _shop(uow)
    _order(uow, seller_id, "1001", delivered_days_ago=3)
    _order(uow, seller_id, "1002", delivered_days_ago=3)
    ret = _request(uow, seller_id, "1001").ret
    assert ret.rma_number is not None

    assert service.get_return(service.Scope(seller_id), ret.rma_number.lower(), uow) is ret
    with pytest.raises(NotFound):
        service.get_return(service.Scope(_shop(uow)), ret.id, uow)
    with pytest.raises(NotFound):
        service.get_return(service.Scope(seller_id, order_id="ord_1002"), ret.id, uow)


def test_a_request_for_an_unknown_order_names_the_field() -> None:
    uow = FakeUnitOfWork()
    seller_id = _shop(uow)
    with pytest.raises(NotFound) as raised:
        _request(uow, seller_id, "nope")
    assert raised.value.details == [{"field": "order_number", "value": "nope"}]


def test_expiry_moves_authorized_returns_past_their_deadline() -> None:
    uow = FakeUnitOfWork()
    seller_id = _shop(uow)
    _order(uow, seller_id, "1001", delivered_days_ago=3)
    ret = _request(uow, seller_id, "1001").ret
    assert ret.deadline is not None

    assert service.expire_due_returns(uow, now=ret.deadline - timedelta(seconds=1)) == 0
    assert service.expire_due_returns(uow, now=ret.deadline + timedelta(seconds=1)) == 1
    assert ret.status is ReturnStatus.EXPIRED
    assert uow.outbox[-1].type == "return.expired"


def test_nothing_is_kept_when_a_use_case_fails_before_commit() -> None:
    uow = FakeUnitOfWork()
    seller_id = _shop(uow)
    _order(uow, seller_id, "1001", delivered_days_ago=3)
    with pytest.raises(InvalidInput):
        _request(uow, seller_id, "1001", line="9")
    assert uow.returns.for_order(seller_id, "ord_1001") == []
    assert [e.type for e in uow.outbox] == []
