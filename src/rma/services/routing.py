"""Routing a request: which items go where, and the return authorization of each leg."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rma.domain import events
from rma.domain.addresses import Address
from rma.domain.ids import new_id
from rma.domain.orders import Order
from rma.domain.partners import Partner, PartnerKind, supplier_of
from rma.domain.policy import ItemVerdict
from rma.domain.returns import Return
from rma.domain.routing import (
    DEFAULT_ROUTE,
    DestinationKind,
    ItemFacts,
    Route,
    split_by_destination,
)
from rma.domain.supplier_rmas import SupplierRma, SupplierRmaStatus
from rma.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from rma.services.returns import Scope


@dataclass(frozen=True)
class PlannedLeg:
    """Valid items of one request bound for one destination, and the partner taking them."""

    route: Route
    verdicts: list[ItemVerdict]
    partner: Partner | None
    destination_name: str


def plan_legs(
    uow: UnitOfWork,
    seller_id: str,
    order: Order,
    verdicts: Sequence[ItemVerdict],
    categories: Mapping[str, str | None],
    ship_from: Address | None = None,
) -> list[PlannedLeg]:
    """The request's valid items by destination; one leg to the default without rules."""
    if not uow.routing_rules.any(seller_id):
        return [PlannedLeg(DEFAULT_ROUTE, list(verdicts), None, "")]
    rules = uow.routing_rules.all(seller_id)
    partners = uow.partners.all(seller_id)
    faults = {
        r.code: r.fault
        for r in uow.reason_codes.among(seller_id, {v.item.reason_code for v in verdicts})
    }
    facts = []
    for index, verdict in enumerate(verdicts):
        line = order.line(verdict.item.line_id)
        assert line is not None  # the policy checked every line exists
        category = categories.get(line.sku)
        supplier = supplier_of(partners, line.sku, category)
        facts.append(
            ItemFacts(
                key=str(index),
                sku=line.sku,
                value=line.unit_price * verdict.item.quantity,
                category=category,
                supplier_id=supplier.id if supplier else None,
                shipped_from=_shipped_from(order, line.line_id),
                country=ship_from.country.upper() if ship_from else None,
                region=ship_from.region.upper() if ship_from and ship_from.region else None,
                fault=faults.get(verdict.item.reason_code),
            )
        )
    by_id = {p.id: p for p in partners}
    legs = []
    names = {p.id: p.name for p in partners}
    for leg in split_by_destination(rules, facts, order.currency, names):
        destination = leg.route.destination
        partner = None
        name = ""
        if destination is not None and destination.kind is DestinationKind.PARTNER:
            partner = by_id.get(destination.ref)
            name = partner.name if partner else destination.ref
        elif destination is not None and destination.kind is DestinationKind.FACILITY:
            facility = uow.facilities.get(seller_id, destination.ref)
            name = facility.name if facility else destination.ref
        elif destination is not None:
            saved = uow.return_addresses.get(seller_id, destination.ref)
            name = saved.label if saved else destination.ref
        legs.append(PlannedLeg(leg.route, [verdicts[int(k)] for k in leg.keys], partner, name))
    return legs


def mark_routed(
    ret: Return, leg: PlannedLeg, group_id: str | None, legs: int, now: datetime
) -> None:
    """Write where the return goes and why on it, and record ``return.routed``."""
    destination = leg.route.destination
    ret.routing = {
        "destination": (
            {"kind": str(destination.kind), "ref": destination.ref, "name": leg.destination_name}
            if destination is not None
            else None
        ),
        "partner_kind": str(leg.partner.kind) if leg.partner else None,
        "rule_id": leg.route.rule_id,
        "rule_name": leg.route.rule_name,
        "explanation": leg.route.explanation,
        "legs": legs,
    }
    ret.partner_id = leg.partner.id if leg.partner else None
    ret.group_id = group_id
    ret.events.append(
        events.ReturnRouted(
            ret.seller_id,
            ret.id,
            now,
            {
                "destination": ret.routing["destination"],
                "rule_id": leg.route.rule_id,
                "explanation": leg.route.explanation,
                "group_id": group_id,
                "legs": legs,
            },
        )
    )


def open_supplier_rma(ret: Return, supplier: Partner, now: datetime) -> SupplierRma:
    """Ask ``supplier`` to take the return back; the return waits for its answer.

    The caller adds the supplier RMA once the return is stored (it refers to the return).
    """
    value = sum(item.unit_price * item.requested_quantity for item in ret.items)
    rma = SupplierRma(
        id=new_id("srma"),
        seller_id=ret.seller_id,
        return_id=ret.id,
        partner_id=supplier.id,
        status=SupplierRmaStatus.REQUESTED,
        currency=ret.currency,
        remedy=supplier.terms.remedy,
        expected_credit=supplier.terms.expected_credit(value),
        requested_at=now,
        updated_at=now,
    )
    ret.wait_for_supplier(supplier.name, now)
    rma.events.append(
        events.SupplierRmaRequested(
            ret.seller_id,
            ret.id,
            now,
            {
                "supplier_rma_id": rma.id,
                "partner_id": supplier.id,
                "supplier_name": supplier.name,
                "contact_email": supplier.contact_email,
                "order_number": ret.order_number,
                "items": [
                    {"sku": i.sku, "quantity": i.requested_quantity, "reason_code": i.reason_code}
                    for i in ret.items
                ],
                "expected_credit": rma.expected_credit,
                "currency": rma.currency,
            },
        )
    )
    return rma


def routed_address(uow: UnitOfWork, ret: Return) -> tuple[str | None, Address] | None:
    """Where the routing rules send the return: a saved address id and the printed address.

    ``None`` when the return was not routed, or its supplier refused (the seller's own
    address applies, as before routing existed).
    """
    destination = (ret.routing or {}).get("destination")
    if not destination:
        return None
    kind, ref = DestinationKind(destination["kind"]), str(destination["ref"])
    if kind is DestinationKind.ADDRESS:
        saved = uow.return_addresses.get(ret.seller_id, ref)
        return (saved.id, saved.address) if saved else None
    if kind is DestinationKind.FACILITY:
        facility = uow.facilities.get(ret.seller_id, ref)
        return (None, facility.address) if facility else None
    partner = uow.partners.get(ret.seller_id, ref)
    if partner is None:
        return None
    if partner.kind is PartnerKind.SUPPLIER:
        rma = uow.supplier_rmas.for_return(ret.seller_id, ret.id)
        if rma is None or rma.supplier_address is None:
            return None
        return None, rma.supplier_address
    if partner.facility_code:
        facility = uow.facilities.get(ret.seller_id, partner.facility_code)
        if facility is not None:
            return None, facility.address
    return (None, partner.address) if partner.address else None


def routing_view(ret: Return) -> dict[str, Any]:
    """The routing facts of a return, for its page and the API (empty when not routed)."""
    return dict(ret.routing or {})


def _shipped_from(order: Order, line_id: str) -> str | None:
    for shipment in order.shipments:
        if shipment.facility_code and any(i.line_id == line_id for i in shipment.items):
            return shipment.facility_code
    return None


def boxes_of(scope: Scope, ret: Return, uow: UnitOfWork) -> list[Return]:
    """The returns one request was split into (this one first), as the caller may see them.

    Empty when the request was not split: the customer sees one return with a box each.
    """
    if ret.group_id is None:
        return []
    with uow:
        group = uow.partner_returns.in_group(ret.seller_id, ret.group_id)
    visible = [r for r in group if scope.order_id is None or r.order_id == scope.order_id]
    return sorted(visible, key=lambda r: (r.id != ret.id, r.created_at, r.id))


def waiting_on_supplier(ret: Return) -> bool:
    """Whether the return waits for its supplier's answer (not for the seller)."""
    last = next((h.action for h in reversed(ret.history) if h.action != "supplier_reminded"), "")
    return ret.status.value == "pending_review" and last in {
        "send_to_supplier",
        "supplier_escalated",
    }


def withdraw_from_supplier(uow: UnitOfWork, ret: Return, why: str, now: datetime) -> None:
    """The seller decides a return its supplier has not answered: the supplier is let go.

    The supplier's links and key no longer act on it; its own address no longer applies.
    """
    if ret.partner_id is None:
        return
    rma = uow.supplier_rmas.for_return(ret.seller_id, ret.id)
    if rma is None or not rma.waiting_for_supplier:
        return
    rma.withdraw(now, why)
    ret.partner_id = None
