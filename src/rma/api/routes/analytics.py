"""Returns intelligence: each measure of the caller's returns, over a period and filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from rma.api.deps import STAFF, ContainerDep, PrincipalDep
from rma.api.schemas import analytics as schemas
from rma.domain.analytics import Channel, Dimension, Grain
from rma.services import alerts, analytics
from rma.services.analytics import MeasureQuery
from rma.services.sku_pages import DEFAULT_LIMIT, MAX_LIMIT, SkuPage

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

Code = Annotated[str | None, Query(min_length=1, max_length=100)]


@dataclass
class Filters:
    """The query parameters every measure takes."""

    start: Annotated[
        date | None, Query(alias="from", description="First day, in the seller's time zone")
    ] = None
    end: Annotated[
        date | None, Query(alias="to", description="Last day (included); at most 3 years on")
    ] = None
    group_by: Annotated[Grain | None, Query(description="day, week or month")] = None
    by: Annotated[Dimension | None, Query(description="overall, sku or category")] = None
    sku: Code = None
    category: Code = None
    reason: Code = None
    facility: Code = None
    channel: Channel | None = None


FiltersDep = Annotated[Filters, Depends()]


@dataclass
class Page:
    """With ``by=sku``: how many SKUs an answer holds, most returned first, and from where."""

    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="SKUs per answer when by=sku")] = (
        DEFAULT_LIMIT
    )
    cursor: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the previous answer")
    ] = None


PageDep = Annotated[Page, Depends()]


def _query(principal: PrincipalDep, filters: Filters) -> MeasureQuery:
    return MeasureQuery(principal.require(*STAFF), **filters.__dict__)


@router.get(
    "/return-rates", operation_id="analytics-return-rates", response_model=schemas.ReturnRatesPublic
)
def return_rates(
    filters: FiltersDep, page: PageDep, container: ContainerDep, principal: PrincipalDep
) -> schemas.ReturnRatesPublic:
    """Units returned / units shipped, per period and SKU (a page of SKUs), category or overall."""
    found = analytics.return_rates(
        _query(principal, filters), container.replica(), SkuPage(page.limit, page.cursor)
    )
    return schemas.ReturnRatesPublic.of(found)


@router.get("/reasons", operation_id="analytics-reasons", response_model=schemas.ReasonsPublic)
def reasons(
    filters: FiltersDep, page: PageDep, container: ContainerDep, principal: PrincipalDep
) -> schemas.ReasonsPublic:
    """Units returned per reason code and fault, with each reason's share (by=sku: a page)."""
    found = analytics.reason_breakdown(
        _query(principal, filters), container.replica(), SkuPage(page.limit, page.cursor)
    )
    return schemas.ReasonsPublic.of(found)


@router.get(
    "/carrier-damage",
    operation_id="analytics-carrier-damage",
    response_model=schemas.CarrierDamagePublic,
)
def carrier_damage(
    filters: FiltersDep, container: ContainerDep, principal: PrincipalDep
) -> schemas.CarrierDamagePublic:
    """Units inspected as damaged in transit, and carrier exceptions, per carrier."""
    found = analytics.carrier_damage(_query(principal, filters), container.replica())
    return schemas.CarrierDamagePublic.of(found)


@router.get("/money", operation_id="analytics-money", response_model=schemas.MoneyPublic)
def money(
    filters: FiltersDep, container: ContainerDep, principal: PrincipalDep
) -> schemas.MoneyPublic:
    """Refunded, store credit issued, fees and labels recovered, stock value (minor units)."""
    found = analytics.money_flows(_query(principal, filters), container.replica())
    return schemas.MoneyPublic.of(found)


@router.get("/speed", operation_id="analytics-speed", response_model=schemas.SpeedPublic)
def speed(
    filters: FiltersDep, container: ContainerDep, principal: PrincipalDep
) -> schemas.SpeedPublic:
    """Request to authorization, authorization to receipt, receipt to refund: p50 and p90."""
    found = analytics.speed(_query(principal, filters), container.replica())
    return schemas.SpeedPublic.of(found)


@router.get("/outcomes", operation_id="analytics-outcomes", response_model=schemas.OutcomesPublic)
def outcomes(
    filters: FiltersDep, container: ContainerDep, principal: PrincipalDep
) -> schemas.OutcomesPublic:
    """Inspection conditions and dispositions per SKU over the period."""
    found = analytics.outcomes(_query(principal, filters), container.replica())
    return schemas.OutcomesPublic.of(found, grouped=False)


@router.get(
    "/customers", operation_id="analytics-customers", response_model=schemas.CustomersPublic
)
def customers(
    filters: FiltersDep,
    container: ContainerDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> schemas.CustomersPublic:
    """The customers with the most returns, and their return rate."""
    found = analytics.top_customers(_query(principal, filters), limit, container.replica())
    return schemas.CustomersPublic.of(found, grouped=False)


@router.get("/alerts", operation_id="analytics-alerts-list", response_model=schemas.AlertsPublic)
def list_alerts(
    container: ContainerDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.AlertsPublic:
    """The latest alerts, newest first, with how many are unseen."""
    found, unseen = alerts.list_alerts(principal.require(*STAFF), container.replica(), limit)
    return schemas.AlertsPublic(data=[schemas.AlertPublic.of(a) for a in found], unseen=unseen)


@router.post(
    "/alerts/check", operation_id="analytics-alerts-check", response_model=schemas.AlertsPublic
)
def check_alerts(container: ContainerDep, principal: PrincipalDep) -> schemas.AlertsPublic:
    """Test every SKU now; answer the alerts raised (each also sent to webhooks and email)."""
    raised = alerts.check_alerts(alerts.CheckAlerts(principal.require(*STAFF)), container.uow())
    return schemas.AlertsPublic(
        data=[schemas.AlertPublic.of(a) for a in raised], unseen=len(raised)
    )


@router.post("/alerts/seen", operation_id="analytics-alerts-seen", status_code=204)
def mark_seen(container: ContainerDep, principal: PrincipalDep) -> None:
    """Mark every alert seen."""
    alerts.mark_alerts_seen(principal.require(*STAFF), container.uow())
