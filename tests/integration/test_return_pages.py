"""A list page read as plain rows shows each return as reading it alone does; the desk's
counts stop at a cap; PostgreSQL connections plan reads without parallel workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from rma.adapters import orm, return_pages
from rma.adapters.database import make_engine
from rma.bootstrap import Container
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor, Return
from rma.domain.statuses import ReturnStatus
from rma.services import desk, review
from rma.services import returns as service
from rma.services.unit_of_work import ReturnFilter
from rma.web import desk_queue
from tests.builders import add_order, seller_with_order


def _returns(container: Container, count: int) -> tuple[str, list[Return]]:
    """A seller with ``count`` returns of two items each; every other one closed."""
    seller, _ = seller_with_order(container)
    scope, actor = service.Scope(seller.id), Actor("customer", "c")
    made = []
    for n in range(count):
        order = add_order(container, seller.id, f"2{n:03}", delivered_days_ago=3)
        items = [RequestedItem("1", 1, "CR-UNWANTED_ITEM"), RequestedItem("2", 1, "CR-DEFECTIVE")]
        cmd = service.RequestReturn(scope, order.number, items, actor)
        ret = service.request_return(cmd, container.uow()).ret
        if n % 2 == 0:
            close = service.FinishReturn(scope, ret.id, Actor("seller", "s"), "done")
            ret = service.close_return(close, container.uow())
        made.append(ret)
    return seller.id, made


def _values(obj: object, table: object) -> dict[str, object]:
    return {c.name: getattr(obj, c.name) for c in table.c}  # type: ignore[attr-defined]


def test_a_page_shows_each_return_with_its_items_and_history_as_reading_it_alone_does(
    container: Container,
) -> None:
    seller_id, made = _returns(container, 3)

    page = review.list_returns(
        service.Scope(seller_id), ReturnFilter(), container.reader(), after=None, limit=10
    )

    assert sorted(r.id for r in page) == sorted(r.id for r in made)
    for shown in page:
        alone = service.get_return(service.Scope(seller_id), shown.id, container.uow())
        assert _values(shown, orm.returns) == _values(alone, orm.returns)
        assert [_values(i, orm.return_items) for i in shown.items] == [
            _values(i, orm.return_items) for i in alone.items
        ]
        assert [_values(h, orm.return_history) for h in shown.history] == [
            _values(h, orm.return_history) for h in alone.history
        ]
        assert shown.events == []
    closed = [r for r in page if r.status == ReturnStatus.CLOSED]
    assert len(closed) == 2
    assert all(len(r.history) > len(page[1].history) for r in closed)


def test_a_page_shows_history_written_by_a_server_whose_clock_was_behind(
    container: Container,
) -> None:
    seller_id, made = _returns(container, 1)
    history = orm.return_history
    with container.engine.begin() as connection:
        connection.execute(
            history.update()
            .where(history.c.return_id == made[0].id, history.c.action == "close")
            .values(at=made[0].created_at - timedelta(hours=2))
        )

    page = review.list_returns(
        service.Scope(seller_id), ReturnFilter(), container.reader(), after=None, limit=10
    )

    assert [h.action for h in page[0].history] == [h.action for h in made[0].history]
    assert page[0].history[-1].action == "close"


def test_the_desk_counts_up_to_its_cap_and_says_so(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    seller_id, made = _returns(container, 5)
    scope, open_status = service.Scope(seller_id), str(made[1].status)

    def queue(where: ReturnFilter) -> desk.Queue:
        return desk.desk_queue(scope, where, container.reader(), after=None, limit=1)

    exact = queue(ReturnFilter())
    monkeypatch.setattr(desk, "COUNTED_UP_TO", 2)
    capped, closed = queue(ReturnFilter()), queue(ReturnFilter(status=(ReturnStatus.CLOSED,)))

    assert (exact.counts, exact.total, exact.everything) == ({"closed": 3, open_status: 2}, 5, 5)
    assert (capped.counts, capped.total, capped.everything) == ({"closed": 2, open_status: 2}, 2, 2)
    assert (closed.total, closed.everything) == (2, 2)
    assert desk_queue.counted(2) == "2+"
    assert desk_queue.counted(1) == "1"


@pytest.mark.postgres_only
def test_postgresql_plans_without_parallel_workers_unless_the_url_says(
    container: Container,
) -> None:
    url = container.engine.url.render_as_string(hide_password=False)
    asked = url + ("&" if "?" in url else "?") + "options=-c%20max_parallel_workers_per_gather%3D1"
    shown = "SHOW max_parallel_workers_per_gather"

    with container.engine.connect() as connection:
        assert connection.execute(text(shown)).scalar_one() == "0"
    engine = make_engine(asked)
    try:
        with engine.connect() as connection:
            assert connection.execute(text(shown)).scalar_one() == "1"
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_postgresql_reads_times_already_in_utc(container: Container) -> None:
    # The server's own zone may be any (Debian's is "Etc/UTC"): rma's connections read in
    # UTC, so a time needs no converting, and a day is cut at UTC's midnight.
    with container.engine.connect() as connection:
        zone = connection.execute(text("SHOW TimeZone")).scalar_one()
        at = connection.execute(text("SELECT TIMESTAMPTZ '2026-03-29 01:30:00+02'")).scalar_one()

    assert zone == "UTC"
    assert at.tzinfo is UTC
    assert at == datetime(2026, 3, 28, 23, 30, tzinfo=UTC)


@pytest.mark.postgres_only
def test_the_rarer_walk_is_chosen_on_the_estimates_of_the_values_written_in(
    container: Container,
) -> None:
    # The estimate is compiled once a shape, its values bound: PostgreSQL plans a statement
    # that is not prepared for the values given, as if they were written in.
    seller_id, made = _returns(container, 4)
    week = (made[0].created_at - timedelta(days=7), made[0].created_at + timedelta(days=1))
    cases = [
        ("sku", "TEE", (ReturnStatus.CLOSED,), (None, None)),
        ("reason_code", "CR-DEFECTIVE", (ReturnStatus.CLOSED, made[1].status), week),
        ("sku", "MUG", (made[1].status,), (week[0], None)),
        ("reason_code", "CR-UNWANTED_ITEM", (ReturnStatus.REQUESTED,), (None, week[1])),
    ]
    with container.engine.connect() as connection:
        connection.execute(text("ANALYZE returns"))
        connection.execute(text("ANALYZE return_items"))
        dbapi: Any = connection.connection.dbapi_connection
        for field, value, statuses, (since, until) in cases:
            where = ReturnFilter(status=statuses, created_from=since, created_to=until)
            rarer = return_pages.item_is_rarer(connection, seller_id, field, value, where)
            shape = (field, since is not None, until is not None)
            sql = return_pages._rarer_estimate(connection.dialect, *shape)
            params = {
                "seller_id": seller_id,
                "value": value,
                "statuses": [str(s) for s in statuses],
                "since": since,
                "until": until,
            }
            bound = connection.exec_driver_sql(sql, params).scalar_one()
            with psycopg.ClientCursor(dbapi) as cursor:
                written_in = cursor.mogrify(sql, params)
            literal = connection.exec_driver_sql(written_in).scalar_one()

            def rows(plan: Any) -> list[float]:
                return [p["Plan Rows"] for p in plan[0]["Plan"]["Plans"]]

            assert (shape, rows(bound)) == (shape, rows(literal))
            assert rarer == (rows(literal)[0] <= rows(literal)[1])
