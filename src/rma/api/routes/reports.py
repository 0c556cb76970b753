"""Reports and exports: streamed CSV (RFC 4180) or JSON Lines of the caller's facts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from rma.adapters.report_links import read_link
from rma.api.deps import STAFF, ContainerDep, PrincipalDep
from rma.api.routes.analytics import Code, Filters
from rma.api.schemas import analytics as schemas
from rma.bootstrap import Container
from rma.domain.errors import InvalidInput
from rma.domain.reports import ExportFormat, Report
from rma.services import report_schedules, reports
from rma.services.analytics import MeasureQuery
from rma.services.clock import utcnow
from rma.services.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1", tags=["reports"])

STREAMED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report, streamed",
        "content": {"text/csv": {}, "application/jsonl": {}},
    }
}


def export_unit_of_work(container: Container) -> UnitOfWork:
    """A unit of work to stream a report through: on the replica, in one transaction.

    PostgreSQL's server-side cursors live inside a transaction (never committed); a report
    is history, so a replica a moment behind serves it (docs/operations.md).
    """
    return container.replica(snapshot=True)


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


@router.post(
    "/report-schedules",
    operation_id="report-schedules-create",
    status_code=201,
    response_model=schemas.ReportSchedulePublic,
)
def create_schedule(
    body: schemas.ReportScheduleCreate, container: ContainerDep, principal: PrincipalDep
) -> schemas.ReportSchedulePublic:
    """Ask for a report by email every week or month (a signed link that expires)."""
    cmd = report_schedules.ScheduleReport(
        principal.require(*STAFF), body.report, body.frequency, body.recipient
    )
    return schemas.ReportSchedulePublic.of(report_schedules.schedule_report(cmd, container.uow()))


@router.get(
    "/report-schedules",
    operation_id="report-schedules-list",
    response_model=schemas.ReportSchedulesPublic,
)
def list_schedules(
    container: ContainerDep, principal: PrincipalDep
) -> schemas.ReportSchedulesPublic:
    found = report_schedules.list_schedules(principal.require(*STAFF), container.reader())
    return schemas.ReportSchedulesPublic(data=[schemas.ReportSchedulePublic.of(s) for s in found])


@router.delete(
    "/report-schedules/{schedule_id}", operation_id="report-schedules-delete", status_code=204
)
def delete_schedule(
    schedule_id: Annotated[str, Path(min_length=1, max_length=64)],
    container: ContainerDep,
    principal: PrincipalDep,
) -> None:
    report_schedules.cancel_schedule(principal.require(*STAFF), schedule_id, container.uow())


# A person opens it from an email: its errors are pages, so it is not an API operation.
links = APIRouter(tags=["reports"], include_in_schema=False)


@links.get(
    "/reports/download",
    operation_id="reports-download-link",
    response_class=StreamingResponse,
    responses=STREAMED,
)
def download_by_link(
    container: ContainerDep, t: Annotated[str, Query(min_length=10, max_length=1000)]
) -> StreamingResponse:
    """The report a scheduled email links to; the signed, expiring token is the credential."""
    link = read_link(container.signer, t, utcnow())
    query = MeasureQuery(link.seller_id, start=link.start, end=link.end)
    return _stream(container, query, link.report, ExportFormat.CSV)
