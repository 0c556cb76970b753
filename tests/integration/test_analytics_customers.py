"""Top customers answer exactly what the raw facts say, ties and moves included."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import delete, select, update

from rma.adapters import orm, orm_analytics
from rma.adapters.analytics_filters import NOT_COUNTED
from rma.adapters.analytics_queries import SqlAnalytics
from rma.bootstrap import Container
from rma.domain.analytics import Grain, MeasureFilter, Period
from rma.services import sellers
from rma.services.rollups import refresh_rollups
from tests.analytics_world import TZ, Rows, a_return, item, order

PERIOD = Period(date(2026, 2, 1), date(2026, 4, 30), TZ)
# Beside whole months: months less a few days at either end, months plus a few days of
# the next, a part of one month, months past the last one counted and before the first.
PERIODS = (
    (date(2026, 2, 2), date(2026, 4, 29)),
    (date(2026, 2, 20), date(2026, 4, 5)),
    (date(2026, 1, 1), date(2026, 3, 6)),
    (date(2026, 3, 6), date(2026, 3, 25)),
    (date(2026, 1, 15), date(2026, 8, 31)),
    (date(2025, 11, 1), date(2026, 1, 31)),
)
FILTERS = (
    MeasureFilter(PERIOD, Grain.MONTH),
    MeasureFilter(PERIOD, Grain.MONTH, sku="MUG"),
    MeasureFilter(PERIOD, Grain.MONTH, reason="CR-DEFECTIVE"),
    MeasureFilter(Period(date(2026, 3, 1), date(2026, 3, 31), TZ), Grain.MONTH),
    *(MeasureFilter(Period(start, end, TZ), Grain.DAY) for start, end in PERIODS),
)
# (customer, local day of the request, status, [(SKU, quantity, reason)]): ties on returns
# broken by units, ties on both by the address. Requests at 03:30 UTC are the evening before
# in the seller's zone: eve's of 1 February falls before the period, of 1 May inside it.
RETURNS = [
    ("ann", "2026-02-03", "closed", [("TEE", 1, "CR-DEFECTIVE"), ("MUG", 2, "CR-DEFECTIVE")]),
    ("ann", "2026-03-09", "authorized", [("MUG", 1, "CR-UNWANTED_ITEM")]),
    ("ann", "2026-04-20", "received", [("TEE", 1, "CR-UNWANTED_ITEM")]),
    ("bea", "2026-02-14", "closed", [("TEE", 2, "CR-DEFECTIVE")]),
    ("bea", "2026-03-01", "pending_review", [("MUG", 3, "CR-UNWANTED_ITEM")]),
    ("bea", "2026-03-30", "denied", [("TEE", 5, "CR-DEFECTIVE")]),
    ("bea", "2026-04-02", "inspected", [("TEE", 1, "CR-DEFECTIVE")]),
    ("cal", "2026-02-20", "resolved", [("MUG", 2, "CR-DEFECTIVE")]),
    ("cal", "2026-03-21", "cancelled", [("MUG", 9, "CR-DEFECTIVE")]),
    ("cal", "2026-04-11", "closed", [("TEE", 1, "CR-UNWANTED_ITEM"), ("MUG", 1, "CR-DEFECTIVE")]),
    ("dan", "2026-03-05", "expired", [("TEE", 7, "CR-DEFECTIVE")]),
    ("dan", "2026-03-06", "closed", [("TEE", 1, "CR-DEFECTIVE")]),
    ("eve", "2026-03-12", "closed", [("MUG", 1, "CR-DEFECTIVE")]),
    ("eve", "2026-02-01", "closed", [("MUG", 4, "CR-DEFECTIVE")]),
    ("eve", "2026-05-01", "closed", [("MUG", 4, "CR-DEFECTIVE")]),
    ("fay", "2026-02-25", "closed", [("MUG", 1, "CR-DEFECTIVE")]),
    ("fay", "2026-03-25", "closed", []),  # no item: no return to count
]


def build(container: Container, seller_id: str) -> dict[int, str]:
    with container.engine.begin() as connection:
        connection.execute(
            update(orm.sellers).where(orm.sellers.c.id == seller_id).values(timezone=TZ)
        )
    rows = Rows(container, seller_id)
    ids = {}
    for n, (who, day, status, items) in enumerate(RETURNS):
        email = f"{who}@example.com"
        lines = [(str(i + 1), sku, 10, 1000) for i, (sku, _, _) in enumerate(items)]
        order_id = order(rows, f"{3000 + n}", email, lines or [("1", "TEE", 1, 1000)])
        ids[n] = a_return(rows, f"C{n}", order_id, email, status, f"{day} 03:30", [])
        for i, (sku, quantity, reason) in enumerate(items):
            item(rows, ids[n], f"itm_C{n}_{i}", str(i + 1), sku, quantity=quantity,
                 price=1000, reason=reason)  # fmt: skip
    rows.write()
    return ids


def from_facts(container: Container, seller_id: str, f: MeasureFilter, limit: int) -> list[Any]:
    """The answer computed here from every return and item row, as a person would."""
    first, after = f.period.utc_bounds()
    r, ri = orm.returns, orm.return_items
    with container.engine.connect() as connection:
        found = connection.execute(
            select(r.c.id, r.c.customer_email, r.c.created_at, r.c.status).where(
                r.c.seller_id == seller_id
            )
        ).all()
        items = connection.execute(
            select(ri.c.return_id, ri.c.sku, ri.c.reason_code, ri.c.requested_quantity).where(
                ri.c.seller_id == seller_id
            )
        ).all()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for return_id, email, created, status in found:
        at = created.replace(tzinfo=first.tzinfo) if created.tzinfo is None else created
        if not first <= at < after or status in NOT_COUNTED:
            continue
        units = [
            q
            for rid, sku, reason, q in items
            if rid == return_id and f.sku in (None, sku) and f.reason in (None, reason)
        ]
        if units:
            counts[email][0] += 1
            counts[email][1] += sum(units)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    return [(email, n, units) for email, (n, units) in ranked[:limit]]


def answered(container: Container, seller_id: str, f: MeasureFilter, limit: int) -> list[Any]:
    with container.uow() as uow:
        queries = SqlAnalytics(uow.session)  # type: ignore[attr-defined]
        rows = queries.top_customers(seller_id, f, limit)
    return [(str(email), int(n), int(units)) for email, n, units in rows]


def check(container: Container, seller_id: str) -> None:
    for f in FILTERS:
        for limit in (1, 2, 3, 20):
            assert answered(container, seller_id, f, limit) == from_facts(
                container, seller_id, f, limit
            ), (f, limit)


def test_top_customers_rank_by_returns_then_units_then_address(container: Container) -> None:
    seller = sellers.create_seller(sellers.CreateSeller("Shop"), container.uow())
    build(container, seller.id)
    assert answered(container, seller.id, FILTERS[0], 6) == [
        ("bea@example.com", 3, 6),
        ("ann@example.com", 3, 5),
        ("eve@example.com", 2, 5),
        ("cal@example.com", 2, 4),
        ("dan@example.com", 1, 1),
        ("fay@example.com", 1, 1),
    ]
    check(container, seller.id)


def change_every_kind(container: Container, seller_id: str, ids: dict[int, str]) -> None:
    r, ri = orm.returns, orm.return_items
    with container.engine.begin() as connection:
        # ann's first return denied after all, bea's denial reopened, cal's cancelled one
        # back; a quantity and a reason change, an item goes, one is added to fay's empty one.
        connection.execute(update(r).where(r.c.id == ids[0]).values(status="denied"))
        connection.execute(update(r).where(r.c.id == ids[5]).values(status="pending_review"))
        connection.execute(update(r).where(r.c.id == ids[8]).values(status="authorized"))
        connection.execute(update(ri).where(ri.c.id == "itm_C1_0").values(requested_quantity=6))
        connection.execute(
            update(ri).where(ri.c.id == "itm_C12_0").values(reason_code="CR-UNWANTED_ITEM")
        )
        connection.execute(delete(ri).where(ri.c.id == "itm_C9_1"))
    rows = Rows(container, seller_id)
    item(rows, ids[16], "itm_C16_0", "1", "TEE", quantity=2, price=1000,
         reason="CR-DEFECTIVE")  # fmt: skip
    rows.write()


def test_top_customers_follow_denials_cancellations_and_item_changes(
    container: Container,
) -> None:
    seller = sellers.create_seller(sellers.CreateSeller("Shop"), container.uow())
    ids = build(container, seller.id)
    change_every_kind(container, seller.id, ids)
    check(container, seller.id)


def moved(container: Container, seller_id: str) -> int:
    """Returns changed since the monthly counts counted them (PostgreSQL's triggers)."""
    m = orm_analytics.customer_return_moves
    with container.engine.connect() as connection:
        found = connection.execute(select(m.c.return_id).where(m.c.seller_id == seller_id))
        return len(found.all())


def test_counted_months_answer_the_facts_before_and_after_the_job_counts_changes(
    container: Container,
) -> None:
    seller = sellers.create_seller(sellers.CreateSeller("Shop"), container.uow())
    ids = build(container, seller.id)
    other = sellers.create_seller(sellers.CreateSeller("Other"), container.uow())
    build(container, other.id)  # the same customers: counted apart, each seller its own
    refresh_rollups(container.uow)  # counted: the months answer from here on
    assert moved(container, seller.id) == 0
    check(container, seller.id)
    change_every_kind(container, seller.id, ids)
    if container.engine.dialect.name == "postgresql":
        assert moved(container, seller.id) > 0  # read beside the months until counted
    check(container, seller.id)
    refresh_rollups(container.uow)
    assert moved(container, seller.id) == 0
    check(container, seller.id)
    check(container, other.id)
    with container.engine.begin() as connection:  # dan's counted return goes altogether
        for table in (orm.return_items, orm.return_history):
            connection.execute(delete(table).where(table.c.return_id == ids[11]))
        connection.execute(delete(orm.returns).where(orm.returns.c.id == ids[11]))
    check(container, seller.id)
    refresh_rollups(container.uow)
    check(container, seller.id)


def test_counted_months_follow_new_returns_in_later_months_and_a_new_zone(
    container: Container,
) -> None:
    seller = sellers.create_seller(sellers.CreateSeller("Shop"), container.uow())
    build(container, seller.id)
    refresh_rollups(container.uow)
    # New customers and old ones return in June and July, after the last month counted,
    # and in January, before the first: the months are carried on and opened before.
    rows = Rows(container, seller.id)
    for n, (who, day) in enumerate(
        [("gus", "2026-07-04"), ("ann", "2026-06-10"), ("ann", "2026-07-31"),
         ("hal", "2026-01-20"), ("bea", "2026-01-02"), ("gus", "2026-03-31")]
    ):  # fmt: skip
        email = f"{who}@example.com"
        order_id = order(rows, f"{4000 + n}", email, [("1", "TEE", 5, 1000)])
        return_id = a_return(rows, f"N{n}", order_id, email, "authorized", f"{day} 12:00", [])
        item(rows, return_id, f"itm_N{n}", "1", "TEE", quantity=n + 1, price=1000,
             reason="CR-DEFECTIVE")  # fmt: skip
    rows.write()
    check(container, seller.id)
    refresh_rollups(container.uow)
    check(container, seller.id)
    # Another zone: the months are in the old one, so the facts answer until counted again.
    with container.engine.begin() as connection:
        connection.execute(
            update(orm.sellers).where(orm.sellers.c.id == seller.id).values(timezone="Asia/Tokyo")
        )
    zoned = [MeasureFilter(Period(start, end, "Asia/Tokyo"), Grain.DAY) for start, end in PERIODS]
    for f in zoned:
        assert answered(container, seller.id, f, 20) == from_facts(container, seller.id, f, 20)
    refresh_rollups(container.uow)
    for f in zoned:
        assert answered(container, seller.id, f, 20) == from_facts(container, seller.id, f, 20)
