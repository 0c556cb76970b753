"""The Return aggregate: one customer return, one RMA, its items and its history.

Every move goes through ``_move``, which checks the transition table, writes a history entry
with actor and time, and records the event the move causes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from rma.domain import events
from rma.domain.addresses import Address
from rma.domain.authorization import AuthorizationTerms, decide_authorization
from rma.domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from rma.domain.events import Event
from rma.domain.policy import PolicyDecision
from rma.domain.sellers import LabelDefault, ResolutionTrigger
from rma.domain.statuses import ReturnStatus, check_transition, resolution_due


class Resolution(StrEnum):
    REFUND = "refund"  # money back to the original payment
    STORE_CREDIT = "store_credit"  # credit with the seller
    EXCHANGE = "exchange"  # another variant of the same product
    REPLACEMENT = "replacement"  # the same SKU again
    REPAIR = "repair"  # fixed and shipped back
    KEEP_ITEM = "keep_item"  # refund without shipping back


class Condition(StrEnum):
    SELLABLE = "sellable"  # as new; back to stock
    DAMAGED = "damaged"  # damaged, cause unknown
    CUSTOMER_DAMAGED = "customer_damaged"  # damaged by the customer
    CARRIER_DAMAGED = "carrier_damaged"  # damaged in transit
    DEFECTIVE = "defective"  # does not work
    WRONG_ITEM = "wrong_item"  # not what was authorized
    MISSING = "missing"  # not in the box


class Disposition(StrEnum):
    RESTOCK = "restock"  # back to available stock
    REFURBISH = "refurbish"  # repaired, then sold as refurbished
    RETURN_TO_VENDOR = "return_to_vendor"  # sent back to the supplier
    LIQUIDATE = "liquidate"  # sold off in bulk
    DISPOSE = "dispose"  # destroyed or recycled


# Dispositions after which nothing of the unit is left to repair, restock or send on.
WRITTEN_OFF_DISPOSITIONS = frozenset({Disposition.LIQUIDATE, Disposition.DISPOSE})


class DenyReason(StrEnum):
    RETURN_PERIOD_ENDED = "return_period_ended"  # asked too late
    NON_RETURNABLE = "non_returnable"  # the item may not be returned
    ITEM_NOT_ELIGIBLE = "item_not_eligible"  # used, customised, hygiene, ...
    OTHER = "other"  # said in the note


@dataclass(frozen=True)
class Actor:
    """Who did something: a seller's key, the warehouse, a customer, or the system."""

    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Actor:
        kind, _, ident = text.partition(":")
        return cls(kind, ident)


SYSTEM = Actor("system", "rma")

# Until the package is on its way, the customer may still say where it leaves from.
SENDER_EDITABLE = frozenset(
    {ReturnStatus.REQUESTED, ReturnStatus.PENDING_REVIEW, ReturnStatus.AUTHORIZED}
)


@dataclass(eq=False)
class ReturnItem:
    """Units of one order line in a return, and what became of them."""

    id: str
    line_id: str
    sku: str
    unit_price: int
    requested_quantity: int
    reason_code: str
    comment: str = ""
    authorized_quantity: int = 0
    received_quantity: int = 0
    accepted_quantity: int = 0
    rejected_quantity: int = 0
    condition: Condition | None = None
    disposition: Disposition | None = None
    inspection_note: str = ""
    resolution: Resolution | None = None
    inspected_at: datetime | None = None
    shipment_id: str | None = None  # the shipment the units came in, when the caller named it
    seller_return_item_id: str | None = None  # the caller's own id (Amazon-compatible API)
    exchange_sku: str | None = None  # the variant the customer asked for, for an exchange
    seen_sku: str | None = None  # another SKU the warehouse found in the box instead

    @property
    def settled_quantity(self) -> int:
        """Units a resolution covers: the accepted ones once inspected, else the authorized ones.

        Resolving before inspection (on first scan or receipt) trusts the customer's package.
        """
        if self.condition is not None:
            return self.accepted_quantity
        return self.authorized_quantity

    @property
    def inspected(self) -> bool:
        """Whether every received unit has been judged."""
        return self.condition is not None and (
            self.accepted_quantity + self.rejected_quantity == self.received_quantity
        )


@dataclass(eq=False)
class HistoryEntry:
    """One move of a return, as it happened."""

    at: datetime
    actor: str
    action: str
    from_status: ReturnStatus | None
    to_status: ReturnStatus
    note: str = ""


@dataclass(frozen=True)
class Receipt:
    """Units of one item that arrived at the facility."""

    item_id: str
    quantity: int


@dataclass(frozen=True)
class Inspection:
    """The warehouse's judgement of one item."""

    item_id: str
    accepted: int
    rejected: int
    condition: Condition
    disposition: Disposition
    note: str = ""


@dataclass(eq=False)
class Return:
    """A customer's return of items of one order, identified by its RMA number once issued."""

    id: str
    seller_id: str
    order_id: str
    order_number: str
    customer_email: str
    currency: str
    status: ReturnStatus
    created_at: datetime
    updated_at: datetime
    resolution: Resolution = Resolution.REFUND
    items: list[ReturnItem] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    rma_number: str | None = None
    in_policy: bool = True
    violations: list[dict[str, str]] = field(default_factory=list)
    violation_codes: str = ""  # " code1 code2 ": the codes alone, for filtering the queue
    window_closes_at: datetime | None = None
    deadline: datetime | None = None
    return_address_id: str | None = None
    return_address: Address | None = None  # as printed at authorization
    deny_reason: DenyReason | None = None
    customer_note: str = ""
    carrier: str | None = None
    tracking_number: str | None = None
    # The number came with a label the seller issued or uploaded, or from the seller: only
    # then may a carrier scan of it trigger an early resolution (money moves on it).
    tracking_trusted: bool = False
    label_cost: int = 0  # minor units the return label cost
    label_paid_by: str = "seller"  # buyer: the label cost is taken off the refund
    ship_from: Address | None = None  # the customer's address, as given for the label
    label_type: LabelDefault | None = None  # unpaid (generated) or prepaid (uploaded)
    label_file: str | None = None  # the stored prepaid label
    tracking_status: str | None = None  # the carrier's latest status (rma.domain.tracking)
    tracking_at: datetime | None = None  # when the latest carrier scan happened
    delivered_at: datetime | None = None  # the carrier delivered it to the facility
    lost_flagged_at: datetime | None = None  # no movement for too long: investigate
    language: str | None = None  # the customer's, when asked in the portal: their emails' one
    # Where the routing rules sent it (rma.domain.routing): destination, rule, explanation.
    routing: dict[str, Any] | None = None
    partner_id: str | None = None  # the supplier or 3PL it is routed to, whose keys may act
    group_id: str | None = None  # one request split per destination: the returns share it
    version: int = 1
    events: list[Event] = field(default_factory=list)

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def request(
        cls,
        *,
        id: str,
        seller_id: str,
        order_id: str,
        order_number: str,
        customer_email: str,
        currency: str,
        items: list[ReturnItem],
        decision: PolicyDecision,
        resolution: Resolution,
        actor: Actor,
        now: datetime,
    ) -> Return:
        """A new return for the valid items of ``decision``, in status ``requested``."""
        ret = cls(
            id=id,
            seller_id=seller_id,
            order_id=order_id,
            order_number=order_number,
            customer_email=customer_email,
            currency=currency,
            status=ReturnStatus.REQUESTED,
            created_at=now,
            updated_at=now,
            resolution=resolution,
            items=items,
            in_policy=decision.in_policy,
            violations=[v.as_dict() for item in decision.valid_items for v in item.violations],
            violation_codes=" ".join(
                ["", *sorted({str(v.code) for i in decision.valid_items for v in i.violations}), ""]
            ),
            window_closes_at=decision.window_closes_at,
        )
        ret.history.append(HistoryEntry(now, str(actor), "request", None, ReturnStatus.REQUESTED))
        ret._record(events.ReturnRequested, now, in_policy=ret.in_policy)
        return ret

    # -- decisions --------------------------------------------------------------------------

    def send_to_review(self, now: datetime, actor: Actor = SYSTEM) -> None:
        """Wait for a person: out of policy, or the seller authorizes by hand."""
        note = "out of policy" if not self.in_policy else "manual authorization"
        self._move(ReturnStatus.PENDING_REVIEW, "send_to_review", actor, now, note)
        self._record(events.ReturnPendingReview, now, violations=self.violations)

    def wait_for_supplier(self, supplier: str, now: datetime, actor: Actor = SYSTEM) -> None:
        """Routed to a supplier: wait for its answer (docs/partners.md) before authorizing."""
        self._move(
            ReturnStatus.PENDING_REVIEW, "send_to_supplier", actor, now, f"waiting for {supplier}"
        )
        self._record(
            events.ReturnPendingReview, now, violations=self.violations, waiting_on="supplier"
        )

    def remark(self, action: str, note: str, *, actor: Actor, now: datetime) -> None:
        """Write something that happened to the history without moving the return."""
        self.history.append(HistoryEntry(now, str(actor), action, self.status, self.status, note))
        self.updated_at = now

    def authorize(
        self,
        *,
        rma_number: str,
        deadline: datetime,
        actor: Actor,
        now: datetime,
        return_address_id: str | None = None,
        return_address: Address | None = None,
        quantities: Mapping[str, int] | None = None,
    ) -> None:
        """Issue the RMA: the customer may now ship the authorized units."""
        terms = AuthorizationTerms(
            rma_number, deadline, return_address_id, return_address, quantities
        )
        decided = decide_authorization(self, terms, actor, now)
        self._move(decided.status, decided.action, actor, now, decided.note)
        self.rma_number = terms.rma_number
        self.deadline = terms.deadline
        self.return_address_id = terms.return_address_id
        self.return_address = terms.return_address
        self.label_type = decided.label_type
        for item in self.items:
            item.authorized_quantity = decided.quantities[item.id]
        self.events.append(decided.event())

    def deny(self, *, reason: DenyReason, note: str, actor: Actor, now: datetime) -> None:
        """Refuse the return, telling the customer why."""
        self._move(ReturnStatus.DENIED, "deny", actor, now, note)
        self.deny_reason = reason
        self.customer_note = note
        self._record(events.ReturnDenied, now, reason=str(reason), note=note)

    def cancel(self, *, actor: Actor, now: datetime, note: str = "") -> None:
        """The customer withdraws the request before shipping."""
        self._move(ReturnStatus.CANCELLED, "cancel", actor, now, note)
        self._record(events.ReturnCancelled, now)

    def close(self, *, actor: Actor, now: datetime, note: str = "") -> None:
        """Finish the return; a seller may close any open one, with a note."""
        self._move(ReturnStatus.CLOSED, "close", actor, now, note)
        self._record(events.ReturnClosed, now, note=note)

    def reopen(self, *, actor: Actor, now: datetime, note: str = "") -> None:
        """Undo a close: the return goes back to the status it was closed from."""
        closing = next((h for h in reversed(self.history) if h.action == "close"), None)
        if self.status is not ReturnStatus.CLOSED or closing is None or closing.from_status is None:
            raise IllegalTransition(
                f"a return that is {self.status} cannot be reopened",
                details=[{"status": str(self.status), "requested": "reopen"}],
            )
        self.history.append(
            HistoryEntry(now, str(actor), "reopen", self.status, closing.from_status, note)
        )
        self.status = closing.from_status
        self.updated_at = now
        self._record(events.ReturnReopened, now, status=str(self.status), note=note)

    def expire(self, now: datetime) -> None:
        """The deadline passed with nothing shipped."""
        self._move(ReturnStatus.EXPIRED, "expire", SYSTEM, now, "authorization deadline passed")
        self._record(events.ReturnExpired, now)

    # -- the physical flow ------------------------------------------------------------------

    def mark_in_transit(self, *, actor: Actor, now: datetime, note: str = "") -> None:
        """The carrier scanned the package for the first time."""
        self._move(ReturnStatus.IN_TRANSIT, "ship", actor, now, note)
        self._record(events.ReturnInTransit, now, tracking_number=self.tracking_number)

    def ship_with(
        self,
        carrier: str,
        tracking_number: str,
        *,
        now: datetime,
        ship_from: Address | None = None,
        trusted: bool = False,
    ) -> None:
        """Record how the package travels: carrier, tracking number, the sender's address."""
        if self.status not in {ReturnStatus.AUTHORIZED, ReturnStatus.IN_TRANSIT}:
            raise Conflict(
                f"a return that is {self.status} takes no tracking number",
                code="not_shippable",
            )
        self.carrier = carrier
        self.tracking_number = tracking_number
        self.tracking_trusted = trusted
        if ship_from is not None:
            self.ship_from = ship_from
        self.updated_at = now

    def send_from(self, address: Address, *, now: datetime) -> None:
        """The customer corrects where the package leaves from (the label's sender)."""
        if self.status not in SENDER_EDITABLE:
            raise Conflict(
                f"a return that is {self.status} is already on its way",
                code="not_shippable",
            )
        self.ship_from = address
        self.updated_at = now

    def receive(self, receipts: list[Receipt], *, actor: Actor, now: datetime) -> None:
        """Units arrived at the facility; more than authorized is recorded as it is."""
        # Work out the outcome first: a refused receipt must leave every quantity as it was.
        totals = {item.id: item.received_quantity for item in self.items}
        for receipt in receipts:
            if receipt.quantity < 0:
                raise InvalidInput("a received quantity cannot be negative")
            totals[self.item(receipt.item_id).id] += receipt.quantity
        complete = all(totals[i.id] >= i.authorized_quantity for i in self.items)
        target = ReturnStatus.RECEIVED if complete else ReturnStatus.PARTIALLY_RECEIVED
        self._move_or_note_after_resolution(target, "receive", actor, now)
        for item in self.items:
            item.received_quantity = totals[item.id]
        self._record(
            events.ReturnReceived,
            now,
            complete=complete,
            items=[{"item_id": r.item_id, "quantity": r.quantity} for r in receipts],
        )

    def inspect(self, inspections: list[Inspection], *, actor: Actor, now: datetime) -> None:
        """Record the warehouse's judgement; inspected once every received unit is judged."""
        judged = self.status is ReturnStatus.RESOLVED and all(i.inspected for i in self.items)
        if judged or self.status not in {ReturnStatus.RECEIVED, ReturnStatus.RESOLVED}:
            check_transition(self.status, ReturnStatus.INSPECTED)
        for result in inspections:  # every result is checked before any is recorded
            item = self.item(result.item_id)
            if result.accepted < 0 or result.rejected < 0:
                raise InvalidInput("accepted and rejected quantities cannot be negative")
            if result.accepted + result.rejected != item.received_quantity:
                raise InvalidInput(
                    f"item {item.id}: accepted + rejected must equal the "
                    f"{item.received_quantity} received",
                    code="inspection_quantity_mismatch",
                    details=[{"field": "items", "item_id": item.id}],
                )
        for result in inspections:
            item = self.item(result.item_id)
            item.accepted_quantity = result.accepted
            item.rejected_quantity = result.rejected
            item.condition = result.condition
            item.disposition = result.disposition
            item.inspection_note = result.note
            item.inspected_at = now
        if all(item.inspected for item in self.items):
            self._move_or_note_after_resolution(ReturnStatus.INSPECTED, "inspect", actor, now)
            self._record(
                events.ReturnInspected,
                now,
                items=[
                    {"item_id": i.id, "accepted": i.accepted_quantity, "condition": i.condition}
                    for i in self.items
                ],
            )

    def resolve(
        self,
        resolutions: Mapping[str, Resolution],
        *,
        actor: Actor,
        now: datetime,
        trigger: ResolutionTrigger = ResolutionTrigger.INSPECTION,
        note: str = "",
        **summary: Any,
    ) -> None:
        """Record what each item resolves to; items not named keep the requested one.

        Refused with ``resolution_not_due`` before the seller's ``trigger`` is reached, unless
        every item is kept by the customer (nothing to wait for).
        """
        chosen = self.check_resolvable(resolutions, trigger)
        for item in self.items:
            item.resolution = chosen[item.id]
        self._move(ReturnStatus.RESOLVED, "resolve", actor, now, note)
        self._record(
            events.ReturnResolved,
            now,
            items=[{"item_id": i.id, "resolution": i.resolution} for i in self.items],
            **summary,
        )

    def check_resolvable(
        self, resolutions: Mapping[str, Resolution], trigger: ResolutionTrigger
    ) -> dict[str, Resolution]:
        """Each item's resolution, once the return may be resolved now (else 409)."""
        check_transition(self.status, ReturnStatus.RESOLVED)
        for item_id in resolutions:
            self.item(item_id)
        chosen = {item.id: resolutions.get(item.id, self.resolution) for item in self.items}
        keep_only = all(r is Resolution.KEEP_ITEM for r in chosen.values())
        if not keep_only and not resolution_due(self.status, trigger):
            raise Conflict(
                f"this seller resolves returns on {trigger}; the return is {self.status}",
                code="resolution_not_due",
                details=[{"status": str(self.status), "trigger": str(trigger)}],
            )
        return chosen

    def note_top_up(self, note: str, *, actor: Actor, now: datetime) -> None:
        """A further refund of a resolved return, written to its history; the status stays."""
        if self.status not in {ReturnStatus.RESOLVED, ReturnStatus.CLOSED}:
            raise Conflict(
                f"only a resolved return is refunded more; this one is {self.status}",
                code="return_not_resolved",
                details=[{"status": str(self.status)}],
            )
        self.history.append(
            HistoryEntry(now, str(actor), "refund_top_up", self.status, self.status, note)
        )
        self.updated_at = now

    # -- helpers ----------------------------------------------------------------------------

    def item(self, item_id: str) -> ReturnItem:
        """The item with this id, or ``NotFound``."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFound(f"return {self.id} has no item {item_id!r}", code="item_not_found")

    def held_quantity(self, line_id: str) -> int:
        """Units of ``line_id`` this return keeps from being returned again."""
        if self.status in {ReturnStatus.DENIED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED}:
            return 0
        undecided = self.status in {ReturnStatus.REQUESTED, ReturnStatus.PENDING_REVIEW}
        return sum(
            i.requested_quantity if undecided else i.authorized_quantity
            for i in self.items
            if i.line_id == line_id
        )

    def _move_or_note_after_resolution(
        self, target: ReturnStatus, action: str, actor: Actor, now: datetime
    ) -> None:
        # A seller who resolves on first scan or receipt has already paid; the package still
        # arrives and is judged, which the history records while the return stays resolved.
        if self.status is ReturnStatus.RESOLVED:
            self.history.append(
                HistoryEntry(now, str(actor), action, self.status, self.status, f"after {target}")
            )
            self.updated_at = now
            return
        self._move(target, action, actor, now)

    def _move(
        self, target: ReturnStatus, action: str, actor: Actor, now: datetime, note: str = ""
    ) -> None:
        check_transition(self.status, target)
        self.history.append(HistoryEntry(now, str(actor), action, self.status, target, note))
        self.status = target
        self.updated_at = now

    def _record(self, kind: type[Event], now: datetime, **data: Any) -> None:
        self.events.append(kind(self.seller_id, self.id, now, data))
