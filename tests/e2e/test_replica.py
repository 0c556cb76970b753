"""A real streaming replica: lists, analytics and exports read it, one return reads the primary.

The proof that a request read the replica: the replica's replay is paused, the primary is
written, and the request does not see the write while one that reads the primary does.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import URL, make_url

from rma.api.app import create_app
from rma.bootstrap import Container, bootstrap
from tests.intake_support import serving
from tests.replica_support import Replica, streaming_replica
from tests.security.browsing import hidden, sign_in
from tests.support import ADMIN_KEY, Shop, bearer, ok, open_shop

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def primary(backend: Container) -> URL:
    return make_url(backend.settings.database_url)


@pytest.fixture(scope="module")
def replica(backend: Container, primary: URL) -> Iterator[Replica]:
    """A hot standby of the whole test server, made after the test database was migrated."""
    assert primary.database is not None
    with streaming_replica(primary, primary.database) as made:
        yield made


@pytest.fixture(scope="module")
def replicated(backend: Container, replica: Replica) -> Iterator[str]:
    """The app with ``RMA_DATABASE_REPLICA_URL`` set, served on its own port."""
    settings = backend.settings.model_copy(
        update={
            "database_replica_url": replica.url.render_as_string(hide_password=False),
            "database_replica_retry_seconds": 0,  # a replica back up is read at once
        }
    )
    container = bootstrap(settings)
    with serving(create_app(container)) as url:
        yield url
    container.engine.dispose()
    assert container.replica_engine is not None
    container.replica_engine.dispose()


@pytest.fixture
def http(container: Container, replicated: str, replica: Replica, primary: URL) -> Iterator[Any]:
    """A client of the replicated app, once the replica has the emptied tables too."""
    replica.catch_up(primary)
    with httpx.Client(base_url=replicated, timeout=30) as client:
        yield client


@contextmanager
def replay_paused(replica: Replica, primary: URL) -> Iterator[None]:
    """The replica up to date, then replaying nothing more until the block ends."""
    replica.catch_up(primary)
    replica.pause()
    try:
        yield
    finally:
        replica.resume()


def _ids(shop: Shop, **headers: str) -> set[str]:
    page = ok(shop.call("GET", "/v1/returns", headers=headers))
    return {r["id"] for r in page["data"]}


def _returned(shop: Shop) -> dict[str, int]:
    counts: dict[str, int] = ok(shop.call("GET", "/v1/returns/counts"))["counts"]
    return {status: n for status, n in counts.items() if n}


def _exported(shop: Shop) -> set[str]:
    """The order numbers of the returns in the CSV export."""
    answer = shop.call("GET", "/v1/returns.csv")
    assert answer.status_code == 200, answer.text
    return {row["order_number"] for row in csv.DictReader(io.StringIO(answer.text))}


def _units_by_reason(shop: Shop) -> int:
    return sum(row["units"] for row in ok(shop.call("GET", "/v1/analytics/reasons"))["data"])


def _requested(shop: Shop, number: str, **order: Any) -> dict[str, Any]:
    shop.order(number, **order)
    made: dict[str, Any] = ok(shop.request_return(number, [("1", 1)]), 201)
    return made


def test_lists_analytics_and_exports_read_the_replica_and_one_return_the_primary(
    http: httpx.Client, replica: Replica, primary: URL
) -> None:
    shop = open_shop(http)
    first = _requested(shop, "R-1")

    with replay_paused(replica, primary):
        second = _requested(shop, "R-2")

        assert _ids(shop) == {first["id"]}  # the replica has not replayed the second yet
        assert _returned(shop) == {"authorized": 1}
        assert _exported(shop) == {"R-1"}
        assert _units_by_reason(shop) == 1
        # What must see the caller's own write reads the primary: the return just made...
        assert ok(shop.call("GET", f"/v1/returns/{second['id']}"))["status"] == "authorized"
        # ...and a list asked for with Cache-Control: no-cache.
        assert _ids(shop, **{"Cache-Control": "no-cache"}) == {first["id"], second["id"]}
        # A key made a moment ago signs in: keys are looked up on the primary.
        issued = http.post(
            "/v1/api-keys",
            json={"role": "seller", "seller_id": shop.seller_id},
            headers=bearer(ADMIN_KEY),
        )
        new_key = ok(issued, 201)["key"]
        assert http.get("/v1/returns", headers=bearer(new_key)).status_code == 200

    replica.catch_up(primary)
    assert _ids(shop) == {first["id"], second["id"]}
    assert _returned(shop) == {"authorized": 2}
    assert _exported(shop) == {"R-1", "R-2"}
    assert _units_by_reason(shop) == 2


def test_the_desk_reads_the_primary_after_its_own_form(
    http: httpx.Client, replicated: str, replica: Replica, primary: URL
) -> None:
    shop = open_shop(http)
    with replay_paused(replica, primary):
        waiting = _requested(shop, "D-1", delivered_days_ago=45)
        assert waiting["status"] == "pending_review"
        with httpx.Client(base_url=replicated, timeout=30) as browser:
            sign_in(browser, shop.keys["seller"])
            # Signing in wrote a session, so the desk reads the primary for a few seconds;
            # a desk that has not written for longer than that reads the replica.
            assert browser.cookies.get("rma_primary") == "1"
            browser.cookies.delete("rma_primary")
            queue = browser.get("/desk/returns")
            assert queue.status_code == 200
            assert "D-1" not in queue.text  # requested after the replica stopped replaying

            done = browser.post(
                "/desk/returns/bulk",
                data={
                    "csrf": hidden(queue, "csrf"),
                    "form_key": hidden(queue, "form_key"),
                    "action": "authorize",
                    "ids": waiting["id"],
                    "filters": "",
                },
            )
            assert done.status_code == 303, done.text
            assert "rma_primary=1" in done.headers["set-cookie"]
            after = browser.get(done.headers["location"])

        assert after.status_code == 200
        assert "D-1" in after.text  # the page the form led to shows what the form did
        assert "Authorized" in after.text


def test_a_replica_that_is_down_gives_way_to_the_primary(
    http: httpx.Client, replica: Replica, primary: URL, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rma.adapters.replica")
    shop = open_shop(http)
    first = _requested(shop, "F-1")
    with replica.stopped(primary):
        second = _requested(shop, "F-2")

        assert _ids(shop) == {first["id"], second["id"]}
        assert _exported(shop) == {"F-1", "F-2"}
        assert any("is unreachable" in r.getMessage() for r in caplog.records)

    with replay_paused(replica, primary):
        _requested(shop, "F-3")
        assert _exported(shop) == {"F-1", "F-2"}  # the replica is read again
    assert any("answers again" in r.getMessage() for r in caplog.records)
