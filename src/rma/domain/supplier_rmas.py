"""Supplier RMAs (vendor return authorizations): asking a supplier to take a return back.

A return routed to a supplier opens one: the supplier accepts (with its own RMA number and
return address) or refuses (with a reason); unanswered, it is reminded, then escalated to the
seller. Once the goods reach it, the supplier records what it did (credit to the seller,
replacement to the customer, refused), and the seller records the credit it received::

    requested --remind--> requested --escalate--> escalated
    requested | escalated --accept--> accepted --resolve--> resolved
    requested | escalated --refuse--> refused
    requested | escalated --withdraw--> withdrawn  (the seller decided without the supplier)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from rma.domain import events
from rma.domain.addresses import Address
from rma.domain.errors import IllegalTransition, InvalidInput
from rma.domain.events import Event
from rma.domain.partners import Remedy
from rma.domain.rma_numbers import validate_custom


class SupplierRmaStatus(StrEnum):
    REQUESTED = "requested"  # the supplier was asked and has not answered
    ESCALATED = "escalated"  # no answer in time: the seller was told
    ACCEPTED = "accepted"  # the supplier takes it back: its RMA number goes on the label
    REFUSED = "refused"  # the supplier said no: back to the seller's desk
    RESOLVED = "resolved"  # the supplier recorded what it did with the goods
    WITHDRAWN = "withdrawn"  # the seller decided before the supplier answered


class SupplierOutcome(StrEnum):
    CREDIT = "credit"  # a credit memo to the seller
    REPLACEMENT = "replacement"  # a replacement shipped to the customer
    REFUSED = "refused"  # nothing: the goods did not qualify


_OPEN = frozenset({SupplierRmaStatus.REQUESTED, SupplierRmaStatus.ESCALATED})
_S = SupplierRmaStatus
_MOVES: dict[SupplierRmaStatus, frozenset[SupplierRmaStatus]] = {
    _S.REQUESTED: frozenset({_S.ESCALATED, _S.ACCEPTED, _S.REFUSED, _S.WITHDRAWN}),
    _S.ESCALATED: frozenset({_S.ACCEPTED, _S.REFUSED, _S.WITHDRAWN}),
    _S.ACCEPTED: frozenset({_S.RESOLVED}),
    _S.REFUSED: frozenset(),
    _S.RESOLVED: frozenset(),
    _S.WITHDRAWN: frozenset(),
}


@dataclass(eq=False)
class SupplierRma:
    """One return's request to its supplier, and the credit the seller expects back."""

    id: str
    seller_id: str
    return_id: str
    partner_id: str
    status: SupplierRmaStatus
    currency: str
    remedy: Remedy
    expected_credit: int  # minor units the seller expects as a credit memo
    requested_at: datetime
    updated_at: datetime
    supplier_rma_number: str | None = None
    supplier_address: Address | None = None
    refusal_reason: str = ""
    outcome: SupplierOutcome | None = None
    outcome_note: str = ""
    credit_memo: str = ""  # the supplier's credit memo number
    received_credit: int = 0  # minor units of credit the seller recorded as received
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    answered_at: datetime | None = None
    resolved_at: datetime | None = None
    version: int = 1
    events: list[Event] = field(default_factory=list)

    @property
    def owed(self) -> int:
        """Credit the supplier owes: none once refused, withdrawn or replaced."""
        if self.status in {SupplierRmaStatus.REFUSED, SupplierRmaStatus.WITHDRAWN}:
            return 0
        if self.outcome in {SupplierOutcome.REFUSED, SupplierOutcome.REPLACEMENT}:
            return 0
        return self.expected_credit

    @property
    def open_balance(self) -> int:
        """Credit still to come from the supplier."""
        return max(self.owed - self.received_credit, 0)

    @property
    def waiting_for_supplier(self) -> bool:
        return self.status in _OPEN

    def remind(self, now: datetime, contact_email: str) -> None:
        """No answer yet: ask the supplier at ``contact_email`` again (still ``requested``)."""
        self._check(SupplierRmaStatus.ESCALATED)  # only an unanswered request is reminded
        self.reminded_at = now
        self.updated_at = now
        self._record(events.SupplierRmaReminded, now, contact_email=contact_email)

    def escalate(self, now: datetime) -> None:
        """Still no answer: the seller is told and may decide."""
        self._move(SupplierRmaStatus.ESCALATED, now)
        self.escalated_at = now
        self._record(events.SupplierRmaEscalated, now)

    def accept(self, rma_number: str, address: Address, now: datetime, by: str) -> None:
        """The supplier takes the goods back under its own RMA number, at ``address``."""
        number = validate_custom(rma_number)
        self._move(SupplierRmaStatus.ACCEPTED, now)
        self.supplier_rma_number = number
        self.supplier_address = address
        self.answered_at = now
        self._record(events.SupplierRmaAccepted, now, supplier_rma_number=number, by=by)

    def refuse(self, reason: str, now: datetime, by: str) -> None:
        """The supplier will not take it back: the seller decides."""
        if not reason.strip():
            raise InvalidInput("say why", code="reason_required", details=[{"field": "reason"}])
        self._move(SupplierRmaStatus.REFUSED, now)
        self.refusal_reason = reason.strip()
        self.answered_at = now
        self._record(events.SupplierRmaRefused, now, reason=self.refusal_reason, by=by)

    def withdraw(self, now: datetime, why: str) -> None:
        """The seller decided the return without waiting for the supplier's answer."""
        self._move(SupplierRmaStatus.WITHDRAWN, now)
        self.answered_at = now
        self._record(events.SupplierRmaWithdrawn, now, why=why)

    def resolve(
        self, outcome: SupplierOutcome, now: datetime, *, credit_memo: str = "", note: str = ""
    ) -> None:
        """What the supplier did once the goods reached it."""
        self._move(SupplierRmaStatus.RESOLVED, now)
        self.outcome = outcome
        self.credit_memo = credit_memo.strip()
        self.outcome_note = note.strip()
        self.resolved_at = now
        self._record(
            events.SupplierRmaResolved,
            now,
            outcome=str(outcome),
            credit_memo=self.credit_memo,
            open_balance=self.open_balance,
        )

    def record_credit(self, amount: int, now: datetime, *, memo: str = "") -> None:
        """The seller received ``amount`` minor units of credit from the supplier."""
        if amount <= 0:
            raise InvalidInput("a credit is more than 0", details=[{"field": "amount"}])
        if self.status is not SupplierRmaStatus.ACCEPTED and (
            self.status is not SupplierRmaStatus.RESOLVED
        ):
            raise IllegalTransition(
                f"a supplier RMA that is {self.status} takes no credit",
                details=[{"status": str(self.status), "requested": "credit"}],
            )
        self.received_credit += amount
        if memo.strip():
            self.credit_memo = memo.strip()
        self.updated_at = now
        self._record(
            events.SupplierCreditRecorded,
            now,
            amount=amount,
            received_credit=self.received_credit,
            open_balance=self.open_balance,
        )

    def _check(self, target: SupplierRmaStatus) -> None:
        if target not in _MOVES[self.status]:
            raise IllegalTransition(
                f"a supplier RMA that is {self.status} cannot become {target}",
                code="supplier_rma_answered"
                if target
                in {
                    SupplierRmaStatus.ACCEPTED,
                    SupplierRmaStatus.REFUSED,
                    SupplierRmaStatus.WITHDRAWN,
                }
                else "illegal_transition",
                details=[{"status": str(self.status), "requested": str(target)}],
            )

    def _move(self, target: SupplierRmaStatus, now: datetime) -> None:
        self._check(target)
        self.status = target
        self.updated_at = now

    def _record(self, kind: type[Event], now: datetime, **data: Any) -> None:
        data = {"supplier_rma_id": self.id, "partner_id": self.partner_id, **data}
        self.events.append(kind(self.seller_id, self.return_id, now, data))
