"""What analytics asks of storage: the measures as rows, and the alerts it raises."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from rma.domain.analytics import Dimension, MeasureFilter
from rma.domain.analytics_alerts import Alert
from rma.domain.report_schedules import ReportSchedule
from rma.domain.reports import Report

Row = tuple[Any, ...]


class AnalyticsQueries(Protocol):
    """Each measure of one seller, grouped in SQL; rows start with the bucket's first day."""

    def unknown_filters(self, seller_id: str, f: MeasureFilter) -> list[str]:
        """The fields of ``f`` whose value this seller has never used."""

    def shipped_units(self, seller_id: str, f: MeasureFilter, dimension: Dimension) -> list[Row]:
        """(bucket, key, units shipped)."""

    def returned_units(self, seller_id: str, f: MeasureFilter, dimension: Dimension) -> list[Row]:
        """(bucket, key, units returned)."""

    def reasons(self, seller_id: str, f: MeasureFilter, dimension: Dimension) -> list[Row]:
        """(bucket, key, reason code, fault, units)."""

    def carrier_damage(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(bucket, carrier, carrier-damaged units, carrier exceptions)."""

    def money(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(bucket, currency, measure name, minor units)."""

    def speed(self, seller_id: str, f: MeasureFilter, fractions: Sequence[float]) -> list[Row]:
        """(bucket, stage, count, one percentile in seconds per fraction)."""

    def outcomes(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(SKU, condition, disposition, units accepted, units rejected)."""

    def top_customers(self, seller_id: str, f: MeasureFilter, limit: int) -> list[Row]:
        """(email, returns, units returned), most returns first."""

    def refresh_rollups(self, seller_id: str, tz: str, now: datetime) -> int:
        """Roll up the seller's shipments made since the last refresh; answer how many rows."""

    def refresh_timings(self, seller_id: str, now: datetime) -> int:
        """Time the seller's returns with history past the watermark; answer how many."""

    def refresh_customers(self, seller_id: str, tz: str, now: datetime) -> int:
        """Count again the seller's returns changed since top customers counted them."""

    def stale_sellers(self) -> list[str]:
        """Sellers with shipments the rollup does not hold yet, history not timed yet, or
        returns changed since top customers counted them."""

    def units_shipped_to(
        self, seller_id: str, f: MeasureFilter, emails: Sequence[str]
    ) -> dict[str, int]:
        """Units shipped in the period to each of ``emails``."""


class ExportQueries(Protocol):
    """What reports ask of storage."""

    def stream(
        self, report: Report, seller_id: str, f: MeasureFilter | None
    ) -> Iterator[dict[str, Any]]:
        """The facts of ``report``, read a batch at a time."""

    def rows(
        self, report: Report, seller_id: str, f: MeasureFilter | None
    ) -> Iterator[Sequence[Any]]:
        """The rows of a plain report in its columns' order, times as ISO-8601 UTC text."""

    def received_per_location(self, seller_id: str, f: MeasureFilter | None) -> dict[Any, int]:
        """Units received per (SKU, location) of the items booked there."""


class AlertRepository(Protocol):
    """Raised alerts, and the counts the test needs."""

    def window_counts(
        self, seller_id: str, start: datetime, split: datetime, end: datetime
    ) -> tuple[list[Row], list[Row]]:
        """(SKU, reason, recent, baseline) units returned; (SKU, recent, baseline) shipped."""

    def raised(self, seller_id: str, window_end: datetime) -> set[tuple[str, str, str]]:
        """(kind, SKU, reason) of the alerts already raised for this window."""

    def unchecked_sellers(self, window_end: datetime) -> list[str]:
        """Sellers not checked yet for the window ending at ``window_end``."""

    def mark_checked(self, seller_id: str, window_end: datetime, now: datetime) -> None:
        """Remember that the seller was checked for the window ending at ``window_end``."""

    def add(self, alert: Alert) -> None: ...
    def recent(self, seller_id: str, limit: int) -> list[Alert]: ...
    def unseen(self, seller_id: str) -> int: ...
    def mark_seen(self, seller_id: str, now: datetime) -> int: ...


class ReportScheduleRepository(Protocol):
    def add(self, schedule: ReportSchedule) -> None: ...
    def all(self, seller_id: str) -> list[ReportSchedule]: ...
    def remove(self, seller_id: str, schedule_id: str) -> bool: ...
    def unsent_since(self, limit: int) -> list[ReportSchedule]: ...
    def mark_sent(self, schedule_id: str, now: datetime) -> None: ...
