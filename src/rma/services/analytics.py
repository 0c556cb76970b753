"""Use cases of returns intelligence: each measure of one seller, over a period and filters.

Each function checks the question (a period of at most 3 years, filter values the seller
knows, a grouping the measure supports), asks storage for grouped rows, and shapes them:
empty buckets are shown as zero, rates are computed from whole counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from rma.domain.analytics import (
    Channel,
    Dimension,
    Grain,
    MeasureFilter,
    Period,
    buckets,
    rate,
)
from rma.domain.errors import InvalidInput, NotFound
from rma.services.clock import utcnow
from rma.services.sku_pages import SkuPage, sku_page
from rma.services.unit_of_work import UnitOfWork

DEFAULT_DAYS = 90  # the period when none is asked for: the last 90 days, today included
PERCENTILES = (0.5, 0.9)


@dataclass(frozen=True)
class MeasureQuery:
    """A question as asked: the seller, the period, the grouping and the filters."""

    seller_id: str
    start: date | None = None
    end: date | None = None
    group_by: Grain | None = None
    by: Dimension | None = None
    sku: str | None = None
    category: str | None = None
    reason: str | None = None
    facility: str | None = None
    channel: Channel | None = None


# Rate and reason points come by the tens of thousands per answer (a SKU a day): slotted,
# not frozen, since a frozen dataclass sets each field through object.__setattr__.
@dataclass(slots=True)
class RatePoint:
    period: date
    key: str
    units_shipped: int
    units_returned: int
    return_rate: float | None


@dataclass(slots=True)
class ReasonPoint:
    period: date
    key: str
    reason_code: str
    fault: str
    units: int
    share: float | None  # of the units returned of this key and period


@dataclass(frozen=True)
class DamagePoint:
    period: date
    carrier: str
    damaged_units: int
    exceptions: int


@dataclass(frozen=True)
class MoneyPoint:
    period: date
    currency: str
    refunded: int = 0
    store_credit_issued: int = 0
    restocking_fees: int = 0
    label_costs_recovered: int = 0
    value_restocked: int = 0
    value_written_off: int = 0


MONEY_MEASURES = (
    "refunded",
    "store_credit_issued",
    "restocking_fees",
    "label_costs_recovered",
    "value_restocked",
    "value_written_off",
)
STAGES = ("request_to_authorization", "authorization_to_receipt", "receipt_to_refund")


@dataclass(frozen=True)
class SpeedPoint:
    period: date
    stage: str
    returns: int
    p50_seconds: int | None
    p90_seconds: int | None


@dataclass(frozen=True)
class OutcomePoint:
    sku: str
    condition: str
    disposition: str
    units_accepted: int
    units_rejected: int


@dataclass(frozen=True)
class CustomerPoint:
    customer_email: str
    returns: int
    units_returned: int
    units_shipped: int
    return_rate: float | None


T = TypeVar("T")


@dataclass(frozen=True)
class Measure(Generic[T]):
    """A measure's rows, with the filter that produced them (period, zone, grouping)."""

    filter: MeasureFilter
    dimension: Dimension
    rows: list[T]
    next_cursor: str | None = None  # split by SKU: the next page of SKUs, if any


def measure_filter(
    query: MeasureQuery,
    uow: UnitOfWork,
    *,
    grains: tuple[Grain, ...] = tuple(Grain),
    dimensions: tuple[Dimension, ...] = (Dimension.OVERALL,),
) -> tuple[MeasureFilter, Dimension]:
    """The checked filter of ``query`` for a measure grouped by ``grains`` and ``dimensions``."""
    problems = []
    if query.group_by is not None and query.group_by not in grains:
        supported = ", ".join(g.value for g in grains) or "nothing"
        problems.append(
            {"field": "group_by", "issue": "unsupported", "message": f"supported: {supported}"}
        )
    if query.by is not None and query.by not in dimensions:
        supported = ", ".join(d.value for d in dimensions)
        problems.append(
            {"field": "by", "issue": "unsupported", "message": f"supported: {supported}"}
        )
    if problems:
        raise InvalidInput("this measure cannot be grouped that way", details=problems)
    with uow:
        seller = uow.sellers.get(query.seller_id)
        if seller is None:
            raise NotFound("no such seller")
        end = query.end or utcnow().astimezone(ZoneInfo(seller.timezone)).date()
        start = query.start or end - timedelta(days=DEFAULT_DAYS - 1)
        f = MeasureFilter(
            Period.of(start, end, seller.timezone),
            query.group_by or (grains[0] if len(grains) == 1 else Grain.MONTH),
            sku=query.sku,
            category=query.category,
            reason=query.reason,
            facility=query.facility,
            channel=query.channel,
        )
        unknown = uow.analytics.unknown_filters(query.seller_id, f)
    if unknown:
        raise InvalidInput(
            f"unknown {', '.join(unknown)}",
            details=[{"field": name, "issue": "unknown_value"} for name in unknown],
        )
    return f, query.by or dimensions[0]


def return_rates(
    query: MeasureQuery, uow: UnitOfWork, page: SkuPage | None = None
) -> Measure[RatePoint]:
    """Units returned per unit shipped, per period and SKU, category or overall.

    Split by SKU, one ``page`` of SKUs (the most returned first) is answered.
    """
    f, dimension = measure_filter(query, uow, dimensions=tuple(Dimension))
    following = None
    with uow:
        order: list[str] = []
        if dimension is Dimension.SKU:
            order, following = sku_page(uow, query.seller_id, f, page or SkuPage(), shipped=True)
            f = replace(f, skus=tuple(order))
        shipped = uow.analytics.shipped_units(query.seller_id, replace(f, reason=None), dimension)
        returned = uow.analytics.returned_units(query.seller_id, f, dimension)
    counts: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for at, key, units in shipped:
        counts[(_day(at), str(key))][0] += int(units or 0)
    for at, key, units in returned:
        counts[(_day(at), str(key))][1] += int(units or 0)
    keys = order or sorted({key for _, key in counts})
    if not keys and dimension is Dimension.OVERALL:
        keys = ["all"]
    rows = []
    periods = buckets(f.period, f.grain)
    for key in keys:
        for at in periods:
            shipped_units, returned_units = counts.get((at, key), [0, 0])
            rows.append(
                RatePoint(
                    at, key, shipped_units, returned_units, rate(returned_units, shipped_units)
                )
            )
    return Measure(replace(f, skus=None), dimension, rows, following)


def reason_breakdown(
    query: MeasureQuery, uow: UnitOfWork, page: SkuPage | None = None
) -> Measure[ReasonPoint]:
    """Units returned per reason (with whose fault it is), per period and key.

    Split by SKU, one ``page`` of SKUs (the most returned first) is answered.
    """
    f, dimension = measure_filter(query, uow, dimensions=tuple(Dimension))
    following = None
    with uow:
        order: list[str] = []
        if dimension is Dimension.SKU:
            order, following = sku_page(uow, query.seller_id, f, page or SkuPage(), shipped=False)
            f = replace(f, skus=tuple(order))
        found = uow.analytics.reasons(query.seller_id, f, dimension)
    rank = {sku: i for i, sku in enumerate(order)}
    totals: dict[tuple[date, str], int] = defaultdict(int)
    for at, key, _, _, units in found:
        totals[(_day(at), str(key))] += int(units)
    rows = sorted(
        (
            ReasonPoint(
                _day(at),
                str(key),
                str(code),
                str(fault),
                int(units),
                rate(int(units), totals[(_day(at), str(key))]),
            )
            for at, key, code, fault, units in found
        ),
        key=lambda p: (p.period, rank.get(p.key, 0), p.key, -p.units, p.reason_code),
    )
    return Measure(replace(f, skus=None), dimension, rows, following)


def carrier_damage(query: MeasureQuery, uow: UnitOfWork) -> Measure[DamagePoint]:
    """Units inspected as damaged in transit, and carrier exceptions, per carrier."""
    f, dimension = measure_filter(query, uow)
    with uow:
        found = uow.analytics.carrier_damage(query.seller_id, f)
    rows = sorted(
        (DamagePoint(_day(at), str(c), int(units), int(exc)) for at, c, units, exc in found),
        key=lambda p: (p.period, p.carrier),
    )
    return Measure(f, dimension, rows)


def money_flows(query: MeasureQuery, uow: UnitOfWork) -> Measure[MoneyPoint]:
    """Refunds, store credit, fees and labels recovered, and stock value, per period."""
    f, dimension = measure_filter(query, uow)
    with uow:
        found = uow.analytics.money(query.seller_id, f)
    amounts: dict[tuple[date, str], dict[str, int]] = defaultdict(dict)
    for at, currency, name, amount in found:
        cell = amounts[(_day(at), str(currency))]
        cell[str(name)] = cell.get(str(name), 0) + int(amount or 0)
    rows = [MoneyPoint(at, currency, **amounts[(at, currency)]) for at, currency in sorted(amounts)]
    return Measure(f, dimension, rows)


def speed(query: MeasureQuery, uow: UnitOfWork) -> Measure[SpeedPoint]:
    """How long each step takes: the median and the 90th percentile, in seconds."""
    f, dimension = measure_filter(query, uow)
    with uow:
        found = uow.analytics.speed(query.seller_id, f, PERCENTILES)
    rows = sorted(
        (
            SpeedPoint(_day(at), str(stage), int(n), _seconds(p50), _seconds(p90))
            for at, stage, n, p50, p90 in found
        ),
        key=lambda p: (p.period, STAGES.index(p.stage)),
    )
    return Measure(f, dimension, rows)


def outcomes(query: MeasureQuery, uow: UnitOfWork) -> Measure[OutcomePoint]:
    """Inspection conditions and dispositions per SKU, over the whole period."""
    f, dimension = measure_filter(query, uow, grains=(), dimensions=(Dimension.SKU,))
    with uow:
        found = uow.analytics.outcomes(query.seller_id, f)
    rows = sorted(
        (OutcomePoint(str(sku), str(c), str(d), int(a), int(rj)) for sku, c, d, a, rj in found),
        key=lambda p: (p.sku, p.condition, p.disposition),
    )
    return Measure(f, dimension, rows)


def top_customers(query: MeasureQuery, limit: int, uow: UnitOfWork) -> Measure[CustomerPoint]:
    """The customers with the most returns in the period, and their return rate."""
    f, dimension = measure_filter(query, uow, grains=())
    with uow:
        found = uow.analytics.top_customers(query.seller_id, f, limit)
        shipped = uow.analytics.units_shipped_to(query.seller_id, f, [row[0] for row in found])
    rows = [
        CustomerPoint(
            str(email),
            int(count),
            int(units),
            shipped.get(str(email), 0),
            rate(int(units), shipped.get(str(email), 0)),
        )
        for email, count, units in found
    ]
    return Measure(f, dimension, rows)


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _seconds(value: object) -> int | None:
    return None if value is None else round(float(str(value)))
