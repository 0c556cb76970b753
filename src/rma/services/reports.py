"""Use cases of reports: check what is asked, then stream the report in constant memory.

``export_report`` checks the question at once (so a bad filter is a 422 before any byte is
sent) and hands back a lazy stream of bytes: rows are read a batch at a time inside one
transaction, shaped into the report's columns and encoded as they go.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from rma.domain.analytics import EARLIEST, MAX_PERIOD_DAYS, MeasureFilter
from rma.domain.errors import NotFound
from rma.domain.reports import (
    BUCKETS,
    COLUMNS,
    ExportFormat,
    Report,
    amazon_fba_row,
    amazon_seller_fulfilled_row,
    encode,
    iso_utc,
)
from rma.services import analytics
from rma.services.analytics import MeasureQuery
from rma.services.analytics_ports import ExportQueries
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ExportReport:
    """Download ``report`` as ``fmt``, within the filters of ``query``."""

    query: MeasureQuery
    report: Report
    fmt: ExportFormat = ExportFormat.CSV


@dataclass
class Export:
    """A report ready to stream: its name, columns and bytes (read lazily)."""

    report: Report
    fmt: ExportFormat
    columns: tuple[str, ...]
    chunks: Iterator[bytes]

    @property
    def filename(self) -> str:
        return f"{self.report.value}.{self.fmt.value}"


def export_report(cmd: ExportReport, uow: UnitOfWork) -> Export:
    """The checked report, as a lazy stream read inside ``uow`` (one transaction)."""
    f = _filter(cmd.query, uow)
    columns = COLUMNS[cmd.report]
    seller_id = cmd.query.seller_id

    def rows() -> Iterator[Sequence[Any]]:
        with uow:
            if cmd.report is Report.INVENTORY_RECONCILIATION:
                yield from _reconciled(uow.exports, seller_id, f)
                return
            if cmd.report is Report.AMAZON_FBA_RETURNS:
                facts = uow.exports.stream(cmd.report, seller_id, f)
                yield from (amazon_fba_row(fact) for fact in facts)
            elif cmd.report is Report.AMAZON_SELLER_FULFILLED_RETURNS:
                facts = uow.exports.stream(cmd.report, seller_id, f)
                yield from (amazon_seller_fulfilled_row(fact) for fact in facts)
            else:
                yield from uow.exports.rows(cmd.report, seller_id, f)

    return Export(cmd.report, cmd.fmt, columns, encode(columns, rows(), cmd.fmt))


def _filter(query: MeasureQuery, uow: UnitOfWork) -> MeasureFilter | None:
    """None for everything; else the checked filter (3 years back when no period is given)."""
    if query == MeasureQuery(query.seller_id):
        with uow:
            if uow.sellers.get(query.seller_id) is None:
                raise NotFound("no such seller")
        return None
    if query.start is None and query.end is not None:
        back = query.end - timedelta(days=MAX_PERIOD_DAYS - 1)
        query = replace(query, start=max(back, min(EARLIEST, query.end)))
    f, _ = analytics.measure_filter(query, uow)
    if query.start is None and query.end is None:
        start = f.period.end - timedelta(days=MAX_PERIOD_DAYS - 1)
        f = replace(f, period=replace(f.period, start=start))
    return f


def _reconciled(
    exports: ExportQueries, seller_id: str, f: MeasureFilter | None
) -> Iterator[list[Any]]:
    received = exports.received_per_location(seller_id, f)
    current: tuple[str, str] | None = None
    counts: dict[str, int] = {}

    def row() -> list[Any]:
        assert current is not None
        booked = sum(counts.values())
        units = received.get(current, 0)
        return [*current, units, *[counts.get(b, 0) for b in BUCKETS], booked, units - booked]

    for fact in exports.stream(Report.INVENTORY_RECONCILIATION, seller_id, f):
        key = (str(fact["sku"]), str(fact["location"]))
        if key != current:
            if current is not None:
                yield row()
            current, counts = key, {}
        counts[_plain(fact["bucket"])] = int(fact["quantity"])
    if current is not None:
        yield row()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Enum):
        return value.value
    return value
