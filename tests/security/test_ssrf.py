"""SSRF: rma calls only public http(s) addresses a seller names, and never echoes the answer."""

from __future__ import annotations

from collections.abc import Iterator

import httpcore
import httpx
import pytest
from sqlalchemy import text

from rma.adapters.destinations import DestinationGuard, guarded_transport
from rma.bootstrap import Container
from rma.services.refunds import send_due_refunds
from tests.payment_server import PaymentSystem, payment_system
from tests.returns_flow import inspected_return, resolution
from tests.support import error_code, ok, open_shop

INTERNAL_URLS = [
    "http://127.0.0.1:8000/pay",
    "http://localhost./pay",
    "http://[::ffff:127.0.0.1]/pay",
    "http://169.254.169.254/latest/meta-data",
    "http://2130706433/pay",
    "http://10.0.0.1/pay",
    "http://[::1]/pay",
    "http://0.0.0.0/pay",
    "http://[2002:7f00:1::]/pay",  # 6to4 carrying 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/pay",  # Teredo carrying 10.0.0.1
    "http://[64:ff9b::a00:1]/pay",  # NAT64 carrying 10.0.0.1
    "https://93.184.215.14:22/pay",  # a public host, but a system port
]


@pytest.fixture
def system() -> Iterator[PaymentSystem]:
    with payment_system() as running:
        yield running


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_settings_refuse_a_payment_url_that_points_inside(http: httpx.Client, url: str) -> None:
    shop = open_shop(http)

    answer = shop.call(
        "PUT", "/v1/settings", json={"payment_gateway": "webhook", "payment_webhook_url": url}
    )

    assert error_code(answer, 422) == "webhook_url_refused"
    assert answer.json()["error"]["details"] == [{"field": "payment_webhook_url"}]
    settings = ok(shop.call("GET", "/v1/settings"))
    assert (settings["payment_gateway"], settings["payment_webhook_url"]) == ("manual", None)


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_webhook_endpoints_refuse_the_same_urls(http: httpx.Client, url: str) -> None:
    shop = open_shop(http)

    answer = shop.call("POST", "/v1/webhook-endpoints", json={"url": url})

    assert error_code(answer, 422) == "webhook_url_refused"
    assert ok(shop.call("GET", "/v1/webhook-endpoints"))["data"] == []


def test_public_urls_and_ports_pass_the_guard_and_other_schemes_do_not() -> None:
    guard = DestinationGuard(allow_private=False)
    assert guard.refusal("ftp://93.184.215.14/pay")
    assert guard.refusal("https://\u00b6[\u00ae/pay")  # unreadable: found by schemathesis
    assert guard.refusal("http://93.184.215.14:25/pay")
    for url in ("https://93.184.215.14/pay", "http://93.184.215.14:8443/pay"):
        assert guard.refusal(url) == "", url


def test_a_url_stored_before_the_check_is_never_called(
    http: httpx.Client, container: Container, system: PaymentSystem
) -> None:
    """A loopback URL already in the database (saved before this check) gets no request."""
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"payment_webhook_url": "https://93.184.215.14"}))
    with container.engine.begin() as connection:
        connection.execute(
            text("UPDATE sellers SET payment_gateway = 'webhook', payment_webhook_url = :url"),
            {"url": system.url},
        )
    ret, _ = inspected_return(shop, "S-1", reason="CR-DEFECTIVE")
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))

    assert send_due_refunds(container.uow(), container.payments) == 1

    refund = resolution(shop, ret)["refund"]
    assert refund["status"] == "failed"
    assert "public http(s) address" in refund["failure_reason"]
    assert system.requests == []


def test_the_connection_itself_is_checked_not_only_the_url() -> None:
    """A name checked once may resolve elsewhere later: the socket dials only a checked address."""
    transport = guarded_transport(DestinationGuard(allow_private=False))
    with httpx.Client(transport=transport) as client, pytest.raises(httpx.ConnectError) as raised:
        client.get("http://localhost:9/")
    assert isinstance(raised.value.__cause__, httpcore.ConnectError)
    assert "refused" in str(raised.value)


def test_resolving_asks_no_gateway_on_the_request_and_keeps_only_a_safe_reference(
    http: httpx.Client,
    container: Container,
    system: PaymentSystem,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(container.destinations, "allow_private", True)
    shop = open_shop(http)
    settings = ok(
        shop.call(
            "PUT",
            "/v1/settings",
            json={"payment_gateway": "webhook", "payment_webhook_url": system.url},
        )
    )
    system.secret = settings["payment_webhook_secret"]
    system.mode = "chatty"
    ret, _ = inspected_return(shop, "S-2", reason="CR-DEFECTIVE")

    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))
    assert system.requests == []  # a slow gateway could not have held this request

    assert send_due_refunds(container.uow(), container.payments) == 1
    [refund] = ok(shop.call("GET", "/v1/refunds"))["data"]
    assert refund["status"] == "succeeded"
    assert len(refund["reference"]) <= 64
    assert refund["reference"].startswith("pay_1")
    assert not set(refund["reference"]) & set("<> ()=")
