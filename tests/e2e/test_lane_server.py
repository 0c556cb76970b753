"""The busiest routes served on the event loop's thread (``lane``), through the real server.

A request waiting for a row another transaction holds must not hold up the others, and more
requests waiting at once than the pool has connections must all be answered: the lane admits
as many at once as the pool can serve, and the rest queue for their turn, not for a
connection (which would stop the loop, and with it the requests that would give theirs back).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import Connection, text

from rma.api.direct_routes import ON_LOOP
from rma.bootstrap import Container
from tests.physical_support import carrier_source, easypost_event, signed
from tests.returns_flow import start_return
from tests.security.browsing import hidden, sign_in
from tests.support import Shop, bearer, customer_token, ok, open_shop

pytestmark = pytest.mark.postgres_only


def _receive(server_url: str, shop: Shop, ret: str, item: str, timeout: float = 60) -> int:
    body = {"items": [{"item_id": item, "quantity": 2}]}
    with httpx.Client(base_url=server_url, timeout=timeout) as client:
        answer = client.post(
            f"/v1/returns/{ret}/receive", json=body, headers=bearer(shop.keys["warehouse"])
        )
    return answer.status_code


def _waiting_for_locks(container: Container) -> int:
    with container.engine.connect() as connection:
        query = "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'"
        return int(connection.execute(text(query)).scalar_one())


def _until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


@pytest.fixture
def locker(container: Container) -> Iterator[Connection]:
    """A transaction of the test's own, to hold returns' rows."""
    with container.engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        if transaction.is_active:
            transaction.rollback()


def _lock(locker: Connection, returns: list[str]) -> None:
    query = text("SELECT id FROM returns WHERE id = ANY(:ids) FOR UPDATE")
    assert len(locker.execute(query, {"ids": returns}).all()) == len(returns)


def test_a_request_waiting_for_a_row_does_not_hold_up_the_others(
    http: httpx.Client, container: Container, server_url: str, locker: Connection
) -> None:
    shop = open_shop(http)
    held, held_item = start_return(shop, "L-1", reason="CR-DEFECTIVE")
    free, free_item = start_return(shop, "L-2", reason="CR-DEFECTIVE")
    _lock(locker, [held])
    answers: list[int] = []
    waiting = threading.Thread(
        target=lambda: answers.append(_receive(server_url, shop, held, held_item))
    )
    waiting.start()
    _until(lambda: _waiting_for_locks(container) == 1)

    assert _receive(server_url, shop, free, free_item) == 200  # while the other still waits
    assert waiting.is_alive()
    assert answers == []

    locker.commit()
    waiting.join(timeout=30)
    assert answers == [200]


def test_more_requests_waiting_at_once_than_the_pool_has_connections_are_all_answered(
    http: httpx.Client, container: Container, server_url: str, locker: Connection
) -> None:
    pool = container.engine.pool
    connections = pool.size() + pool._max_overflow  # type: ignore[attr-defined]
    count = connections + 5
    shop = open_shop(http)
    returns = [start_return(shop, f"P-{n}", reason="CR-DEFECTIVE") for n in range(count)]
    _lock(locker, [ret for ret, _ in returns])

    with ThreadPoolExecutor(count) as clients:
        sent = [clients.submit(_receive, server_url, shop, ret, item) for ret, item in returns]
        # As many as the lane admits wait for their rows; the rest wait for their turn.
        _until(lambda: _waiting_for_locks(container) == ON_LOOP)
        locker.commit()
        answers = [future.result(timeout=60) for future in sent]

    assert answers == [200] * count
    with container.engine.connect() as connection:
        received = connection.execute(
            text("SELECT count(*) FROM returns WHERE id = ANY(:ids) AND status = 'received'"),
            {"ids": [ret for ret, _ in returns]},
        ).scalar_one()
    assert received == count


def test_a_request_whose_caller_gave_up_ends_once_and_its_retry_answers_the_same(
    http: httpx.Client, container: Container, server_url: str, locker: Connection
) -> None:
    shop = open_shop(http)
    ret, item = start_return(shop, "G-1", reason="CR-DEFECTIVE")
    _lock(locker, [ret])
    headers = {**bearer(shop.keys["warehouse"]), "Idempotency-Key": "receive-once"}
    body = {"items": [{"item_id": item, "quantity": 2}]}
    path = f"/v1/returns/{ret}/receive"

    impatient = httpx.Client(base_url=server_url, timeout=0.5)
    with impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post(path, json=body, headers=headers)
    locker.commit()  # the request, still waiting for the row, goes on without its caller
    _until(lambda: shop.call("GET", f"/v1/returns/{ret}").json()["status"] == "received")

    retried = http.post(path, json=body, headers=headers)

    assert retried.status_code == 200
    assert retried.json()["items"][0]["received_quantity"] == 2  # received once, not twice
    history = shop.call("GET", f"/v1/returns/{ret}").json()["history"]
    assert [entry["to_status"] for entry in history].count("received") == 1


def test_a_carrier_webhook_waiting_for_a_row_does_not_hold_up_the_others(
    http: httpx.Client, container: Container, server_url: str, locker: Connection
) -> None:
    """The webhook's route reads its body on the loop; its use case must wait elsewhere."""
    shop = open_shop(http)
    source = carrier_source(shop, "easypost", "s3cret-for-tests-0123")
    held, _ = start_return(shop, "W-1", reason="CR-DEFECTIVE")
    token = customer_token(http, "W-1")
    tracking = {"carrier": "USPS", "tracking_number": "EZ9000000001"}
    ok(http.put(f"/v1/returns/{held}/tracking", headers=bearer(token), json=tracking))
    free, free_item = start_return(shop, "W-2", reason="CR-DEFECTIVE")
    scans = easypost_event("EZ9000000001", [("in_transit", "2026-11-02T09:00:00Z", "Accepted")])
    body, headers = signed("easypost", "s3cret-for-tests-0123", scans)
    _lock(locker, [held])
    answers: list[int] = []

    def post_scan() -> None:
        with httpx.Client(base_url=server_url, timeout=60) as client:
            path = f"/v1/carrier-events?source={source['id']}"
            answers.append(client.post(path, content=body, headers=headers).status_code)

    waiting = threading.Thread(target=post_scan)
    waiting.start()
    _until(lambda: _waiting_for_locks(container) == 1)

    assert _receive(server_url, shop, free, free_item, timeout=10) == 200
    assert answers == []

    locker.commit()
    waiting.join(timeout=30)
    assert answers == [200]
    assert ok(shop.call("GET", f"/v1/returns/{held}"))["status"] == "in_transit"


def test_a_page_form_waiting_for_a_row_does_not_hold_up_the_others(
    http: httpx.Client, container: Container, server_url: str, locker: Connection
) -> None:
    """The warehouse station's count of a box, posted as a form: the page's route reads the
    form on the loop; its use case must wait elsewhere, as every page's form must."""
    shop = open_shop(http)
    held, held_item = start_return(shop, "F-1", reason="CR-DEFECTIVE")
    free, free_item = start_return(shop, "F-2", reason="CR-DEFECTIVE")
    station = httpx.Client(base_url=server_url, timeout=60)
    sign_in(station, shop.keys["warehouse"], area="warehouse")
    page = station.get(f"/warehouse/returns/{held}")
    form = {"csrf": hidden(page, "csrf"), f"qty_{held_item}": "2"}
    _lock(locker, [held])
    answers: list[int] = []
    counting = threading.Thread(
        target=lambda: answers.append(
            station.post(f"/warehouse/returns/{held}/receive", data=form).status_code
        )
    )
    counting.start()
    try:
        _until(lambda: _waiting_for_locks(container) == 1)

        assert _receive(server_url, shop, free, free_item, timeout=10) == 200
        assert answers == []
    finally:
        locker.commit()
        counting.join(timeout=30)
        station.close()
    assert answers == [303]
    assert ok(shop.call("GET", f"/v1/returns/{held}"))["status"] == "received"
