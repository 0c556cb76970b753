"""One statement over many rows stores each row as it was given, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from rma.adapters import orm
from rma.adapters.row_sets import Columns, execute_for_rows, insert_into, one_of
from rma.bootstrap import Container

AT = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)


def _event(n: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{n}",
        "seller_id": "sel_1",
        "event_type": "return.authorized",
        "aggregate_id": f"ret_{n}",
        "payload": {"n": n, "note": 'déjà vu "quoted"'},
        "occurred_at": AT,
        "processed_at": None,
        **changes,
    }


def _stored(container: Container) -> list[dict[str, Any]]:
    c = orm.outbox.c
    with container.engine.connect() as connection:
        rows = connection.execute(select(orm.outbox).order_by(c.id)).mappings()
        return [dict(row) for row in rows]


def _insert(container: Container, rows: list[dict[str, Any]]) -> int:
    with container.engine.begin() as connection:
        return execute_for_rows(connection, orm.outbox, rows, insert_into(orm.outbox))


def test_rows_are_stored_with_shared_and_varying_values_alike(container: Container) -> None:
    berlin = AT.astimezone(ZoneInfo("Europe/Berlin"))  # the same instant, another zone
    rows = [
        _event(1),
        _event(2, occurred_at=berlin, processed_at=AT + timedelta(minutes=5)),
        _event(3, payload={"n": 3, "nested": {"list": [1, None, True]}}, event_type="réturn ✓"),
    ]

    _insert(container, rows)

    stored = _stored(container)
    assert [row["id"] for row in stored] == ["evt_1", "evt_2", "evt_3"]
    assert [row["payload"] for row in stored] == [row["payload"] for row in rows]
    assert {row["seller_id"] for row in stored} == {"sel_1"}
    assert [row["event_type"] for row in stored][2] == "réturn ✓"
    assert [row["occurred_at"] for row in stored] == [AT, AT, AT]
    assert [row["processed_at"] for row in stored] == [None, AT + timedelta(minutes=5), None]
    assert all(row["occurred_at"].utcoffset() == timedelta(0) for row in stored)


def test_a_single_row_and_no_rows(container: Container) -> None:
    assert _insert(container, []) == 0
    _insert(container, [_event(7)])
    [stored] = _stored(container)
    assert (stored["id"], stored["payload"], stored["occurred_at"]) == (
        "evt_7",
        {"n": 7, "note": 'déjà vu "quoted"'},
        AT,
    )


def test_an_update_answers_how_many_rows_it_matched(container: Container) -> None:
    _insert(container, [_event(n) for n in range(1, 4)])
    done = AT + timedelta(hours=1)

    def mark(row: Columns) -> Any:
        c = orm.outbox.c
        return update(orm.outbox).where(c.id == row["id"]).values(processed_at=row["processed_at"])

    with container.engine.begin() as connection:
        matched = execute_for_rows(
            connection,
            orm.outbox,
            [{"id": i, "processed_at": done} for i in ("evt_1", "evt_3", "evt_unknown")],
            mark,
        )
        assert matched == 2
        c = orm.outbox.c
        found = connection.scalars(
            select(c.id).where(one_of(connection, c.id, ["evt_2", "evt_3", "evt_9"]))
        )
        assert sorted(found) == ["evt_2", "evt_3"]
    assert [row["processed_at"] for row in _stored(container)] == [done, None, done]


def test_naive_times_are_refused_as_for_any_statement(container: Container) -> None:
    with pytest.raises(Exception, match="naive"):
        _insert(container, [_event(1), _event(2, occurred_at=datetime(2026, 3, 28, 12, 0))])
    assert _stored(container) == []
