"""The desk's analytics page: charts drawn as SVG on the server, tables, and downloads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import StreamingResponse

from rma.api.routes.reports import export_unit_of_work
from rma.bootstrap import Container
from rma.domain.analytics import Channel, Grain, MeasureFilter, bucket_of
from rma.domain.errors import InvalidInput
from rma.domain.reports import ExportFormat, Report
from rma.services import alerts, reports
from rma.services.analytics import MeasureQuery
from rma.services.analytics_overview import analytics_overview
from rma.web.auth import DESK_ROLES, staff
from rma.web.charts import bar_chart, line_chart
from rma.web.rendering import PageRoute, check_csrf, redirect, render

router = APIRouter(prefix="/desk/analytics", route_class=PageRoute, include_in_schema=False)

FIELDS = ("from", "to", "group_by", "sku", "channel")
DOWNLOADS = {
    Report.RETURNS: "Returns",
    Report.RETURN_ITEMS: "Return items",
    Report.AMAZON_FBA_RETURNS: "Amazon FBA customer returns",
    Report.AMAZON_SELLER_FULFILLED_RETURNS: "Amazon seller-fulfilled returns",
    Report.REFUNDS: "Refunds",
    Report.STORE_CREDIT: "Store-credit ledger",
    Report.INVENTORY_MOVEMENTS: "Inventory movements",
    Report.INVENTORY_RECONCILIATION: "Inventory reconciliation",
}


def _query(seller_id: str, values: dict[str, str], errors: dict[str, str]) -> MeasureQuery:
    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(values[name]) if values[name] else None
        except ValueError:
            errors[name] = "a date as YYYY-MM-DD"
            return None

    grain = values["group_by"] if values["group_by"] in {g.value for g in Grain} else ""
    if values["group_by"] and not grain:
        errors["group_by"] = "day, week or month"
    channel = values["channel"] if values["channel"] in {c.value for c in Channel} else ""
    if values["channel"] and not channel:
        errors["channel"] = "direct or amazon"
    return MeasureQuery(
        seller_id,
        start=day("from"),
        end=day("to"),
        group_by=Grain(grain) if grain else None,
        sku=values["sku"].strip() or None,
        channel=Channel(channel) if channel else None,
    )


def _values(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "")[:100] for name in FIELDS}


@router.get("")
def analytics_page(request: Request) -> Response:
    principal = staff(request, DESK_ROLES, "/desk/login")
    assert principal.seller_id is not None
    container: Container = request.app.state.container
    values = _values(request)
    errors: dict[str, str] = {}
    query = _query(principal.seller_id, values, errors)
    raised, unseen = alerts.list_alerts(principal.seller_id, container.replica(), 10)
    overview = None
    if not errors:
        try:
            overview = analytics_overview(query, container.replica())
        except InvalidInput as error:
            for detail in error.details:
                field = str(detail.get("field", "form")) if isinstance(detail, dict) else "form"
                errors[field] = error.message
    if overview is None:
        return render(
            request,
            "desk/analytics.html",
            status_code=422,
            role=principal.role,
            values=values,
            errors=errors,
            overview=None,
            alerts=raised,
            unseen=unseen,
            downloads=DOWNLOADS,
            filters="",
        )
    f = overview.filter
    kept = {k: v for k, v in values.items() if v}
    kept.update({"from": f.period.start.isoformat(), "to": f.period.end.isoformat()})
    values = {**values, **kept, "group_by": f.grain.value}
    trend = line_chart([(p.period.isoformat(), p.return_rate) for p in overview.trend])
    reasons = bar_chart(
        [
            (r.reason_code, r.units, f"{r.units}", _drill(f, reason=r.reason_code))
            for r in overview.reasons[:12]
        ]
    )
    skus = bar_chart(
        [
            (p.key, p.units_returned, f"{p.units_returned}", _drill(f, sku=p.key))
            for p in overview.skus
        ]
    )
    return render(
        request,
        "desk/analytics.html",
        role=principal.role,
        values=values,
        errors=errors,
        overview=overview,
        alerts=raised,
        unseen=unseen,
        trend=trend,
        trend_links={p.period.isoformat(): _period_link(f, p.period) for p in overview.trend},
        reasons=reasons,
        skus=skus,
        drill=lambda **more: _drill(f, **more),
        downloads=DOWNLOADS,
        filters=urlencode([(k, kept[k]) for k in ("from", "to", "sku", "channel") if k in kept]),
    )


@router.post("/alerts/seen")
def alerts_seen(request: Request, csrf: Annotated[str, Form(max_length=200)]) -> Response:
    check_csrf(request, csrf)
    principal = staff(request, DESK_ROLES, "/desk/login")
    assert principal.seller_id is not None
    container: Container = request.app.state.container
    alerts.mark_alerts_seen(principal.seller_id, container.uow())
    return redirect("/desk/analytics#alerts-h")


@router.get("/download/{report}")
def download(request: Request, report: str) -> Response:
    principal = staff(request, DESK_ROLES, "/desk/login")
    assert principal.seller_id is not None
    container: Container = request.app.state.container
    values = _values(request)
    errors: dict[str, str] = {}
    query = _query(principal.seller_id, values, errors)
    if errors or report not in {r.value for r in Report}:
        raise InvalidInput("that download link is broken")
    fmt = ExportFormat.JSONL if request.query_params.get("format") == "jsonl" else ExportFormat.CSV
    cmd = reports.ExportReport(query, Report(report), fmt)
    export = reports.export_report(cmd, export_unit_of_work(container))
    return StreamingResponse(
        export.chunks,
        media_type=fmt.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


def _drill(f: MeasureFilter, **more: str) -> str:
    """The returns queue filtered to what a chart's bar or point counts."""
    query = {"from": f.period.start.isoformat(), "to": f.period.end.isoformat(), **more}
    if f.sku and "sku" not in more:
        query["sku"] = f.sku
    return "/desk/returns?" + urlencode(query)


def _period_link(f: MeasureFilter, start: date) -> str:
    after = bucket_of(start + timedelta(days=31 if f.grain is Grain.MONTH else 7), f.grain)
    end = {Grain.DAY: start, Grain.WEEK: start + timedelta(days=6)}.get(
        f.grain, after - timedelta(days=1)
    )
    first = max(start, f.period.start)
    query = {"from": first.isoformat(), "to": min(end, f.period.end).isoformat()}
    if f.sku:
        query["sku"] = f.sku
    return "/desk/returns?" + urlencode(query)
