"""Webhooks as a seller's ERP sees them: signed per Standard Webhooks, retried, logged."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from standardwebhooks import Webhook

from rma.bootstrap import Container
from rma.worker import EventWorker, serve_runs_worker, start_event_worker
from tests.receiver import Receiver, run_receiver
from tests.support import Shop, error_code, ok, open_shop


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with run_receiver() as running:
        yield running


@pytest.fixture
def allow_loopback(container: Container, monkeypatch: pytest.MonkeyPatch) -> Container:
    """The operator allows private addresses (the receivers of these tests are on loopback)."""
    monkeypatch.setattr(container.destinations, "allow_private", True)
    monkeypatch.setattr(container.settings, "webhook_retry_schedule", [0, 0])
    monkeypatch.setattr(container.settings, "webhook_timeout_seconds", 1.0)
    return container


def subscribe(shop: Shop, url: str, **extra: object) -> dict[str, object]:
    created: dict[str, object] = ok(
        shop.call("POST", "/v1/webhook-endpoints", json={"url": url, **extra}), 201
    )
    return created


def drain(container: Container) -> None:
    worker = EventWorker(container)
    try:
        worker.drain()
    finally:
        worker.close()


def test_each_step_reaches_the_endpoint_signed_per_the_standard(
    http: httpx.Client, allow_loopback: Container, receiver: Receiver
) -> None:
    shop = open_shop(http)
    endpoint = subscribe(shop, f"{receiver.url}/erp")
    secret = str(endpoint["secret"])
    assert secret.startswith("whsec_")
    shop.order("1001")
    created = ok(shop.request_return("1001", [("1", 1)]), 201)

    drain(allow_loopback)

    bodies = []
    for request in receiver.requests:
        verified = Webhook(secret).verify(request.body, request.headers)
        assert verified == json.loads(request.body)
        bodies.append(verified)
    bodies.sort(key=lambda b: b["id"])  # sent concurrently: order by event id, as documented
    assert [b["type"] for b in bodies] == ["return.requested", "return.authorized"]
    assert all(b["return_id"] == created["id"] and b["version"] == 1 for b in bodies)
    assert bodies[1]["data"]["rma_number"] == created["rma_number"]

    log = ok(shop.call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"))["data"]
    assert {d["id"] for d in log} == {r.headers["webhook-id"] for r in receiver.requests}
    assert all(
        d["status"] == "succeeded" and d["attempt_log"][0]["status_code"] == 200 for d in log
    )
    events = ok(shop.call("GET", "/v1/events"))["data"]
    assert [e["type"] for e in events] == ["return.authorized", "return.requested"]
    assert {e["id"] for e in events} == {b["id"] for b in bodies}


def test_a_filter_sends_only_the_events_asked_for(
    http: httpx.Client, allow_loopback: Container, receiver: Receiver
) -> None:
    shop = open_shop(http)
    subscribe(shop, f"{receiver.url}/only", event_types=["return.authorized"])
    shop.order("1001")
    ok(shop.request_return("1001", [("1", 1)]), 201)

    drain(allow_loopback)

    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["return.authorized"]


def test_a_failing_receiver_is_retried_then_failed_and_a_replay_keeps_the_webhook_id(
    http: httpx.Client, allow_loopback: Container, receiver: Receiver
) -> None:
    receiver.answer = lambda _path, n: 500 if n <= 3 else 200
    shop = open_shop(http)
    endpoint = subscribe(shop, f"{receiver.url}/flaky", event_types=["return.requested"])
    shop.order("1001")
    ok(shop.request_return("1001", [("1", 1)]), 201)

    drain(allow_loopback)

    (delivery,) = ok(shop.call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"))["data"]
    assert delivery["status"] == "failed"
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 500]
    assert delivery["attempt_log"][0]["response_excerpt"] == "answered 500"

    replayed = ok(shop.call("POST", f"/v1/webhook-deliveries/{delivery['id']}/replay"), 202)
    assert replayed["status"] == "pending"
    drain(allow_loopback)

    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert receiver.requests[-1].headers["webhook-id"] == delivery["id"]
    (after,) = ok(shop.call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"))["data"]
    assert after["status"] == "succeeded"


def test_a_receiver_that_times_out_is_recorded_and_retried(
    http: httpx.Client, allow_loopback: Container, receiver: Receiver
) -> None:
    receiver.delay_seconds = 2.0
    shop = open_shop(http)
    endpoint = subscribe(shop, f"{receiver.url}/slow", event_types=["return.authorized"])
    shop.order("1001")
    ok(shop.request_return("1001", [("1", 1)]), 201)

    drain(allow_loopback)

    (delivery,) = ok(shop.call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"))["data"]
    assert delivery["status"] == "failed"
    assert len(delivery["attempt_log"]) == 3
    assert all(a["error"].startswith("timeout") for a in delivery["attempt_log"])


def test_a_receiver_that_is_down_is_retried_then_failed(
    http: httpx.Client, allow_loopback: Container
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    shop = open_shop(http)
    endpoint = subscribe(shop, f"http://127.0.0.1:{closed}/down", event_types=["return.authorized"])
    shop.order("1001")
    ok(shop.request_return("1001", [("1", 1)]), 201)

    drain(allow_loopback)

    (delivery,) = ok(shop.call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"))["data"]
    assert delivery["status"] == "failed"
    assert [a["status_code"] for a in delivery["attempt_log"]] == [None, None, None]
    assert all(a["error"].startswith("ConnectError") for a in delivery["attempt_log"])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_on_sqlite_the_serve_process_delivers_by_itself(
    http: httpx.Client, allow_loopback: Container, receiver: Receiver
) -> None:
    assert serve_runs_worker(allow_loopback) is True
    shop = open_shop(http)
    subscribe(shop, f"{receiver.url}/embedded", event_types=["return.authorized"])
    stop = start_event_worker(allow_loopback)
    try:
        shop.order("1001")
        ok(shop.request_return("1001", [("1", 1)]), 201)
        receiver.wait_for(lambda got: len(got) == 1)
    finally:
        stop.set()
    assert json.loads(receiver.requests[0].body)["type"] == "return.authorized"


def test_an_endpoint_answering_410_is_disabled(
    http: httpx.Client, allow_loopback: Container, receiver: Receiver
) -> None:
    receiver.answer = lambda _path, _n: 410
    shop = open_shop(http)
    endpoint = subscribe(shop, f"{receiver.url}/gone")
    shop.order("1001")
    created = ok(shop.request_return("1001", [("1", 1)]), 201)
    drain(allow_loopback)
    sent_before = len(receiver.requests)

    ok(shop.call("POST", f"/v1/returns/{created['id']}/close", json={"note": "done"}))
    drain(allow_loopback)

    (listed,) = ok(shop.call("GET", "/v1/webhook-endpoints"))["data"]
    assert listed["id"] == endpoint["id"]
    assert listed["enabled"] is False
    assert "410" in listed["disabled_reason"]
    assert len(receiver.requests) == sent_before  # nothing more goes to a gone endpoint


def test_after_a_rotation_both_secrets_verify(
    http: httpx.Client, allow_loopback: Container, receiver: Receiver
) -> None:
    shop = open_shop(http)
    endpoint = subscribe(shop, f"{receiver.url}/rotating", event_types=["return.requested"])
    rotated = ok(shop.call("POST", f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"))
    assert rotated["secret"] != endpoint["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    shop.order("1001")
    ok(shop.request_return("1001", [("1", 1)]), 201)

    drain(allow_loopback)

    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint["secret"], rotated["secret"]):
        Webhook(str(secret)).verify(request.body, request.headers)


def test_private_addresses_are_refused_unless_the_operator_allows_them(
    http: httpx.Client, container: Container, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)
    for url in (receiver.url, "http://10.0.0.8/hook", "http://169.254.169.254/latest"):
        response = shop.call("POST", "/v1/webhook-endpoints", json={"url": url})
        assert error_code(response, 422) == "webhook_url_refused"
    assert (
        error_code(
            shop.call("POST", "/v1/webhook-endpoints", json={"url": "ftp://example.com/x"}), 422
        )
        == "invalid_webhook_url"
    )

    # Allowed when it was created, refused when the operator no longer allows it.
    monkeypatch.setattr(container.destinations, "allow_private", True)
    monkeypatch.setattr(container.settings, "webhook_retry_schedule", [])
    endpoint = subscribe(shop, receiver.url, event_types=["return.requested"])
    monkeypatch.setattr(container.destinations, "allow_private", False)
    shop.order("1001")
    ok(shop.request_return("1001", [("1", 1)]), 201)
    drain(container)

    assert receiver.requests == []
    (delivery,) = ok(shop.call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"))["data"]
    assert delivery["status"] == "failed"
    assert delivery["attempt_log"][0]["error"].startswith("refused")


def test_another_sellers_endpoints_deliveries_and_events_are_not_found(
    http: httpx.Client, allow_loopback: Container, receiver: Receiver
) -> None:
    victim = open_shop(http, "Victim")
    endpoint = subscribe(victim, f"{receiver.url}/victim")
    victim.order("1001")
    ok(victim.request_return("1001", [("1", 1)]), 201)
    drain(allow_loopback)
    (delivery, _) = ok(victim.call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"))[
        "data"
    ]

    attacker = open_shop(http, "Attacker")
    base = f"/v1/webhook-endpoints/{endpoint['id']}"
    for method, path, body in (
        ("PATCH", base, {"url": "https://attacker.example/x"}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-secret", None),
        ("GET", f"{base}/deliveries", None),
        ("POST", f"/v1/webhook-deliveries/{delivery['id']}/replay", None),
    ):
        response = attacker.call(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
    assert ok(attacker.call("GET", "/v1/webhook-endpoints"))["data"] == []
    assert ok(attacker.call("GET", "/v1/events"))["data"] == []
    assert error_code(victim.call("GET", "/v1/webhook-endpoints", "warehouse"), 403) == "forbidden"
    assert ok(victim.call("GET", "/v1/webhook-endpoints"))["data"][0]["url"].endswith("/victim")
