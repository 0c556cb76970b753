"""Storage of report schedules, as plain rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from rma.adapters.orm_analytics import report_schedules
from rma.domain.report_schedules import Frequency, ReportSchedule
from rma.domain.reports import Report

c = report_schedules.c


class SqlReportSchedules:
    def __init__(self, session: Session):
        self.session = session

    def add(self, schedule: ReportSchedule) -> None:
        values = {**schedule.__dict__, "report": schedule.report.value}
        values["frequency"] = schedule.frequency.value
        self.session.execute(insert(report_schedules).values(**values))

    def all(self, seller_id: str) -> list[ReportSchedule]:
        rows = self.session.execute(
            select(report_schedules).where(c.seller_id == seller_id).order_by(c.created_at, c.id)
        )
        return [_schedule(row._mapping) for row in rows]

    def remove(self, seller_id: str, schedule_id: str) -> bool:
        done = self.session.execute(
            delete(report_schedules).where(c.seller_id == seller_id, c.id == schedule_id)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def unsent_since(self, limit: int) -> list[ReportSchedule]:
        """Schedules in order of their last send (never sent first), for the due job."""
        rows = self.session.execute(
            select(report_schedules)
            .order_by(c.last_sent_at.is_not(None), c.last_sent_at, c.id)
            .limit(limit)
        )
        return [_schedule(row._mapping) for row in rows]

    def mark_sent(self, schedule_id: str, now: datetime) -> None:
        self.session.execute(
            update(report_schedules)
            .where(c.id == schedule_id)
            .values(last_sent_at=now, sends=c.sends + 1)
        )


def _schedule(row: object) -> ReportSchedule:
    values = dict(row)  # type: ignore[call-overload]
    values["report"] = Report(values["report"])
    values["frequency"] = Frequency(values["frequency"])
    return ReportSchedule(**values)
