"""What the seller desk shows: counts at a glance, one return with what deciding it needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from rma.domain.addresses import ReturnAddress
from rma.domain.errors import NotFound
from rma.domain.flags import Flag
from rma.domain.fulfillment import OutboundOrder, RepairOrder
from rma.domain.orders import Order, Product
from rma.domain.refunds import Refund, RefundStatus
from rma.domain.returns import Actor, Return
from rma.domain.sellers import ReasonCode
from rma.domain.store_credit import CreditEntry
from rma.domain.tracking import TrackingEvent
from rma.domain.webhooks import WebhookDelivery, WebhookEndpoint
from rma.services.bulk_decisions import MAX_IDS
from rma.services.physical_ports import Photo
from rma.services.returns import Scope, _find
from rma.services.settlement import ReturnRefunds, return_refunds_in
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
    refunds_to_pay: int = 0  # pending refunds (counted up to PENDING_SHOWN)


PENDING_SHOWN = 100


@dataclass(frozen=True)
class Evidence:
    """What the customer and the warehouse showed about a return: photos and flags."""

    customer_photos: list[Photo]  # added before the first unit was received
    warehouse_photos: list[Photo]  # taken at the facility
    flags: list[Flag]


@dataclass(frozen=True)
class ReturnForDesk:
    """A return with its carrier scans, the addresses it may be sent to, and item names."""

    ret: Return
    scans: list[TrackingEvent]
    addresses: list[ReturnAddress]
    default_address_id: str | None
    reasons: dict[str, str]  # code: description
    names: dict[str, str]  # order line id: product name
    customer_name: str = ""
    evidence: Evidence = field(default_factory=lambda: Evidence([], [], []))
    actors: dict[str, str] = field(default_factory=dict)  # "seller:key_..." -> a person's words
    refunds: ReturnRefunds = field(default_factory=lambda: ReturnRefunds([], 0, 0, 0))
    credit: CreditEntry | None = None
    outbound: list[OutboundOrder] = field(default_factory=list)
    repairs: list[RepairOrder] = field(default_factory=list)
    variants: dict[str, list[Product]] = field(default_factory=dict)  # item id -> other SKUs


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
        pending = uow.refunds.page(seller_id, RefundStatus.PENDING, after=None, limit=PENDING_SHOWN)
    by_reason = [
        ReasonCount(code, described.get(code, code), count)
        for code, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    ]
    return DeskOverview(by_status, by_reason, len(pending))


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
        names = _item_names(uow, ret, order)
        return ReturnForDesk(
            ret=ret,
            scans=scans,
            addresses=uow.return_addresses.all(ret.seller_id),
            default_address_id=seller.default_return_address_id if seller else None,
            reasons={c.code: c.description for c in uow.reason_codes.all(ret.seller_id)},
            names=names,
            customer_name=order.customer_name if order else "",
            evidence=_evidence(uow, ret),
            actors=_actors(uow, ret, order.customer_name if order else ""),
            refunds=return_refunds_in(uow, scope, ret.id),
            credit=uow.store_credit.for_return(ret.seller_id, ret.id),
            outbound=uow.outbound_orders.for_return(ret.seller_id, ret.id),
            repairs=uow.repair_orders.for_return(ret.seller_id, ret.id),
            variants=_variants(uow, ret),
        )


def _item_names(uow: UnitOfWork, ret: Return, order: Order | None) -> dict[str, str]:
    """Each order line's name: the order's own, else the catalog's, else the SKU."""
    names = {}
    for line in order.lines if order else []:
        product = None if line.name else uow.products.get(ret.seller_id, line.sku)
        names[line.line_id] = line.name or (product.name if product else "") or line.sku
    return names


def _evidence(uow: UnitOfWork, ret: Return) -> Evidence:
    photos = uow.photos.for_return(ret.seller_id, ret.id)
    # A photo is the customer's when it came before any unit reached the facility.
    received = [h.at for h in ret.history if h.action == "receive"]
    first = min(received) if received else None
    customer = [p for p in photos if first is None or p.created_at < first]
    return Evidence(
        customer_photos=customer,
        warehouse_photos=[p for p in photos if p not in customer],
        flags=uow.flags.for_return(ret.seller_id, ret.id),
    )


def _actors(uow: UnitOfWork, ret: Return, customer_name: str) -> dict[str, str]:
    """Each actor of the history in words: a key by its name, the customer by name."""
    said = {entry.actor for entry in ret.history}
    parsed = {text: Actor.parse(text) for text in said}
    keys = {
        key.id: key
        for key in uow.api_keys.of_seller(
            ret.seller_id, [a.id for a in parsed.values() if a.id.startswith("key_")]
        )
    }
    words = {}
    for text, actor in parsed.items():
        key = keys.get(actor.id)
        if key is not None:
            words[text] = key.name or f"{str(key.role).capitalize()} key {key.prefix}…"
        elif actor.kind == "customer":
            words[text] = f"Customer {customer_name or ret.customer_email}"
        elif actor.kind == "system":
            words[text] = "Automatic"
        elif actor.kind == "operator":
            words[text] = f"Operator {actor.id}"
        else:
            words[text] = f"{actor.kind.capitalize()} (key no longer known)"
    return words


def _variants(uow: UnitOfWork, ret: Return) -> dict[str, list[Product]]:
    """The other SKUs of each item's category, which an exchange may send instead."""
    categories = uow.products.categories(ret.seller_id, [i.sku for i in ret.items])
    found: dict[str | None, list[Product]] = {}
    for category in set(categories.values()):
        found[category] = uow.products.in_category(ret.seller_id, category, 100)
    return {
        item.id: [p for p in found.get(categories.get(item.sku), []) if p.sku != item.sku]
        for item in ret.items
    }


def webhook_endpoints_overview(seller_id: str, uow: UnitOfWork) -> list[EndpointSummary]:
    """The seller's endpoints, each with how many deliveries were made to it."""
    with uow:
        counts = uow.deliveries.count_by_endpoint(seller_id)
        return [
            EndpointSummary(endpoint, counts.get(endpoint.id, 0))
            for endpoint in uow.webhook_endpoints.all(seller_id)
        ]


# The queue counts its returns up to this many and shows "1,000+" past it: counting every
# return of a big seller took 250 to 400 ms a page (docs/operations.md, "Indexes for reads").
# As many as a bulk decision takes, so "apply to the first 1,000 that match" is exact.
COUNTED_UP_TO = MAX_IDS


@dataclass(frozen=True)
class Queue:
    """A page of the Manage Returns queue, and the seller's returns counted by status.

    Every count stops at ``COUNTED_UP_TO``: a count that reaches it means "that many or more".
    """

    returns: list[Return]
    counts: dict[str, int]
    total: int = 0  # returns the filter shows, on every page
    reasons: list[ReasonCode] = field(default_factory=list)  # the seller's, for the filter
    everything: int = 0  # all of the seller's returns


def desk_queue(
    scope: Scope, where: ReturnFilter, uow: UnitOfWork, *, after: Cursor | None, limit: int
) -> Queue:
    """A page of the seller's returns in the filter's order, with the counts beside it."""
    with uow:
        page = uow.returns.page(scope.seller_id, where, after=after, limit=limit)
        total = uow.returns.count_matching(scope.seller_id, where, up_to=COUNTED_UP_TO)
        everything = (
            total
            if where == ReturnFilter(sort=where.sort)
            else uow.returns.count_matching(scope.seller_id, ReturnFilter(), up_to=COUNTED_UP_TO)
        )
        return Queue(
            page,
            uow.returns.count_by_status(scope.seller_id, up_to=COUNTED_UP_TO),
            total,
            uow.reason_codes.all(scope.seller_id),
            everything,
        )


def queue_export(scope: Scope, where: ReturnFilter, uow: UnitOfWork, limit: int) -> list[Return]:
    """Every return the filter shows (up to ``limit``), in its order, for a download."""
    with uow:
        return uow.returns.page(scope.seller_id, where, after=None, limit=limit)


@dataclass(frozen=True)
class RefundRow:
    """A refund on the refunds page, with the return it belongs to."""

    refund: Refund
    rma_number: str | None
    customer_email: str


def refunds_for_desk(
    seller_id: str, status: RefundStatus | None, uow: UnitOfWork, *, after: str | None, limit: int
) -> list[RefundRow]:
    """A page of the seller's refunds, newest first, each with its return's RMA number."""
    with uow:
        page = uow.refunds.page(seller_id, status, after=after, limit=limit)
        rows = []
        for refund in page:
            ret = uow.returns.get(seller_id, refund.return_id)
            rows.append(
                RefundRow(
                    refund,
                    ret.rma_number if ret else None,
                    ret.customer_email if ret else "",
                )
            )
        return rows


@dataclass(frozen=True)
class EndpointLog:
    """One webhook endpoint and its latest deliveries, each with every attempt."""

    endpoint: WebhookEndpoint
    deliveries: list[WebhookDelivery]


def endpoint_log(
    seller_id: str, endpoint_id: str, uow: UnitOfWork, limit: int = 100
) -> EndpointLog:
    """The delivery log of one of the seller's endpoints, newest first."""
    with uow:
        endpoint = uow.webhook_endpoints.get(seller_id, endpoint_id)
        if endpoint is None:
            raise NotFound(f"no webhook endpoint {endpoint_id}", code="webhook_endpoint_not_found")
        return EndpointLog(
            endpoint, uow.deliveries.page(seller_id, endpoint_id, after=None, limit=limit)
        )


def page_start(scope: Scope, where: ReturnFilter, skip: int, uow: UnitOfWork) -> Cursor | None:
    """Where the page after the first ``skip`` returns starts (``None``: past the end).

    Lets the queue link to a page by its number while it still pages by cursor.
    """
    with uow:
        ids = uow.returns.ids_matching(scope.seller_id, where, skip)
        if skip <= 0 or len(ids) < skip:
            return None
        last = uow.returns.get(scope.seller_id, ids[-1])
        assert last is not None  # just listed, in the same transaction
        return Cursor(getattr(last, where.sort.field), last.id)
