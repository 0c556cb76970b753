"""Reports and exports: streamed CSV (RFC 4180) or JSON Lines of the caller's facts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from rma.api.deps import STAFF, ContainerDep, PrincipalDep
from rma.api.routes.analytics import Code, Filters
from rma.bootstrap import Container
from rma.domain.errors import InvalidInput
from rma.domain.reports import ExportFormat, Report
from rma.services import reports
from rma.services.analytics import MeasureQuery
from rma.services.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1", tags=["reports"])

STREAMED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report, streamed",
        "content": {"text/csv": {}, "application/jsonl": {}},
    }
}


def export_unit_of_work(container: Container) -> UnitOfWork:
    """A unit of work to stream a report through.

    PostgreSQL's server-side cursors live inside a transaction, so there it is a normal one
    (never committed); SQLite's normal ones take the write lock at BEGIN, so there the
    report reads through the read-only one, whose cursor is lazy all the same.
    """
    return container.reader() if container.engine.dialect.name == "sqlite" else container.uow()


def _stream(
    container: Container, query: MeasureQuery, report: Report, fmt: ExportFormat
) -> StreamingResponse:
    cmd = reports.ExportReport(query, report, fmt)
    export = reports.export_report(cmd, export_unit_of_work(container))
    return StreamingResponse(
        export.chunks,
        media_type=fmt.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.get(
    "/reports/{report}",
    operation_id="reports-export",
    response_class=StreamingResponse,
    responses=STREAMED,
)
def export(
    report: Report,
    container: ContainerDep,
    principal: PrincipalDep,
    filters: Annotated[Filters, Depends()],
    format: Annotated[ExportFormat, Query(description="csv or jsonl")] = ExportFormat.CSV,
) -> StreamingResponse:
    """Download a report: returns, items, Amazon's two returns reports, money and stock."""
    seller_id = principal.require(*STAFF)
    grouping = {"group_by": filters.group_by, "by": filters.by}
    query = MeasureQuery(seller_id, **{**asdict(filters), "group_by": None, "by": None})
    if any(grouping.values()):
        raise InvalidInput(
            "reports list facts; they are not grouped",
            details=[{"field": k, "issue": "unsupported"} for k, v in grouping.items() if v],
        )
    return _stream(container, query, report, format)


@router.get(
    "/returns.csv",
    operation_id="returns-export-csv",
    response_class=StreamingResponse,
    responses=STREAMED,
)
def returns_csv(
    container: ContainerDep,
    principal: PrincipalDep,
    sku: Code = None,
    reason: Code = None,
) -> StreamingResponse:
    """The returns as CSV (the same as ``/v1/reports/returns``)."""
    query = MeasureQuery(principal.require(*STAFF), sku=sku, reason=reason)
    return _stream(container, query, Report.RETURNS, ExportFormat.CSV)
