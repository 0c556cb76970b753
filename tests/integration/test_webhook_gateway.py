"""The webhook payment gateway against a real payment system on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from rma.adapters.destinations import DestinationGuard, guarded_transport
from rma.adapters.payments import WebhookGateway
from rma.domain.access import new_webhook_secret
from rma.domain.sellers import PaymentGatewayKind, Seller, SellerKind
from rma.services.payments import AnswerStatus, RefundRequest
from tests.payment_server import PaymentSystem, payment_system

REQUEST = RefundRequest("rfd_1", "ret_1", "ord_1", 4650, "USD", "rfd_1.1")


@pytest.fixture
def system() -> Iterator[PaymentSystem]:
    with payment_system() as running:
        running.secret = new_webhook_secret()
        yield running


def seller_of(system: PaymentSystem, url: str | None = None) -> Seller:
    return Seller(
        id="sel_1",
        name="Shop",
        kind=SellerKind.PROFESSIONAL,
        created_at=datetime.now(UTC),
        payment_gateway=PaymentGatewayKind.WEBHOOK,
        payment_webhook_url=url or system.url,
        payment_webhook_secret=system.secret,
    )


def gateway(timeout: float = 5, allow_private: bool = True) -> WebhookGateway:
    guard = DestinationGuard(allow_private)
    client = httpx.Client(transport=guarded_transport(guard), timeout=timeout)
    return WebhookGateway(client, guard)


def test_the_request_is_signed_and_a_payment_succeeds(system: PaymentSystem) -> None:
    answer = gateway().request_refund(seller_of(system), REQUEST)

    assert (answer.status, answer.reference) == (AnswerStatus.SUCCEEDED, "pay_1")
    [seen] = system.requests
    assert seen["signed"] is True
    assert seen["key"] == "rfd_1.1"
    assert seen["body"]["data"] == {
        "refund_id": "rfd_1",
        "return_id": "ret_1",
        "order_id": "ord_1",
        "amount": 4650,
        "currency": "USD",
    }


def test_asking_twice_with_the_same_key_pays_once(system: PaymentSystem) -> None:
    first = gateway().request_refund(seller_of(system), REQUEST)
    second = gateway().request_refund(seller_of(system), REQUEST)

    assert first.reference == second.reference
    assert len(system.requests) == 2
    assert len(system.payments) == 1


def test_a_garbage_answer_leaves_the_refund_pending(system: PaymentSystem) -> None:
    system.mode = "garbage"

    answer = gateway().request_refund(seller_of(system), REQUEST)

    assert answer.status is AnswerStatus.PENDING
    assert "unreadable" in answer.reason


def test_a_refusal_fails_the_refund_in_our_words_not_the_gateways(
    system: PaymentSystem,
) -> None:
    system.mode = "refuse"

    answer = gateway().request_refund(seller_of(system), REQUEST)

    assert (answer.status, answer.reason) == (
        AnswerStatus.FAILED,
        "refused by the payment gateway",
    )


def test_a_gateway_that_times_out_leaves_the_refund_pending(system: PaymentSystem) -> None:
    system.mode = "hold"  # pays, then never answers in time

    answer = gateway(timeout=0.2).request_refund(seller_of(system), REQUEST)

    assert answer.status is AnswerStatus.PENDING
    assert "Timeout" in answer.reason


def test_an_unreachable_gateway_leaves_the_refund_pending(system: PaymentSystem) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/refunds"

    answer = gateway().request_refund(seller_of(system, closed), REQUEST)

    assert answer.status is AnswerStatus.PENDING
