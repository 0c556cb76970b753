"""Signatures and the retry schedule, without a database."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from rma.adapters.destinations import DestinationGuard
from rma.adapters.webhooks import new_webhook_secret, sign, signed_headers
from rma.domain.webhooks import Attempt, DeliveryStatus, WebhookEndpoint, after_attempt

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_signature_matches_the_example_of_the_standard() -> None:
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_fresh_secret_signs_what_the_reference_library_verifies() -> None:
    secret = new_webhook_secret()
    body = '{"type":"return.authorized"}'
    headers = signed_headers([secret], "msg_1", int(time.time()), body)
    assert Webhook(secret).verify(body, headers) == {"type": "return.authorized"}


def test_retries_follow_the_schedule_then_fail() -> None:
    failed = Attempt(NOW, 500, 10)
    schedule = (5, 30)
    assert after_attempt(failed, 1, schedule, NOW) == (
        DeliveryStatus.PENDING,
        NOW + timedelta(seconds=5),
    )
    assert after_attempt(failed, 2, schedule, NOW) == (
        DeliveryStatus.PENDING,
        NOW + timedelta(seconds=30),
    )
    assert after_attempt(failed, 3, schedule, NOW) == (DeliveryStatus.FAILED, None)
    assert after_attempt(Attempt(NOW, 410, 1), 1, schedule, NOW) == (DeliveryStatus.FAILED, None)
    assert after_attempt(Attempt(NOW, 204, 1), 1, schedule, NOW)[0] is DeliveryStatus.SUCCEEDED


def test_the_previous_secret_signs_until_it_expires() -> None:
    endpoint = WebhookEndpoint("whe_1", "sel_1", "https://erp.example/h", "whsec_old", NOW, NOW)
    endpoint.rotate("whsec_new", NOW, timedelta(hours=1))
    assert endpoint.signing_secrets(NOW + timedelta(minutes=59)) == ["whsec_new", "whsec_old"]
    assert endpoint.signing_secrets(NOW + timedelta(hours=1)) == ["whsec_new"]


def test_the_guard_refuses_special_addresses_and_lets_public_ones_through() -> None:
    guard = DestinationGuard(allow_private=False)
    for url in (
        "http://127.0.0.1:8000/hook",
        "http://[::1]/hook",
        "http://[::ffff:10.1.2.3]/hook",
        "http://0.0.0.0/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://224.0.0.1/hook",
    ):
        assert guard.refusal(url), url
    assert guard.refusal("https://93.184.215.14/hook") == ""
    assert DestinationGuard(allow_private=True).refusal("http://127.0.0.1/hook") == ""
