"""Local time in SQL: which day, week or month of the seller's zone an instant falls on.

PostgreSQL converts with its zone database (``timezone(tz, at)``); SQLite has none, so the
zone's UTC offsets over the period (daylight saving included) are passed in as a ``CASE``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Date, case, cast, func, literal

from rma.domain.analytics import Grain, MeasureFilter


def bucket(at: Any, f: MeasureFilter, dialect: str) -> ColumnElement[str]:
    """The first day (``YYYY-MM-DD``) of the day, week or month ``at`` falls on locally."""
    if dialect == "postgresql":
        local = func.timezone(f.period.tz, at)
        return func.to_char(func.date_trunc(f.grain.value, local), "YYYY-MM-DD")
    steps = f.period.offsets()
    modifier: ColumnElement[str] = literal(f"{steps[-1][1]:+d} seconds")
    if len(steps) > 1:
        modifier = case(
            *[
                (at < following, f"{offset:+d} seconds")
                for (_, offset), (following, _) in pairwise(steps)
            ],
            else_=f"{steps[-1][1]:+d} seconds",
        )
    local = func.datetime(at, modifier)
    if f.grain is Grain.WEEK:
        return func.date(local, "-6 days", "weekday 1")
    if f.grain is Grain.MONTH:
        return func.strftime("%Y-%m-01", local)
    return func.date(local)


def day_bucket(day: Any, f: MeasureFilter, dialect: str) -> ColumnElement[Any]:
    """The first day of the day, week or month of a local ``day`` column.

    A date on PostgreSQL (grouping a rollup by its own dates, not by text made per row, is
    what keeps a year of them quick), ``YYYY-MM-DD`` text on SQLite.
    """
    if dialect == "postgresql":
        return day if f.grain is Grain.DAY else cast(func.date_trunc(f.grain.value, day), Date)
    if f.grain is Grain.WEEK:
        return func.date(day, "-6 days", "weekday 1")
    if f.grain is Grain.MONTH:
        return func.strftime("%Y-%m-01", day)
    return func.date(day)
