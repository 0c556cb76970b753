"""Use cases of scheduled reports: ask for one, list, cancel, and the job that sends them.

Each send covers the last whole week or month in the seller's zone and mails a signed link
that downloads the report (CSV) for that period until it expires; the email row is keyed by
schedule and period, so a period is mailed once however often the job runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from hashlib import sha256
from html import escape

from rma.domain.errors import InvalidInput, NotFound
from rma.domain.ids import new_id
from rma.domain.report_schedules import (
    LINK_DAYS,
    Frequency,
    ReportSchedule,
    last_full_period,
    period_started,
)
from rma.domain.reports import Report
from rma.services.clock import utcnow
from rma.services.event_ports import NewEmail
from rma.services.unit_of_work import UnitOfWork

MAX_SCHEDULES = 20  # per seller


@dataclass(frozen=True)
class ScheduleReport:
    seller_id: str
    report: Report
    frequency: Frequency
    recipient: str


@dataclass(frozen=True)
class ReportLink:
    """What a download link carries: whose report, which, for which days, until when."""

    seller_id: str
    report: Report
    start: date
    end: date
    expires_at: datetime


def schedule_report(cmd: ScheduleReport, uow: UnitOfWork) -> ReportSchedule:
    """Ask for ``report`` by email every week or month."""
    if "@" not in cmd.recipient or len(cmd.recipient) > 320:
        raise InvalidInput("give an email address", details=[{"field": "recipient"}])
    with uow:
        if uow.sellers.get(cmd.seller_id) is None:
            raise NotFound("no such seller")
        if len(uow.report_schedules.all(cmd.seller_id)) >= MAX_SCHEDULES:
            raise InvalidInput(f"at most {MAX_SCHEDULES} scheduled reports", details=[])
        schedule = ReportSchedule(
            new_id("rsc"), cmd.seller_id, cmd.report, cmd.frequency, cmd.recipient, utcnow()
        )
        uow.report_schedules.add(schedule)
        uow.commit()
    return schedule


def list_schedules(seller_id: str, uow: UnitOfWork) -> list[ReportSchedule]:
    with uow:
        return uow.report_schedules.all(seller_id)


def cancel_schedule(seller_id: str, schedule_id: str, uow: UnitOfWork) -> None:
    with uow:
        if not uow.report_schedules.remove(seller_id, schedule_id):
            raise NotFound("no such scheduled report")
        uow.commit()


def send_due_reports(
    uow: UnitOfWork, link: Callable[[ReportLink], str], *, now: datetime | None = None
) -> int:
    """Mail each schedule whose last whole period has not been sent; answer how many.

    ``now`` picks the periods (tests pass one); links expire ``LINK_DAYS`` after the send.
    """
    now = now or utcnow()
    sent = 0
    with uow:
        for schedule in uow.report_schedules.unsent_since(1000):
            seller = uow.sellers.get(schedule.seller_id)
            if seller is None:
                continue
            start, end = last_full_period(schedule.frequency, now, seller.timezone)
            if schedule.last_sent_at is not None and schedule.last_sent_at >= period_started(
                end, seller.timezone
            ):
                continue  # this period went out already
            url = link(
                ReportLink(
                    seller.id, schedule.report, start, end, utcnow() + timedelta(days=LINK_DAYS)
                )
            )
            uow.emails.add_all([_email(schedule, seller.name, start, end, url)], now)
            uow.report_schedules.mark_sent(schedule.id, now)
            sent += 1
        uow.commit()
    return sent


def _email(schedule: ReportSchedule, shop: str, start: date, end: date, url: str) -> NewEmail:
    subject = f"{shop}: {schedule.report.value} report, {start} to {end}"
    text = (
        f"Your {schedule.frequency.value} {schedule.report.value} report for {start} to {end} "
        f"is ready.\n\nDownload it (CSV): {url}\n\n"
        f"The link works for {LINK_DAYS} days and needs no sign-in: forward it with care.\n"
    )
    html = (
        f"<p>Your {schedule.frequency.value} {schedule.report.value} report for {start} to "
        f'{end} is ready.</p><p><a href="{escape(url)}">Download it (CSV)</a></p>'
        f"<p>The link works for {LINK_DAYS} days and needs no sign-in: forward it with care.</p>"
    )
    return NewEmail(
        new_id("eml"), schedule.seller_id, _send_id(schedule, start), "seller",
        schedule.recipient, subject, text, html,
    )  # fmt: skip


def _send_id(schedule: ReportSchedule, start: date) -> str:
    # The email's event id: one per schedule and period, so a period is mailed once.
    return "rpt_" + sha256(f"{schedule.id}:{start}".encode()).hexdigest()[:32]
