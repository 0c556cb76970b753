"""What the seller desk shows: counts at a glance, one return with what deciding it needs."""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.addresses import ReturnAddress
from rma.domain.returns import Return
from rma.domain.tracking import TrackingEvent
from rma.domain.webhooks import WebhookEndpoint
from rma.services.returns import Scope, _find
from rma.services.unit_of_work import Cursor, ReturnFilter, UnitOfWork


@dataclass(frozen=True)
class ReasonCount:
    """How many returned items gave one reason."""

    code: str
    description: str
    count: int


@dataclass(frozen=True)
class DeskOverview:
    by_status: dict[str, int]
    by_reason: list[ReasonCount]  # most given first


@dataclass(frozen=True)
class ReturnForDesk:
    """A return with its carrier scans, the addresses it may be sent to, and item names."""

    ret: Return
    scans: list[TrackingEvent]
    addresses: list[ReturnAddress]
    default_address_id: str | None
    reasons: dict[str, str]  # code: description
    names: dict[str, str]  # order line id: product name


@dataclass(frozen=True)
class EndpointSummary:
    endpoint: WebhookEndpoint
    deliveries: int


def desk_overview(seller_id: str, uow: UnitOfWork) -> DeskOverview:
    """The seller's returns counted by status, and returned items counted by reason."""
    with uow:
        by_status = uow.returns.count_by_status(seller_id)
        counts = uow.returns.count_by_reason(seller_id)
        described = {code.code: code.description for code in uow.reason_codes.all(seller_id)}
    by_reason = [
        ReasonCount(code, described.get(code, code), count)
        for code, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    ]
    return DeskOverview(by_status, by_reason)


def return_for_desk(scope: Scope, ref: str, uow: UnitOfWork) -> ReturnForDesk:
    """One of the seller's returns, as the desk's return page shows it."""
    with uow:
        ret = _find(uow, scope, ref)
        scans = (
            uow.tracking_events.for_tracking_number(ret.seller_id, ret.tracking_number)
            if ret.tracking_number
            else []
        )
        seller = uow.sellers.get(ret.seller_id)
        order = uow.orders.get(ret.seller_id, ret.order_id)
        names = {line.line_id: line.name or line.sku for line in order.lines} if order else {}
        return ReturnForDesk(
            ret=ret,
            scans=scans,
            addresses=uow.return_addresses.all(ret.seller_id),
            default_address_id=seller.default_return_address_id if seller else None,
            reasons={c.code: c.description for c in uow.reason_codes.all(ret.seller_id)},
            names=names,
        )


def webhook_endpoints_overview(seller_id: str, uow: UnitOfWork) -> list[EndpointSummary]:
    """The seller's endpoints, each with how many deliveries were made to it."""
    with uow:
        counts = uow.deliveries.count_by_endpoint(seller_id)
        return [
            EndpointSummary(endpoint, counts.get(endpoint.id, 0))
            for endpoint in uow.webhook_endpoints.all(seller_id)
        ]


@dataclass(frozen=True)
class Queue:
    """A page of the Manage Returns queue, and the seller's returns counted by status."""

    returns: list[Return]
    counts: dict[str, int]


def desk_queue(
    scope: Scope, where: ReturnFilter, uow: UnitOfWork, *, after: Cursor | None, limit: int
) -> Queue:
    """A page of the seller's returns in the filter's order, with the counts beside it."""
    with uow:
        page = uow.returns.page(scope.seller_id, where, after=after, limit=limit)
        return Queue(page, uow.returns.count_by_status(scope.seller_id))
