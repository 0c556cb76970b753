"""The physical flow: carrier sources and scans, tracking, receipts, flags, photos, stock."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from rma.api.schemas.base import Code, Count, In, Name, Note, held
from rma.api.schemas.returns import InspectionIn
from rma.api.schemas.setup import AddressIn
from rma.domain.flags import Flag, FlagCode
from rma.domain.inventory import Bucket, Movement
from rma.domain.receiving import PackageReceipt, ReceiptStatus
from rma.domain.returns import Return
from rma.domain.tracking import CarrierSource, SourceKind, TrackingEvent, TrackingStatus
from rma.services.physical_ports import Photo, ScanMatch, SkuReconciliation

Secret = Annotated[str, StringConstraints(min_length=16, max_length=200)]
ScanText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TrackingNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100, pattern=r"^\S+$")
]
Carrier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
FacilityCode = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class CarrierSourceCreate(In):
    kind: SourceKind
    name: Name
    secret: Secret | None = Field(
        default=None, description="The webhook secret set at the carrier; generated if absent."
    )


class CarrierSourcePublic(BaseModel):
    id: str
    kind: SourceKind
    name: str
    created_at: datetime
    webhook_url: str

    @classmethod
    def of(cls, source: CarrierSource, base_url: str) -> CarrierSourcePublic:
        url = f"{base_url.rstrip('/')}/v1/carrier-events?source={source.id}"
        return cls(
            id=source.id,
            kind=source.kind,
            name=source.name,
            created_at=source.created_at,
            webhook_url=url,
        )


class CarrierSourceCreated(CarrierSourcePublic):
    secret: str = Field(description="Shown once: the secret that signs this source's events.")


class CarrierSourcesPublic(BaseModel):
    data: list[CarrierSourcePublic]


class CarrierEventsAccepted(BaseModel):
    received: int = Field(description="Scans in the delivery.")
    new: int = Field(description="Scans stored for the first time.")
    duplicates: int = Field(description="Scans already known: nothing changed.")
    matched_returns: int


class TrackingPut(In):
    carrier: Carrier
    tracking_number: TrackingNumber
    ship_from: AddressIn | None = Field(default=None, description="The sender's address.")


class TrackingEventPublic(BaseModel):
    event_id: str
    status: TrackingStatus
    occurred_at: datetime
    carrier: str
    message: str
    location: str

    @classmethod
    def of(cls, event: TrackingEvent) -> TrackingEventPublic:
        return cls(**{n: getattr(event, n) for n in cls.model_fields})


class TrackingPublic(BaseModel):
    carrier: str | None
    tracking_number: str | None
    status: str | None
    status_at: datetime | None
    delivered_at: datetime | None
    lost_flagged_at: datetime | None
    events: list[TrackingEventPublic]

    @classmethod
    def of(cls, ret: Return, events: list[TrackingEvent]) -> TrackingPublic:
        return cls(
            carrier=ret.carrier,
            tracking_number=ret.tracking_number,
            status=ret.tracking_status,
            status_at=ret.tracking_at,
            delivered_at=ret.delivered_at,
            lost_flagged_at=ret.lost_flagged_at,
            events=[TrackingEventPublic.of(e) for e in events],
        )


class LabelPublic(BaseModel):
    return_id: str
    label_type: str | None
    label_cost: int | None
    currency: str


class LinksPublic(BaseModel):
    page_url: str = Field(description="The RMA page, reachable by whoever holds this link.")
    label_url: str


class CountIn(In):
    item_id: Code
    quantity: Count


class ReceiptCreate(In):
    scan: ScanText = Field(description="What was scanned: RMA number, tracking number or slip.")
    facility_code: FacilityCode | None = None
    items: Annotated[list[CountIn], Field(max_length=500)] | None = Field(
        default=None, description="Units counted per item; what is outstanding if absent."
    )
    notes: Note = ""


class ReceiptMatch(In):
    return_ref: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    items: Annotated[list[CountIn], Field(max_length=500)] | None = None
    notes: Note = ""


class MatchedItemPublic(BaseModel):
    id: str
    sku: str
    authorized_quantity: int
    received_quantity: int


class MatchedReturnPublic(BaseModel):
    id: str
    rma_number: str | None
    status: str
    order_number: str
    items: list[MatchedItemPublic]

    @classmethod
    def of(cls, ret: Return | ScanMatch) -> MatchedReturnPublic:
        return cls(
            id=ret.id,
            rma_number=ret.rma_number,
            status=str(ret.status),
            order_number=ret.order_number,
            items=[
                MatchedItemPublic(
                    id=i.id,
                    sku=i.sku,
                    authorized_quantity=i.authorized_quantity,
                    received_quantity=i.received_quantity,
                )
                for i in ret.items
            ],
        )


class FlagPublic(BaseModel):
    return_id: str
    item_id: str | None
    code: FlagCode
    message: str
    created_at: datetime

    @classmethod
    def of(cls, flag: Flag) -> FlagPublic:
        return cls(**{n: getattr(flag, n) for n in cls.model_fields})


class ReceiptPublic(BaseModel):
    id: str
    scan: str
    status: ReceiptStatus
    facility_code: str | None
    return_id: str | None
    lines: list[dict[str, object]]
    flags: list[str]
    notes: str
    created_at: datetime
    matched_at: datetime | None


class ReceiptAnswer(ReceiptPublic):
    matched: MatchedReturnPublic | None
    raised: list[FlagPublic]


def receipt_public(receipt: PackageReceipt) -> ReceiptPublic:
    return ReceiptPublic.model_validate(held(receipt, _RECEIPT_FIELDS))


_RECEIPT_FIELDS = frozenset(ReceiptPublic.model_fields)


class ReceiptsPublic(BaseModel):
    data: list[ReceiptPublic]
    next_cursor: str | None


class ScanMatchPublic(BaseModel):
    matched: MatchedReturnPublic | None


class InspectItemsIn(In):
    items: Annotated[list[InspectionIn], Field(min_length=1, max_length=500)]
    seen_skus: Annotated[dict[str, Code], Field(max_length=500)] = Field(
        default_factory=dict, description="Item id -> the SKU found in the box, when scanned."
    )
    location: FacilityCode | None = Field(
        default=None, description="Where the stock goes; the receiving facility if absent."
    )


class PhotoPublic(BaseModel):
    id: str
    item_id: str
    content_type: str
    size: int
    created_at: datetime

    @classmethod
    def of(cls, photo: Photo) -> PhotoPublic:
        return cls(**{n: getattr(photo, n) for n in cls.model_fields})


class FindingsPublic(BaseModel):
    flags: list[FlagPublic]
    photos: list[PhotoPublic]


class FlagsPublic(BaseModel):
    data: list[FlagPublic]


class MovementPublic(BaseModel):
    sku: str
    location: str
    bucket: Bucket
    quantity: int
    return_id: str
    item_id: str
    created_at: datetime

    @classmethod
    def of(cls, movement: Movement) -> MovementPublic:
        return cls(**{n: getattr(movement, n) for n in cls.model_fields})


class MovementsPublic(BaseModel):
    data: list[MovementPublic]


class ReconciliationPublic(BaseModel):
    sku: str
    expected: int
    received: int
    restocked: int
    written_off: int
    buckets: dict[str, int]

    @classmethod
    def of(cls, row: SkuReconciliation) -> ReconciliationPublic:
        return cls(**row.__dict__)


class ReconciliationsPublic(BaseModel):
    data: list[ReconciliationPublic]
