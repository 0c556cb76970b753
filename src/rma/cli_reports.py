"""``rma reports ...``: download any report from a terminal, streamed to a file or stdout."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console

from rma.bootstrap import bootstrap
from rma.domain.analytics import Channel
from rma.domain.errors import RmaError
from rma.domain.reports import COLUMNS, ExportFormat, Report
from rma.services import reports
from rma.services.analytics import MeasureQuery

app = typer.Typer(help="Reports and exports.", no_args_is_help=True)
console = Console(stderr=True)

SellerOption = Annotated[str, typer.Option("--seller", envvar="RMA_SELLER", help="Seller id.")]


@app.command("list")
def list_reports() -> None:
    """The reports there are, and their columns."""
    for report in Report:
        print(f"{report.value}: {', '.join(COLUMNS[report])}")


@app.command()
def export(
    report: Report,
    seller: SellerOption,
    fmt: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.CSV,
    start: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First day (seller's zone)."),
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, included.")
    ] = None,
    sku: Annotated[str | None, typer.Option()] = None,
    category: Annotated[str | None, typer.Option()] = None,
    reason: Annotated[str | None, typer.Option()] = None,
    facility: Annotated[str | None, typer.Option()] = None,
    channel: Annotated[Channel | None, typer.Option()] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: stdout.")] = None,
) -> None:
    """Stream one report (CSV or JSON Lines) in constant memory."""
    container = bootstrap()
    query = MeasureQuery(
        seller,
        start=_day(start),
        end=_day(end),
        sku=sku,
        category=category,
        reason=reason,
        facility=facility,
        channel=channel,
    )
    try:
        found = reports.export_report(
            reports.ExportReport(query, report, fmt), container.replica(snapshot=True)
        )
    except RmaError as error:
        fields = ", ".join(str(d.get("field")) for d in error.details if isinstance(d, dict))
        console.print(
            f"[red]{error.code}[/red]: {error.message}" + (f" ({fields})" if fields else "")
        )
        raise typer.Exit(1) from error
    if output is None:
        _write(found.chunks, sys.stdout.buffer)
        return
    with output.open("wb") as sink:
        _write(found.chunks, sink)
    console.print(f"wrote {output}")


def _write(chunks: Iterator[bytes], sink: BinaryIO) -> None:
    for chunk in chunks:
        sink.write(chunk)
    sink.flush()


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@app.command("check-alerts")
def check_alerts(seller: SellerOption) -> None:
    """Test every SKU of a seller against its baseline now (run daily, e.g. from cron)."""
    from rma.services import alerts

    try:
        raised = alerts.check_alerts(alerts.CheckAlerts(seller), bootstrap().uow())
    except RmaError as error:
        console.print(f"[red]{error.code}[/red]: {error.message}")
        raise typer.Exit(1) from error
    for alert in raised:
        print(alert.headline())
    console.print(f"{len(raised)} new alert(s)")
