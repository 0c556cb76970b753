"""Returns: the request, the return as read, and the bodies of each step."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints
from typing_extensions import TypedDict

from rma.api.schemas.base import (
    Code,
    Count,
    In,
    MinorUnits,
    Note,
    Quantity,
    held,
)
from rma.api.schemas.setup import AddressIn, AddressPublic, ReturnAddressCreate
from rma.domain.returns import Condition, DenyReason, Disposition, Resolution, Return
from rma.domain.statuses import ReturnStatus
from rma.services.review import BulkOutcome

# -- returns --------------------------------------------------------------------------------


class ReturnItemIn(In):
    line_id: Code
    quantity: Quantity
    reason_code: Code
    comment: Note = ""
    exchange_sku: Code | None = Field(
        default=None, description="For an exchange: the variant (another SKU) to send instead."
    )


class ReturnCreate(In):
    order_number: Code
    items: Annotated[list[ReturnItemIn], Field(min_length=1, max_length=500)]
    resolution: Resolution = Resolution.REFUND
    ship_from: AddressIn | None = Field(
        default=None,
        description="The customer's address, when known: routing rules by country read it.",
    )


class ViolationPublic(BaseModel):
    code: str
    line_id: str
    message: str


class ReturnItemPublic(BaseModel):
    id: str
    line_id: str
    sku: str
    unit_price: int
    reason_code: str
    comment: str
    requested_quantity: int
    authorized_quantity: int
    received_quantity: int
    accepted_quantity: int
    rejected_quantity: int
    condition: Condition | None
    disposition: Disposition | None
    inspection_note: str
    resolution: Resolution | None
    shipment_id: str | None = Field(default=None, description="The shipment the units came in.")
    seller_return_item_id: str | None = Field(
        default=None, description="The caller's id for the unit (Amazon-compatible API)."
    )
    exchange_sku: str | None = Field(
        default=None, description="The variant the customer asked for, for an exchange."
    )


class HistoryEntryPublic(BaseModel):
    at: datetime
    actor: str
    action: str
    from_status: ReturnStatus | None
    to_status: ReturnStatus
    note: str


class ReturnPublic(BaseModel):
    id: str
    rma_number: str | None
    status: ReturnStatus
    order_id: str
    order_number: str
    customer_email: str
    currency: str
    resolution: Resolution
    in_policy: bool
    violations: list[ViolationPublic]
    window_closes_at: datetime | None
    deadline: datetime | None
    return_address_id: str | None
    return_address: AddressPublic | None
    deny_reason: DenyReason | None
    customer_note: str
    carrier: str | None
    tracking_number: str | None
    tracking_status: str | None
    delivered_at: datetime | None
    lost_flagged_at: datetime | None
    label_type: str | None
    label_cost: int | None
    created_at: datetime
    updated_at: datetime
    version: int
    items: list[ReturnItemPublic]
    history: list[HistoryEntryPublic]
    routing: RoutingPublic | None = Field(
        default=None, description="Where the routing rules sent it, and why (docs/partners.md)."
    )
    group_id: str | None = Field(
        default=None, description="Shared by the returns one request was split into."
    )

    @classmethod
    def of(cls, ret: Return) -> ReturnPublic:
        address, routing = ret.return_address, ret.routing
        return cls.model_validate(
            {
                **held(ret, _RETURN_FIELDS),
                "items": [held(item, _ITEM_FIELDS) for item in ret.items],
                "history": [held(entry, _ENTRY_FIELDS) for entry in ret.history],
                "return_address": AddressPublic.of(address) if address else None,
                "routing": RoutingPublic.of(routing) if routing else None,
            }
        )


_NESTED = {"items", "history", "return_address", "routing"}
_RETURN_FIELDS = frozenset(ReturnPublic.model_fields) - _NESTED
_ITEM_FIELDS = frozenset(ReturnItemPublic.model_fields)
_ENTRY_FIELDS = frozenset(HistoryEntryPublic.model_fields)


class DestinationPublic(BaseModel):
    kind: str = Field(description="address, facility or partner")
    ref: str
    name: str


class RoutingPublic(BaseModel):
    destination: DestinationPublic | None = Field(
        description="None: the seller's default return address."
    )
    partner_kind: str | None = Field(description="supplier or 3pl, when routed to a partner.")
    rule_id: str | None
    rule_name: str
    explanation: str = Field(description="The rule that matched, in words.")
    legs: int = Field(description="Return authorizations the request was split into.")
    supplier_rma_number: str | None = None

    @classmethod
    def of(cls, routing: dict[str, Any]) -> RoutingPublic:
        destination = routing.get("destination")
        return cls(
            destination=DestinationPublic(**destination) if destination else None,
            partner_kind=routing.get("partner_kind"),
            rule_id=routing.get("rule_id"),
            rule_name=routing.get("rule_name") or "",
            explanation=routing.get("explanation") or "",
            legs=int(routing.get("legs") or 1),
            supplier_rma_number=routing.get("supplier_rma_number"),
        )


class InvalidItemPublic(BaseModel):
    line_id: str
    quantity: int
    returnable_quantity: int
    violations: list[ViolationPublic]


class ReturnCreated(ReturnPublic):
    invalid_items: list[InvalidItemPublic] = Field(
        description="Requested items that cannot be returned, each with its reasons."
    )
    split: list[ReturnPublic] = Field(
        default_factory=list,
        description="The other return authorizations of this request, one per destination.",
    )


class ReturnsPublic(BaseModel):
    data: list[ReturnPublic]
    next_cursor: str | None


class ReturnCountsPublic(BaseModel):
    counts: dict[str, int] = Field(description="Returns per status; every status is listed.")
    total: int

    @classmethod
    def of(cls, counts: dict[str, int]) -> ReturnCountsPublic:
        every = {str(status): counts.get(str(status), 0) for status in ReturnStatus}
        return cls(counts=every, total=sum(every.values()))


class BulkAuthorizeIn(In):
    ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
        Field(min_length=1, max_length=20_000),
    ]


# A bulk call answers up to 20,000 results: they are plain dicts (typed for validation and
# the OpenAPI document), since a model per result cost more than the rest of the response
# and kept the collector busy rescanning them.


class BulkErrorPublic(TypedDict):
    code: str
    message: str


class BulkResultPublic(TypedDict):
    """One id's result: its status and number when ``ok``, else the error."""

    id: str
    ok: bool
    status: ReturnStatus | None
    rma_number: str | None
    error: BulkErrorPublic | None


class BulkAuthorizePublic(BaseModel):
    authorized: int
    failed: int
    results: list[BulkResultPublic]

    @classmethod
    def of(cls, outcomes: list[BulkOutcome]) -> BulkAuthorizePublic:
        results: list[BulkResultPublic] = [
            {"id": o.id, "ok": True, "status": o.status, "rma_number": o.rma_number, "error": None}
            if o.error is None
            else {
                "id": o.id,
                "ok": False,
                "status": None,
                "rma_number": None,
                "error": {"code": o.error.code, "message": o.error.message},
            }
            for o in outcomes
        ]
        authorized = sum(o.error is None for o in outcomes)
        # Made from the service's outcomes, not from a client's input: nothing to validate.
        return cls.model_construct(
            authorized=authorized, failed=len(outcomes) - authorized, results=results
        )


class AuthorizeIn(In):
    rma_number: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None,
        description="A custom RMA number (1-32 of A-Z, 0-9, '-'); generated if absent.",
    )
    quantities: Annotated[dict[str, Count], Field(max_length=500)] = Field(
        default_factory=dict, description="Units to authorize per item id; all requested if absent."
    )
    return_address_id: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="A saved return address; the default one if absent."
    )
    return_address: ReturnAddressCreate | None = Field(
        default=None, description="A new return address, saved and used for this return."
    )


class BulkDenyIn(In):
    ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
        Field(min_length=1, max_length=1000),
    ]
    reason: DenyReason | None = Field(
        None, description="Required: without it nothing is denied (`deny_reason_required`)"
    )
    note: Note = ""


class BulkCloseIn(In):
    ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
        Field(min_length=1, max_length=1000),
    ]
    note: Note = ""


class BulkDecisionPublic(BaseModel):
    done: int
    failed: int
    results: list[BulkResultPublic]

    @classmethod
    def of(cls, outcomes: list[BulkOutcome]) -> BulkDecisionPublic:
        listed = BulkAuthorizePublic.of(outcomes)
        return cls.model_construct(
            done=listed.authorized, failed=listed.failed, results=listed.results
        )


class DenyIn(In):
    reason: DenyReason
    note: Note = ""


class NoteIn(In):
    note: Note = ""


class ReceiptIn(In):
    item_id: Code
    quantity: Count


class ReceiveIn(In):
    items: Annotated[list[ReceiptIn], Field(min_length=1, max_length=500)]


class InspectionIn(In):
    item_id: Code
    accepted: Count
    rejected: Count = 0
    condition: Condition
    disposition: Disposition
    note: Note = ""


class InspectIn(In):
    items: Annotated[list[InspectionIn], Field(min_length=1, max_length=500)]


class ResolutionIn(In):
    item_id: Code
    resolution: Resolution
    exchange_sku: Code | None = Field(
        default=None, description="For an exchange: the variant to send instead."
    )
    exchange_unit_price: MinorUnits | None = Field(
        default=None, description="Its price; the returned item's price if absent."
    )


class ResolveIn(In):
    items: Annotated[list[ResolutionIn], Field(max_length=500)] = []
    refund_amount: MinorUnits | None = Field(
        default=None, description="A partial refund, at most the computed amount."
    )
