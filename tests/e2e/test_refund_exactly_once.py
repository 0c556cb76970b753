"""A refund is made once, whatever happens: concurrent resolves, a process killed mid-payment.

These run on PostgreSQL alone: its row locks and unique indexes are what many API processes
and workers share in production (SQLite serializes every writer, so there is nothing to race).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from rma.bootstrap import Container
from rma.services.clock import utcnow
from rma.services.refunds import send_due_refunds
from tests.e2e.test_refund_gateways import events, webhook_shop
from tests.payment_server import payment_system
from tests.returns_flow import inspected_return, receive, resolution, start_return
from tests.support import bearer, encryption_key, ok, open_shop

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def at_once(
    count: int, call: Callable[[httpx.Client, int], httpx.Response], url: str
) -> list[httpx.Response]:
    """Run ``call`` from ``count`` threads released together; their answers."""
    start = threading.Barrier(count)
    answers: list[httpx.Response] = []

    def run(index: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            start.wait()
            answers.append(call(client, index))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_redemptions_never_overdraw_the_balance(
    http: httpx.Client, server_url: str
) -> None:
    shop = open_shop(http)
    ret, item = inspected_return(shop, "X-2", reason="CR-UNWANTED_ITEM")
    body = {"items": [{"item_id": item, "resolution": "store_credit"}]}
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json=body))  # 5400 of credit
    redeem = {"customer_email": "ada@example.com", "currency": "USD", "amount": 1000}

    answers = at_once(
        10,
        lambda client, _: client.post(
            "/v1/store-credit/redemptions", json=redeem, headers=bearer(shop.keys["seller"])
        ),
        server_url,
    )

    assert sorted(a.status_code for a in answers) == [201] * 5 + [409] * 5
    statement = ok(
        shop.call("GET", "/v1/store-credit", params={"customer_email": "ada@example.com"})
    )
    assert statement["balances"][0]["balance"] == 400


def test_twenty_concurrent_resolves_make_one_refund(
    http: httpx.Client, server_url: str, container: Container
) -> None:
    shop = open_shop(http)
    ret, _ = inspected_return(shop, "X-1", reason="CR-DEFECTIVE")

    def resolve(client: httpx.Client, index: int) -> httpx.Response:
        # Half are double clicks of one request (same key), half are independent calls.
        headers = bearer(shop.keys["seller"])
        if index % 2:
            headers["Idempotency-Key"] = "resolve-X-1"
        return client.post(f"/v1/returns/{ret}/resolve", json={}, headers=headers)

    answers = at_once(20, resolve, server_url)

    statuses = [a.status_code for a in answers]
    codes = {a.json()["error"]["code"] for a in answers if a.status_code == 409}
    assert len(statuses) == 20
    assert set(statuses) <= {200, 409}
    assert 200 in statuses
    # Losers learn the return moved on (or that their twin request is still running).
    assert codes <= {
        "illegal_transition",
        "concurrent_update",
        "conflict",
        "idempotency_key_in_use",
    }, codes
    refunds = ok(shop.call("GET", "/v1/refunds"))["data"]
    assert len(refunds) == 1
    assert refunds[0]["amount"] == 5000 + 400 + 806
    history = ok(shop.call("GET", f"/v1/returns/{ret}"))["history"]
    assert [h["action"] for h in history].count("resolve") == 1
    assert events(container, "return.resolved") == [ret]


def test_a_worker_killed_after_paying_is_reconciled_without_paying_twice(
    http: httpx.Client, container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container.destinations, "allow_private", True)
    with payment_system() as system:
        shop = webhook_shop(http, system)
        ok(shop.call("PUT", "/v1/settings", json={"resolution_trigger": "receipt"}))
        ret, item = start_return(shop, "K-1", reason="CR-DEFECTIVE")
        receive(shop, ret, item)  # resolves on receipt: the refund is recorded, pending
        pending = resolution(shop, ret)["refund"]
        assert pending["status"] == "pending"
        system.mode = "hold"  # pay, then hold the answer until the asker is dead

        env = {
            **os.environ,
            "RMA_DATABASE_URL": container.settings.database_url,
            "RMA_DATA_DIR": str(tmp_path),
            "RMA_SECRET_KEY": "kill-test",
            "RMA_WEBHOOKS_ALLOW_PRIVATE": "true",
            "RMA_ENCRYPTION_KEY": encryption_key(container),
        }
        rma = Path(sys.executable).parent / "rma"
        worker = subprocess.Popen(
            [str(rma), "refunds", "reconcile"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert system.paid.wait(timeout=120), "the worker never reached the payment system"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        assert worker.returncode == -signal.SIGKILL
        assert len(system.payments) == 1
        assert resolution(shop, ret)["refund"]["status"] == "pending"  # paid, but not known

        system.mode = "pay"
        system.release.set()
        # The restart: once the killed worker's claim has lapsed, the reconciler asks again.
        after_lease = utcnow() + timedelta(minutes=10)
        assert send_due_refunds(container.uow(), container.payments, now=after_lease) == 1

        refund = resolution(shop, ret)["refund"]
        assert (refund["status"], refund["reference"]) == ("succeeded", "pay_1")
        assert [r["key"] for r in system.requests] == [pending["idempotency_key"]] * 2
        assert len(system.payments) == 1
        assert send_due_refunds(container.uow(), container.payments, now=after_lease) == 0
