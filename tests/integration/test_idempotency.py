"""``Idempotency-Key``: replays answer the first response, even when the copies race."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from rma.adapters import orm
from rma.bootstrap import Container
from rma.services.clock import utcnow
from tests.support import error_code, ok, open_shop

BODY = {
    "order_number": "1001",
    "items": [{"line_id": "1", "quantity": 2, "reason_code": "CR-DEFECTIVE"}],
}


def test_a_replay_answers_the_first_response_and_another_body_is_refused(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    shop.order("1001")
    key = {"Idempotency-Key": "try-1"}
    first = shop.call("POST", "/v1/returns", json=BODY, headers=key)
    again = shop.call("POST", "/v1/returns", json=BODY, headers=key)

    assert ok(again, 201) == ok(first, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    other = {**BODY, "items": [{"line_id": "2", "quantity": 1, "reason_code": "CR-DEFECTIVE"}]}
    assert error_code(shop.call("POST", "/v1/returns", json=other, headers=key), 409) == (
        "idempotency_key_reused"
    )
    assert len(ok(shop.call("GET", "/v1/returns"))["data"]) == 1


@pytest.mark.postgres_only
def test_concurrent_copies_of_one_request_create_one_return(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("1001")
    copies = 8
    start = threading.Barrier(copies)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=str(http.base_url), timeout=30) as client:
            start.wait()
            answers.append(
                client.post(
                    "/v1/returns",
                    json=BODY,
                    headers={
                        "Authorization": f"Bearer {shop.keys['seller']}",
                        "Idempotency-Key": "same-key",
                    },
                )
            )

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    created: list[dict[str, Any]] = [a.json() for a in answers if a.status_code == 201]
    others = [a for a in answers if a.status_code != 201]
    assert created, [a.text for a in answers]
    assert {c["id"] for c in created} == {created[0]["id"]}
    assert all(error_code(a, 409) == "idempotency_key_in_use" for a in others)
    assert [r["id"] for r in ok(shop.call("GET", "/v1/returns"))["data"]] == [created[0]["id"]]


def test_a_request_whose_answer_was_lost_is_never_applied_again(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    shop.order("1001")
    key = {"Idempotency-Key": "lost-answer"}
    ok(shop.call("POST", "/v1/returns", json=BODY, headers=key), 201)
    # As if the process had stopped after committing the return, before saving the answer.
    _forget_answer(container, "lost-answer", claimed_ago=timedelta(seconds=5))

    running = shop.call("POST", "/v1/returns", json=BODY, headers=key)
    _forget_answer(container, "lost-answer", claimed_ago=timedelta(minutes=11))
    lost = shop.call("POST", "/v1/returns", json=BODY, headers=key)

    assert error_code(running, 409) == "idempotency_key_in_use"
    assert error_code(lost, 409) == "idempotency_answer_lost"
    assert "not applied again" in lost.json()["error"]["message"]
    assert len(ok(shop.call("GET", "/v1/returns"))["data"]) == 1


def _forget_answer(container: Container, key: str, *, claimed_ago: timedelta) -> None:
    c = orm.idempotency_keys.c
    with container.engine.begin() as connection:
        connection.execute(
            update(orm.idempotency_keys)
            .where(c.key == key)
            .values(status_code=None, body=None, created_at=utcnow() - claimed_ago)
        )
