"""The rollups answer exactly what the facts say, as returns move (PostgreSQL's triggers)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, text, update

from rma.adapters import orm, orm_money, orm_physical
from rma.adapters.analytics_queries import SqlAnalytics
from rma.bootstrap import Container
from rma.domain.analytics import Channel, Dimension, Grain, MeasureFilter, Period
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.services import returns, sellers
from rma.services.analytics import PERCENTILES
from rma.services.rollups import refresh_rollups
from tests import analytics_world
from tests.builders import add_order

PERIOD = Period(date(2026, 1, 1), date(2026, 12, 31), analytics_world.TZ)


def answers(container: Container, seller_id: str, *, rolled: bool, zone: str = "") -> list[Any]:
    period = Period(PERIOD.start, PERIOD.end, zone or PERIOD.tz)
    found = []
    with container.uow() as uow:
        queries = SqlAnalytics(uow.session, use_rollups=rolled)  # type: ignore[attr-defined]
        for f in (
            MeasureFilter(period, Grain.MONTH),
            MeasureFilter(period, Grain.WEEK, sku="MUG"),
            MeasureFilter(period, Grain.DAY, channel=Channel.AMAZON),
            MeasureFilter(period, Grain.MONTH, category="kitchen"),
            MeasureFilter(period, Grain.MONTH, reason="CR-DEFECTIVE"),
            # Months read in part from the days, whole ones from the monthly rollups.
            MeasureFilter(Period(date(2026, 2, 11), date(2026, 3, 31), period.tz), Grain.MONTH),
            MeasureFilter(Period(date(2026, 2, 1), date(2026, 3, 15), period.tz), Grain.MONTH),
            MeasureFilter(Period(date(2026, 1, 20), date(2026, 3, 5), period.tz), Grain.MONTH),
            MeasureFilter(Period(date(2026, 2, 28), date(2026, 3, 1), period.tz), Grain.MONTH),
            # Months covered mostly: the month less the days left out, at either end.
            MeasureFilter(Period(date(2026, 2, 2), date(2026, 3, 30), period.tz), Grain.MONTH),
            MeasureFilter(
                Period(date(2026, 2, 2), date(2026, 3, 30), period.tz), Grain.MONTH, sku="TEE"
            ),
        ):
            for dimension in Dimension:
                for measure in (queries.returned_units, queries.reasons, queries.shipped_units):
                    rows = measure(seller_id, f, dimension)
                    # Buckets as text: rollups answer dates, raw reads text (the same day).
                    found.append(sorted((str(row[0]), *row[1:-1], int(row[-1])) for row in rows))
    return found


def operations(container: Container, seller_id: str, *, rolled: bool, zone: str = "") -> list[Any]:
    """Damage, outcomes and money under each filter, each answer sorted."""
    period = Period(PERIOD.start, PERIOD.end, zone or PERIOD.tz)
    found = []
    with container.uow() as uow:
        queries = SqlAnalytics(uow.session, use_rollups=rolled)  # type: ignore[attr-defined]
        for f in (
            MeasureFilter(period, Grain.MONTH),
            MeasureFilter(period, Grain.DAY),
            MeasureFilter(period, Grain.WEEK, sku="TEE"),
            MeasureFilter(period, Grain.MONTH, channel=Channel.AMAZON),
            MeasureFilter(period, Grain.MONTH, category="apparel"),
            MeasureFilter(period, Grain.MONTH, reason="CR-DEFECTIVE"),
            MeasureFilter(Period(date(2026, 2, 16), date(2026, 3, 4), period.tz), Grain.DAY),
            # Outcomes: whole months from the monthly rollup, the days around them daily, or
            # months less the days left out.
            MeasureFilter(Period(date(2026, 1, 20), date(2026, 3, 5), period.tz), Grain.MONTH),
            MeasureFilter(Period(date(2026, 2, 2), date(2026, 3, 30), period.tz), Grain.MONTH),
        ):
            for measure in (queries.carrier_damage, queries.outcomes, queries.money):
                rows = measure(seller_id, f)
                found.append(sorted(tuple(str(x) for x in row) for row in rows))
            rows = queries.speed(seller_id, f, PERCENTILES)
            found.append(sorted(tuple(str(x) for x in row) for row in rows))
    return found


def test_rollups_follow_every_move_of_returns_and_items(container: Container) -> None:
    seller = sellers.create_seller(sellers.CreateSeller("Shop"), container.uow())
    world = analytics_world.build(container, seller.id)
    refresh_rollups(container.uow)
    assert answers(container, seller.id, rolled=True) == answers(container, seller.id, rolled=False)

    with container.engine.begin() as connection:
        r, ri = orm.returns, orm.return_items
        # R3 is denied after all, R4 reopened; an item's quantity and reason change; one goes.
        connection.execute(update(r).where(r.c.id == world.returns["R3"]).values(status="denied"))
        connection.execute(
            update(r).where(r.c.id == world.returns["R4"]).values(status="pending_review")
        )
        connection.execute(
            update(ri).where(ri.c.id == "itm_R1a").values(requested_quantity=1, reason_code="X")
        )
        connection.execute(delete(ri).where(ri.c.id == "itm_R1b"))
    # A return made the ordinary way, through the use case.
    order = add_order(container, seller.id, "2001", delivered_days_ago=3)
    returns.request_return(
        returns.RequestReturn(
            returns.Scope(seller.id),
            order.number,
            [RequestedItem("1", 2, "CR-DEFECTIVE")],
            Actor("customer", "c"),
        ),
        container.uow(),
    )
    this_year = Period(date.today().replace(month=1, day=1), date.today(), analytics_world.TZ)
    with container.uow() as uow:
        now = SqlAnalytics(uow.session).returned_units(  # type: ignore[attr-defined]
            seller.id, MeasureFilter(this_year, Grain.MONTH), Dimension.SKU
        )
    assert ("TEE", 2) in [(key, int(units)) for _, key, units in now]
    assert answers(container, seller.id, rolled=True) == answers(container, seller.id, rolled=False)
    # Shipments after the first refresh: read raw, then added to the days and months.
    add_order(container, seller.id, "2002", delivered_days_ago=40)
    assert answers(container, seller.id, rolled=True) == answers(container, seller.id, rolled=False)
    assert refresh_rollups(container.uow) > 0
    assert answers(container, seller.id, rolled=True) == answers(container, seller.id, rolled=False)


@pytest.mark.postgres_only
def test_a_new_time_zone_rebuilds_the_returned_units(container: Container) -> None:
    seller = sellers.create_seller(sellers.CreateSeller("Shop"), container.uow())
    analytics_world.build(container, seller.id)
    with container.engine.begin() as connection:
        connection.execute(
            update(orm.sellers).where(orm.sellers.c.id == seller.id).values(timezone="Asia/Tokyo")
        )
    tokyo = answers(container, seller.id, rolled=False, zone="Asia/Tokyo")
    assert answers(container, seller.id, rolled=True, zone="Asia/Tokyo") == tokyo
    assert tokyo != answers(container, seller.id, rolled=False)


def test_damage_outcomes_and_money_follow_inspections_refunds_credit_and_stock(
    container: Container,
) -> None:
    seller = sellers.create_seller(sellers.CreateSeller("Shop"), container.uow())
    world = analytics_world.build(container, seller.id)
    # Speed: before the due job timed anything (all raw), then from the timings.
    first = operations(container, seller.id, rolled=True)
    assert first == operations(container, seller.id, rolled=False)
    refresh_rollups(container.uow)
    assert operations(container, seller.id, rolled=True) == first
    assert any(first)  # the world has damage, outcomes, money and speed to count

    r, ri = orm.returns, orm.return_items
    rf, ce, im = orm_money.refunds, orm_money.credit_entries, orm_physical.inventory_movements
    with container.engine.begin() as connection:
        # R2's return went with UPS after all; R1's mug is found defective a day later;
        # R3's mug is inspected (carrier damaged), its cap received but not inspected.
        connection.execute(update(r).where(r.c.id == world.returns["R2"]).values(carrier="UPS"))
        connection.execute(
            update(ri)
            .where(ri.c.id == "itm_R1b")
            .values(condition="defective", inspected_at=analytics_world.at("2026-02-17 10:00"))
        )
        connection.execute(
            update(ri)
            .where(ri.c.id == "itm_R3a")
            .values(
                received_quantity=2,
                accepted_quantity=1,
                rejected_quantity=1,
                condition="carrier_damaged",
                disposition="dispose",
                inspected_at=analytics_world.at("2026-03-18 12:00"),
            )
        )
        connection.execute(update(ri).where(ri.c.id == "itm_R3b").values(received_quantity=1))
        # R1's refund is found failed; a top-up succeeds instead, with another fee.
        connection.execute(update(rf).where(rf.c.id == "rfd_R1").values(status="failed"))
        connection.execute(
            orm_money.refunds.insert().values(
                id="rfd_R1b",
                seller_id=seller.id,
                return_id=world.returns["R1"],
                order_id=f"ord_{seller.id[-6:]}_1001",
                currency="USD",
                amount=4000,
                sequence=2,
                breakdown={"goods": 4100, "restocking_fee": 100, "total": 4000},
                gateway="manual",
                status="succeeded",
                attempt=1,
                asks=1,
                idempotency_key="refund-top-up",
                reference="",
                failure_reason="",
                created_at=analytics_world.at("2026-03-02 10:00"),
                updated_at=analytics_world.at("2026-03-02 11:00"),
            )
        )
        # The credit is taken back; stock is booked again elsewhere.
        connection.execute(delete(ce).where(ce.c.id == "crd_R3"))
        connection.execute(
            update(im).where(im.c.item_id == "itm_R1b").values(bucket="liquidate", quantity=1)
        )
        connection.execute(
            im.insert().values(
                seller_id=seller.id,
                sku="MUG",
                location="WH1",
                bucket="dispose",
                quantity=1,
                return_id=world.returns["R3"],
                item_id="itm_R3a",
                created_at=analytics_world.at("2026-03-18 12:00"),
            )
        )
        connection.execute(delete(im).where(im.c.item_id == "itm_R2a"))
        # R2 was requested an hour earlier than it said.
        connection.execute(
            update(r)
            .where(r.c.id == world.returns["R2"])
            .values(created_at=analytics_world.at("2026-02-01 09:00"))
        )
    moved = operations(container, seller.id, rolled=True)
    assert moved == operations(container, seller.id, rolled=False)
    assert moved != first
    # History the due job has not read yet (R3, timed as authorized, is received): R3 is
    # timed raw until the job reads it.
    with container.engine.begin() as connection:
        connection.execute(
            orm.return_history.insert().values(
                seller_id=seller.id,
                return_id=world.returns["R3"],
                at=analytics_world.at("2026-03-25 10:00"),
                actor="desk",
                action="receive",
                from_status="authorized",
                to_status="received",
                note="",
            )
        )
    pending = operations(container, seller.id, rolled=True)
    assert pending == operations(container, seller.id, rolled=False)
    refresh_rollups(container.uow)
    assert operations(container, seller.id, rolled=True) == pending


@pytest.mark.postgres_only
def test_a_new_time_zone_rebuilds_damage_outcomes_and_money(container: Container) -> None:
    seller = sellers.create_seller(sellers.CreateSeller("Shop"), container.uow())
    analytics_world.build(container, seller.id)
    refresh_rollups(container.uow)  # the speed bins' days too
    with container.engine.begin() as connection:
        connection.execute(
            update(orm.sellers).where(orm.sellers.c.id == seller.id).values(timezone="Asia/Tokyo")
        )
    tokyo = operations(container, seller.id, rolled=False, zone="Asia/Tokyo")
    assert operations(container, seller.id, rolled=True, zone="Asia/Tokyo") == tokyo
    assert tokyo != operations(container, seller.id, rolled=False)


@pytest.mark.postgres_only
def test_money_written_by_two_transactions_at_once_neither_waits_and_both_count(
    container: Container,
) -> None:
    refunded = (
        "SELECT rma_money_apply(:seller, ARRAY[now()], ARRAY['USD'], ARRAY['refunded'],"
        " ARRAY[CAST(:amount AS bigint)], ARRAY[1])"
    )
    seller_id = _added_at_once(container, refunded, {"amount": 500}, {"amount": 700})
    with container.uow() as uow:
        queries = SqlAnalytics(uow.session, use_rollups=True)  # type: ignore[attr-defined]
        money = queries.money(seller_id, MeasureFilter(IN_ITS_ZONE, Grain.MONTH))
    assert [(currency, measure, int(amount)) for _, currency, measure, amount in money] == [
        ("USD", "refunded", 1200)
    ]


@pytest.mark.postgres_only
def test_units_returned_by_two_requests_at_once_neither_waits_and_both_count(
    container: Container,
) -> None:
    asked = (
        "SELECT rma_returned_units_apply(:seller, now(), 'ord_1', 'TEE', 'CR-DEFECTIVE',"
        " CAST(:units AS bigint))"
    )
    seller_id = _added_at_once(container, asked, {"units": 2}, {"units": 3})
    with container.uow() as uow:
        queries = SqlAnalytics(uow.session, use_rollups=True)  # type: ignore[attr-defined]
        for grain in (Grain.DAY, Grain.MONTH):  # the days' rollup, and the months'
            f = MeasureFilter(IN_ITS_ZONE, grain)
            units = queries.returned_units(seller_id, f, Dimension.SKU)
            assert [(key, int(n)) for _, key, n in units] == [("TEE", 5)]


@pytest.mark.postgres_only
def test_items_inspected_in_two_transactions_at_once_neither_waits_and_both_count(
    container: Container,
) -> None:
    inspected = (
        "SELECT rma_inspected_units_apply(:seller, now(), 'ord_1', 'UPS', 'TEE', 'CR-DEFECTIVE',"
        " 'sellable', 'restock', 1, CAST(:units AS bigint), CAST(:units AS bigint), 0)"
    )
    seller_id = _added_at_once(container, inspected, {"units": 2}, {"units": 3})
    with container.uow() as uow:
        queries = SqlAnalytics(uow.session, use_rollups=True)  # type: ignore[attr-defined]
        for f in (
            MeasureFilter(IN_ITS_ZONE, Grain.MONTH),  # the months' rollup
            MeasureFilter(IN_ITS_ZONE, Grain.MONTH, reason="CR-DEFECTIVE"),  # the days'
        ):
            outcomes = queries.outcomes(seller_id, f)
            assert [tuple(str(x) for x in row) for row in outcomes] == [
                ("TEE", "sellable", "restock", "5", "0")
            ]


IN_ITS_ZONE = Period(PERIOD.start, PERIOD.end, "UTC")  # the seller's zone: rollups answer


def _added_at_once(
    container: Container, adding: str, first: dict[str, Any], second: dict[str, Any]
) -> str:
    """A new seller's rollups added to by ``adding`` in two transactions at once, on backends
    of different slots (a backend's is its process id modulo 16): the second must not wait
    for the first's commit. The seller's id."""
    seller_id = sellers.create_seller(sellers.CreateSeller("Busy shop"), container.uow()).id
    opened = [container.engine.connect() for _ in range(2)]
    while len({_slot(c) for c in opened}) < 2:
        opened.append(container.engine.connect())
    earlier = opened[0]
    later = next(c for c in opened if _slot(c) != _slot(earlier))
    try:
        earlier.execute(text(adding), {"seller": seller_id, **first})  # its rows held to commit
        later.execute(text("SET LOCAL lock_timeout = '2s'"))
        later.execute(text(adding), {"seller": seller_id, **second})
        later.commit()
        earlier.commit()
    finally:
        for connection in opened:
            connection.close()
    return seller_id


def _slot(connection: Any) -> int:
    return int(connection.execute(text("SELECT pg_backend_pid() % 16")).scalar_one())
