"""Refunds through the webhook gateway: paid at once, or asked again until the answer is clear."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from rma.bootstrap import Container
from rma.services.clock import utcnow
from rma.services.refunds import send_due_refunds
from rma.worker import run_due_jobs
from tests.payment_server import PaymentSystem, payment_system
from tests.returns_flow import inspected_return, receive, resolution, start_return
from tests.support import Shop, error_code, ok, open_shop


@pytest.fixture
def system(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[PaymentSystem]:
    """The seller's payment system on loopback, which the operator lets rma call."""
    monkeypatch.setattr(container.destinations, "allow_private", True)
    with payment_system() as running:
        yield running


def webhook_shop(http: httpx.Client, system: PaymentSystem) -> Shop:
    shop = open_shop(http)
    settings = ok(
        shop.call(
            "PUT",
            "/v1/settings",
            json={"payment_gateway": "webhook", "payment_webhook_url": system.url},
        )
    )
    system.secret = settings["payment_webhook_secret"]
    return shop


def test_the_webhook_gateway_needs_an_address(http: httpx.Client) -> None:
    shop = open_shop(http)

    answer = shop.call("PUT", "/v1/settings", json={"payment_gateway": "webhook"})

    assert error_code(answer, 422) == "payment_webhook_url_required"
    assert ok(shop.call("GET", "/v1/settings"))["payment_gateway"] == "manual"
    assert ok(shop.call("GET", "/v1/settings"))["payment_webhook_secret"].startswith("whsec_")
    assert shop.call("GET", "/v1/settings", "warehouse").status_code == 403


def events(container: Container, kind: str) -> list[str]:
    with container.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT aggregate_id FROM outbox WHERE event_type = :kind"), {"kind": kind}
        )
        return [row[0] for row in rows]


def test_webhook_refund_is_paid_when_the_return_resolves(
    http: httpx.Client, container: Container, system: PaymentSystem
) -> None:
    shop = webhook_shop(http, system)
    ret, _ = inspected_return(shop, "W-1", reason="CR-DEFECTIVE")

    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))
    # The request only records the refund; the worker asks the gateway.
    assert resolution(shop, ret)["refund"]["status"] == "pending"
    assert system.requests == []
    assert send_due_refunds(container.uow(), container.payments) == 1

    refund = resolution(shop, ret)["refund"]
    assert (refund["status"], refund["reference"]) == ("succeeded", "pay_1")
    assert [r["signed"] for r in system.requests] == [True]
    assert system.requests[0]["key"] == refund["idempotency_key"]
    assert events(container, "return.resolved") == [ret]
    assert events(container, "refund.succeeded") == [ret]


def test_a_garbled_answer_stays_pending_until_the_reconciler_gets_a_clear_one(
    http: httpx.Client, container: Container, system: PaymentSystem
) -> None:
    shop = webhook_shop(http, system)
    ret, _ = inspected_return(shop, "W-2", reason="CR-DEFECTIVE")
    system.mode = "garbage"

    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))
    assert send_due_refunds(container.uow(), container.payments) == 1
    pending = resolution(shop, ret)["refund"]
    assert pending["status"] == "pending"
    assert "unreadable" in pending["failure_reason"]
    # Not due yet: nobody asks again before the backoff has passed.
    assert send_due_refunds(container.uow(), container.payments) == 0

    system.mode = "pay"
    later = utcnow() + timedelta(hours=1)
    assert send_due_refunds(container.uow(), container.payments, now=later) == 1

    refund = resolution(shop, ret)["refund"]
    assert refund["status"] == "succeeded"
    assert [r["key"] for r in system.requests] == [pending["idempotency_key"]] * 2
    assert len(system.payments) == 1
    assert events(container, "refund.succeeded") == [ret]


def test_a_refusal_fails_the_refund_and_a_retry_pays_it(
    http: httpx.Client, container: Container, system: PaymentSystem
) -> None:
    shop = webhook_shop(http, system)
    ret, _ = inspected_return(shop, "W-3", reason="CR-DEFECTIVE")
    system.mode = "refuse"

    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))
    assert send_due_refunds(container.uow(), container.payments) == 1
    failed = resolution(shop, ret)["refund"]
    # The gateway's own words are not shown back: only ours.
    assert (failed["status"], failed["failure_reason"]) == (
        "failed",
        "refused by the payment gateway",
    )
    assert events(container, "refund.failed") == [ret]

    system.mode = "pay"
    ok(shop.call("POST", f"/v1/refunds/{failed['id']}/retry"))
    assert send_due_refunds(container.uow(), container.payments) == 1

    refund = resolution(shop, ret)["refund"]
    assert (refund["status"], refund["attempt"]) == ("succeeded", 2)
    assert len(system.payments) == 1


def test_due_jobs_pay_refunds_recorded_by_an_automatic_resolution(
    http: httpx.Client, container: Container, system: PaymentSystem
) -> None:
    shop = webhook_shop(http, system)
    ok(shop.call("PUT", "/v1/settings", json={"resolution_trigger": "receipt"}))
    ret, item = start_return(shop, "W-4", reason="CR-DEFECTIVE")
    receive(shop, ret, item)
    assert resolution(shop, ret)["refund"]["status"] == "pending"

    done = run_due_jobs(container)
    assert done.pop("audit_entries_sealed") > 0  # the due jobs seal the audit trail too
    # Other jobs (analytics' rollup, scheduled reports) report their own counts beside these.
    assert {key: done[key] for key in ("expired_returns", "lost_packages_flagged")} == {
        "expired_returns": 0,
        "lost_packages_flagged": 0,
    }
    assert done["refunds_asked"] == 1

    assert resolution(shop, ret)["refund"]["status"] == "succeeded"
    assert len(system.payments) == 1
