"""Where a customer's return is: its steps, scans and money, and what the customer may still do.

Read by the portal's return page, the RMA page (opened from a signed link) and the customer
emails, so all three tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rma.domain.addresses import Address
from rma.domain.errors import NotFound
from rma.domain.fulfillment import OutboundOrder
from rma.domain.journey import TO_BE_SENT, StepState, progress
from rma.domain.refunds import Refund
from rma.domain.returns import Return
from rma.domain.sellers import LabelDefault
from rma.domain.store_credit import CreditEntry
from rma.domain.storefront import PortalSettings
from rma.domain.tracking import TrackingEvent
from rma.services import tracking
from rma.services.clock import utcnow
from rma.services.returns import Scope, _find
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Story:
    """One return as its customer follows it."""

    ret: Return
    seller_name: str
    timezone: str  # the seller's: dates are shown in it
    language: str  # the seller's default language
    reply_to: str  # the seller's address for answers
    steps: list[StepState]
    scans: list[TrackingEvent]
    item_names: dict[str, str]  # item id -> product name
    reasons: dict[str, str]  # reason code -> the seller's description of it
    sender: Address | None  # where the box leaves from
    refund: Refund | None = None
    credit: CreditEntry | None = None
    outbound: list[OutboundOrder] = field(default_factory=list)

    @property
    def to_be_sent(self) -> bool:
        """Whether the customer still has to send the box (label and "ship by" apply)."""
        return self.ret.status in TO_BE_SENT

    @property
    def prepaid(self) -> bool:
        """Whether the seller paid the postage (a prepaid label)."""
        return self.ret.label_type is LabelDefault.PREPAID


@dataclass(frozen=True)
class EnterTracking:
    """The customer says how the box travels, from the RMA page's signed link."""

    return_id: str
    rma_number: str
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class CorrectSender:
    scope: Scope
    ref: str
    address: Address


def customer_story(scope: Scope, ref: str, uow: UnitOfWork) -> Story:
    """The story of one of the caller's returns."""
    with uow:
        return _story(uow, _find(uow, scope, ref))


def story_by_link(return_id: str, rma_number: str, uow: UnitOfWork) -> Story:
    """The story of the return a signed RMA-page link names; the number must be its own."""
    with uow:
        ret = _by_link(uow, return_id, rma_number)
        return _story(uow, ret)


def story_for_email(seller_id: str, return_id: str, uow: UnitOfWork) -> Story | None:
    """The story an email about ``return_id`` tells, inside the caller's open unit of work."""
    ret = uow.returns.get(seller_id, return_id)
    return _story(uow, ret) if ret is not None else None


def normalize_tracking_number(text: str) -> str:
    """A tracking number as carriers print it: no spaces, upper case (typed twice, one)."""
    return "".join(text.split()).upper()


def enter_tracking(cmd: EnterTracking, uow: UnitOfWork) -> Return:
    """Record the carrier and tracking number the customer typed on the RMA page."""
    with uow:
        ret = _by_link(uow, cmd.return_id, cmd.rma_number)
        # The customer's own scope: a number typed here never triggers an early refund.
        scope = Scope(ret.seller_id, ret.order_id)
    number = normalize_tracking_number(cmd.tracking_number)
    return tracking.set_tracking(
        tracking.SetTracking(scope, cmd.return_id, cmd.carrier.strip(), number), uow
    )


def correct_sender(cmd: CorrectSender, uow: UnitOfWork) -> Return:
    """The customer corrects the address the box leaves from, for this return only."""
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        ret.send_from(cmd.address, now=utcnow())
        uow.commit()
        return ret


def _by_link(uow: UnitOfWork, return_id: str, rma_number: str) -> Return:
    seller_id = uow.physical.seller_of(return_id)
    ret = uow.returns.get(seller_id, return_id) if seller_id else None
    if ret is None or ret.rma_number is None or ret.rma_number != rma_number.strip().upper():
        raise NotFound("no such RMA page", code="return_not_found")
    return ret


def _story(uow: UnitOfWork, ret: Return) -> Story:
    seller = uow.sellers.get(ret.seller_id)
    settings = uow.portal_settings.get(ret.seller_id) or PortalSettings(ret.seller_id)
    order = uow.orders.get(ret.seller_id, ret.order_id)
    names = {}
    for item in ret.items:
        line = order.line(item.line_id) if order else None
        if line is not None and line.name:  # the order's own name: no product to read
            names[item.id] = line.name
            continue
        product = uow.products.get(ret.seller_id, item.sku)
        names[item.id] = (product.name if product else "") or item.sku
    scans = (
        uow.tracking_events.for_tracking_number(ret.seller_id, ret.tracking_number)
        if ret.tracking_number
        else []
    )
    history = [(entry.at, entry.to_status) for entry in ret.history]
    first_scan = min((scan.occurred_at for scan in scans), default=None)
    return Story(
        ret=ret,
        seller_name=seller.name if seller else "",
        timezone=seller.timezone if seller else "UTC",
        language=settings.language,
        reply_to=settings.reply_to,
        steps=progress(ret.status, history, shipped_at=first_scan),
        scans=sorted(scans, key=lambda scan: scan.occurred_at, reverse=True),
        item_names=names,
        reasons={code.code: code.description for code in uow.reason_codes.all(ret.seller_id)},
        sender=ret.ship_from or (order.shipping_address if order else None),
        refund=uow.refunds.for_return(ret.seller_id, ret.id),
        credit=uow.store_credit.for_return(ret.seller_id, ret.id),
        outbound=uow.outbound_orders.for_return(ret.seller_id, ret.id),
    )
