"""Authorizing a return, decided from plain values.

``decide_authorization`` is the one rule for issuing an RMA: ``Return.authorize`` applies its
answer to the aggregate, and bulk authorization writes the same answer for thousands of rows
at once without loading an aggregate, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Protocol

from rma.domain import events
from rma.domain.addresses import Address
from rma.domain.errors import InvalidInput
from rma.domain.sellers import LabelDefault
from rma.domain.statuses import ReturnStatus, check_transition

if TYPE_CHECKING:
    from rma.domain.returns import Actor


class AuthorizableItem(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def requested_quantity(self) -> int: ...


class Authorizable(Protocol):
    """What deciding an authorization reads of a return: the aggregate or a plain copy."""

    @property
    def id(self) -> str: ...
    @property
    def seller_id(self) -> str: ...
    @property
    def status(self) -> ReturnStatus: ...
    @property
    def label_type(self) -> LabelDefault | None: ...
    @property
    def items(self) -> Sequence[AuthorizableItem]: ...


@dataclass(frozen=True, slots=True)
class AuthorizationTerms:
    """What a return is authorized with."""

    rma_number: str
    deadline: datetime
    return_address_id: str | None = None
    return_address: Address | None = None  # as it will be printed
    quantities: Mapping[str, int] | None = None  # units per item id; all requested if absent


@dataclass(frozen=True, slots=True)
class Authorization:
    """Everything authorizing one return changes: its row, its items, its history, its event."""

    status: ClassVar[ReturnStatus] = ReturnStatus.AUTHORIZED
    action: ClassVar[str] = "authorize"

    return_id: str
    seller_id: str
    from_status: ReturnStatus
    terms: AuthorizationTerms
    label_type: LabelDefault  # unpaid (generated) until a prepaid label is given
    quantities: Mapping[str, int]  # units authorized, for every item id
    actor: str
    at: datetime

    @property
    def note(self) -> str:
        """The history entry's note: the number issued."""
        return f"RMA {self.terms.rma_number}"

    def event(self) -> events.ReturnAuthorized:
        """The event this authorization records."""
        data = {"rma_number": self.terms.rma_number, "deadline": self.terms.deadline.isoformat()}
        return events.ReturnAuthorized(self.seller_id, self.return_id, self.at, data)


def decide_authorization(
    ret: Authorizable, terms: AuthorizationTerms, actor: Actor, now: datetime
) -> Authorization:
    """The authorization of ``ret`` on ``terms``, or the error that refuses it."""
    check_transition(ret.status, ReturnStatus.AUTHORIZED)
    asked = terms.quantities or {}
    unknown = sorted(set(asked) - {item.id for item in ret.items})
    if unknown:
        raise InvalidInput(
            f"return {ret.id} has no item {unknown[0]!r}",
            code="unknown_item",
            details=[{"field": "quantities", "item_id": item_id} for item_id in unknown],
        )
    wanted = {item.id: asked.get(item.id, item.requested_quantity) for item in ret.items}
    for item in ret.items:
        if not 0 <= wanted[item.id] <= item.requested_quantity:
            raise InvalidInput(
                f"item {item.id}: authorize between 0 and {item.requested_quantity} units",
                details=[{"field": "quantities", "item_id": item.id}],
            )
    return Authorization(
        return_id=ret.id,
        seller_id=ret.seller_id,
        from_status=ret.status,
        terms=terms,
        label_type=ret.label_type or LabelDefault.UNPAID,
        quantities=wanted,
        actor=str(actor),
        at=now,
    )
