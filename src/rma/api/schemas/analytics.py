"""Schemas of the measures: one envelope (period, zone, grouping) around each measure's rows."""

from __future__ import annotations

from datetime import date
from typing import Generic, TypeVar

from pydantic import BaseModel

from rma.services import analytics

Point = TypeVar("Point")


class PeriodPublic(BaseModel):
    start: date
    end: date
    time_zone: str


class MeasurePublic(BaseModel, Generic[Point]):
    """A measure: the period it covers, how it is grouped, and its rows."""

    period: PeriodPublic
    group_by: str
    by: str
    data: list[Point]

    @classmethod
    def of(cls, measure: analytics.Measure[Point], *, grouped: bool = True) -> MeasurePublic[Point]:
        f = measure.filter
        return cls(
            period=PeriodPublic(start=f.period.start, end=f.period.end, time_zone=f.period.tz),
            group_by=f.grain.value if grouped else "period",
            by=measure.dimension.value,
            data=measure.rows,
        )


ReturnRatesPublic = MeasurePublic[analytics.RatePoint]
ReasonsPublic = MeasurePublic[analytics.ReasonPoint]
CarrierDamagePublic = MeasurePublic[analytics.DamagePoint]
MoneyPublic = MeasurePublic[analytics.MoneyPoint]
SpeedPublic = MeasurePublic[analytics.SpeedPoint]
OutcomesPublic = MeasurePublic[analytics.OutcomePoint]
CustomersPublic = MeasurePublic[analytics.CustomerPoint]
