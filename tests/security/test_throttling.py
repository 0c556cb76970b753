"""Guessing is throttled: per order number, per client address, per credential; shared in Redis."""

from __future__ import annotations

import uuid

import httpx
import pytest
import redis

from rma.adapters.throttle import LimitsAttempts
from rma.bootstrap import Container
from rma.services.throttling import Rule
from tests.security.browsing import hidden
from tests.support import bearer, error_code, ok, open_shop

REDIS_URL = "redis://127.0.0.1:6379/0"


def throttled(answer: httpx.Response) -> int:
    """The Retry-After of a 429 in the error envelope."""
    assert error_code(answer, 429) == "too_many_attempts"
    retry_after = int(answer.headers["retry-after"])
    assert retry_after > 0
    return retry_after


def test_wrong_emails_for_one_order_are_throttled_even_before_the_right_one(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    shop.order("T-1")
    for n in range(10):
        answer = http.post(
            "/v1/portal/sessions", json={"order_number": "T-1", "email": f"x{n}@e.com"}
        )
        assert error_code(answer, 404) == "order_not_found"

    right = http.post(
        "/v1/portal/sessions", json={"order_number": "t-1", "email": "ada@example.com"}
    )

    throttled(right)
    # Another order's customer is not held up by it.
    shop.order("T-2")
    ok(
        http.post("/v1/portal/sessions", json={"order_number": "T-2", "email": "ada@example.com"}),
        201,
    )


def test_bad_api_keys_from_one_address_are_throttled(http: httpx.Client) -> None:
    shop = open_shop(http)
    for n in range(30):
        assert http.get("/v1/settings", headers=bearer(f"rma_sk_wrong{n}")).status_code == 401

    answer = shop.call("GET", "/v1/settings")

    throttled(answer)


def test_bad_lwa_secrets_for_one_client_are_throttled(http: httpx.Client) -> None:
    shop = open_shop(http)
    issued = ok(shop.call("POST", "/v1/amazon/credentials", "admin", json={}), 201)
    right = {
        "grant_type": "refresh_token",
        "refresh_token": issued["refresh_token"],
        "client_id": issued["client_id"],
        "client_secret": issued["client_secret"],
    }
    for _ in range(10):
        wrong = {**right, "client_secret": "wrong"}
        assert http.post("/auth/o2/token", data=wrong).status_code == 401

    answer = http.post("/auth/o2/token", data=right)

    assert answer.status_code == 429
    assert answer.json()["error"] == "slow_down"
    assert int(answer.headers["retry-after"]) > 0


def test_bad_desk_sign_ins_are_throttled_with_a_page(http: httpx.Client) -> None:
    shop = open_shop(http)
    for n in range(30):
        page = _sign_in(http, f"rma_sk_wrong{n}")
        assert page.status_code == 401

    page = _sign_in(http, shop.keys["seller"])

    assert page.status_code == 429
    assert "Too many tries" in page.text
    assert int(page.headers["retry-after"]) > 0


def test_processes_sharing_redis_share_their_counts() -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not answering at {REDIS_URL}: start it (see .ci/run)")
    limits = {Rule.ORDER: "3 per minute"}
    one, other = LimitsAttempts(limits, REDIS_URL), LimitsAttempts(limits, REDIS_URL)
    order = f"R-{uuid.uuid4()}"

    for _ in range(3):
        assert one.wait(Rule.ORDER, order) == 0
        one.count(Rule.ORDER, order)

    assert other.wait(Rule.ORDER, order) > 0  # the other process saw the first one's failures
    assert other.wait(Rule.ORDER, f"{order}-else") == 0


def test_an_unreachable_redis_lets_attempts_through() -> None:
    attempts = LimitsAttempts({Rule.ORDER: "1 per minute"}, "redis://127.0.0.1:1/0")

    attempts.count(Rule.ORDER, "A")
    assert attempts.wait(Rule.ORDER, "A") == 0


def test_an_operator_quota_per_key_answers_429(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)
    monkeypatch.setattr(container, "attempts", LimitsAttempts({Rule.KEY_REQUESTS: "3 per minute"}))
    for _ in range(3):
        ok(shop.call("GET", "/v1/settings"))

    throttled(shop.call("GET", "/v1/settings"))
    ok(shop.call("GET", "/v1/settings", "warehouse"), 403)  # another key has its own quota


def _sign_in(http: httpx.Client, key: str) -> httpx.Response:
    form = http.get("/desk/login")
    return http.post("/desk/login", data={"csrf": hidden(form, "csrf"), "api_key": key})
