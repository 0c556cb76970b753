"""A seller's standing order for a report by email, and which period each send covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from rma.domain.reports import Report

LINK_DAYS = 7  # how long the signed download link in the email works


class Frequency(StrEnum):
    WEEKLY = "weekly"  # Monday to Sunday, sent on the Monday after
    MONTHLY = "monthly"  # a calendar month, sent on the 1st after


@dataclass
class ReportSchedule:
    """Send ``report`` for the last full week or month to ``recipient``."""

    id: str
    seller_id: str
    report: Report
    frequency: Frequency
    recipient: str
    created_at: datetime
    last_sent_at: datetime | None = None
    sends: int = 0


def last_full_period(frequency: Frequency, now: datetime, tz: str) -> tuple[date, date]:
    """The last whole week (Monday to Sunday) or month before ``now``, in the zone ``tz``."""
    today = now.astimezone(ZoneInfo(tz)).date()
    if frequency is Frequency.WEEKLY:
        this_monday = today - timedelta(days=today.weekday())
        return this_monday - timedelta(days=7), this_monday - timedelta(days=1)
    first_of_month = today.replace(day=1)
    end = first_of_month - timedelta(days=1)
    return end.replace(day=1), end


def period_started(end: date, tz: str) -> datetime:
    """The UTC instant after the period ending ``end``: a send after it covers that period."""
    return datetime.combine(end + timedelta(days=1), time(), ZoneInfo(tz)).astimezone(UTC)
