"""The desk's analytics page in one call: the trend, reasons, SKUs, money, speed and damage."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from rma.domain.analytics import Dimension, MeasureFilter, rate
from rma.services import analytics
from rma.services.analytics import (
    CustomerPoint,
    DamagePoint,
    MeasureQuery,
    MoneyPoint,
    RatePoint,
    SpeedPoint,
)
from rma.services.sku_pages import SkuPage
from rma.services.unit_of_work import UnitOfWork

TOP = 10


@dataclass(frozen=True)
class ReasonTotal:
    reason_code: str
    fault: str
    units: int
    share: float | None


@dataclass(frozen=True)
class Overview:
    """What the analytics page shows, each part already a small list of numbers."""

    filter: MeasureFilter
    trend: list[RatePoint]  # the overall return rate per period
    reasons: list[ReasonTotal]  # over the whole period, most units first
    skus: list[RatePoint]  # the SKUs returned most, over the whole period
    money: list[MoneyPoint]
    speed: list[SpeedPoint]
    damage: list[DamagePoint]
    customers: list[CustomerPoint]


def analytics_overview(query: MeasureQuery, uow: UnitOfWork) -> Overview:
    """Every measure the page charts, for the period and filters of ``query``."""
    plain = replace(query, by=None)
    trend = analytics.return_rates(plain, uow)
    reasons = analytics.reason_breakdown(plain, uow).rows
    # The first page of SKUs is the ones returned most.
    per_sku = analytics.return_rates(replace(plain, by=Dimension.SKU), uow, SkuPage(TOP)).rows
    return Overview(
        filter=trend.filter,
        trend=trend.rows,
        reasons=_reason_totals(reasons),
        skus=_sku_totals(per_sku, trend.filter.period.start)[:TOP],
        money=analytics.money_flows(plain, uow).rows,
        speed=analytics.speed(plain, uow).rows,
        damage=analytics.carrier_damage(plain, uow).rows,
        customers=analytics.top_customers(replace(plain, group_by=None), TOP, uow).rows,
    )


def _reason_totals(points: list[analytics.ReasonPoint]) -> list[ReasonTotal]:
    units: dict[tuple[str, str], int] = defaultdict(int)
    for point in points:
        units[(point.reason_code, point.fault)] += point.units
    whole = sum(units.values())
    return sorted(
        (ReasonTotal(code, fault, n, rate(n, whole)) for (code, fault), n in units.items()),
        key=lambda r: (-r.units, r.reason_code),
    )


def _sku_totals(points: list[RatePoint], start: date) -> list[RatePoint]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for point in points:
        sums[point.key][0] += point.units_shipped
        sums[point.key][1] += point.units_returned
    rows = [
        RatePoint(start, key, shipped, returned, rate(returned, shipped))
        for key, (shipped, returned) in sums.items()
        if returned
    ]
    return sorted(rows, key=lambda r: (-r.units_returned, r.key))
