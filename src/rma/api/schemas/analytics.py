"""Schemas of the measures: one envelope (period, zone, grouping) around each measure's rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from rma.api.schemas.base import Email, In
from rma.domain.analytics_alerts import Alert
from rma.domain.report_schedules import Frequency, ReportSchedule
from rma.domain.reports import Report
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


class PagedMeasurePublic(MeasurePublic[Point], Generic[Point]):
    """A measure that may be split by SKU: then one page of SKUs, and the next page's cursor."""

    next_cursor: str | None = None

    @classmethod
    def of(
        cls, measure: analytics.Measure[Point], *, grouped: bool = True
    ) -> PagedMeasurePublic[Point]:
        found = MeasurePublic[Point].of(measure, grouped=grouped)
        return cls(**dict(found), next_cursor=measure.next_cursor)


ReturnRatesPublic = PagedMeasurePublic[analytics.RatePoint]
ReasonsPublic = PagedMeasurePublic[analytics.ReasonPoint]
CarrierDamagePublic = MeasurePublic[analytics.DamagePoint]
MoneyPublic = MeasurePublic[analytics.MoneyPoint]
SpeedPublic = MeasurePublic[analytics.SpeedPoint]
OutcomesPublic = MeasurePublic[analytics.OutcomePoint]
CustomersPublic = MeasurePublic[analytics.CustomerPoint]


class AlertPublic(BaseModel):
    """A raised alert and the evidence behind it."""

    id: str
    kind: str
    sku: str
    reason_code: str | None
    window_start: datetime
    window_end: datetime
    observed: int
    trials: int
    baseline_rate: float
    expected: float
    p_value: float
    evidence: dict[str, Any]
    headline: str
    created_at: datetime
    seen_at: datetime | None

    @classmethod
    def of(cls, alert: Alert) -> AlertPublic:
        return cls(
            id=alert.id,
            kind=alert.kind,
            sku=alert.sku,
            reason_code=alert.reason_code or None,
            window_start=alert.window_start,
            window_end=alert.window_end,
            observed=alert.observed,
            trials=alert.trials,
            baseline_rate=alert.baseline_rate,
            expected=alert.expected,
            p_value=alert.p_value,
            evidence=alert.evidence,
            headline=alert.headline(),
            created_at=alert.created_at,
            seen_at=alert.seen_at,
        )


class AlertsPublic(BaseModel):
    data: list[AlertPublic]
    unseen: int


class ReportScheduleCreate(In):
    report: Report
    frequency: Frequency
    recipient: Email


class ReportSchedulePublic(BaseModel):
    id: str
    report: Report
    frequency: Frequency
    recipient: str
    created_at: datetime
    last_sent_at: datetime | None

    @classmethod
    def of(cls, schedule: ReportSchedule) -> ReportSchedulePublic:
        return cls(
            id=schedule.id,
            report=schedule.report,
            frequency=schedule.frequency,
            recipient=schedule.recipient,
            created_at=schedule.created_at,
            last_sent_at=schedule.last_sent_at,
        )


class ReportSchedulesPublic(BaseModel):
    data: list[ReportSchedulePublic]
