"""What the physical flow asks of storage: carrier scans, receipts, flags, photos, stock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rma.domain.flags import Flag, FlagCode
from rma.domain.inventory import Movement
from rma.domain.receiving import PackageReceipt, ReceiptStatus, Scan
from rma.domain.returns import Return
from rma.domain.tracking import CarrierSource, TrackingEvent


@dataclass(frozen=True)
class Photo:
    """A stored inspection photo of one item."""

    id: str
    seller_id: str
    return_id: str
    item_id: str
    file_name: str
    content_type: str
    size: int
    created_at: datetime


@dataclass(frozen=True)
class MatchedItem:
    id: str
    sku: str
    authorized_quantity: int
    received_quantity: int


@dataclass(frozen=True)
class ScanMatch:
    """What a scan answers at once: the return and its items, read without the aggregate."""

    id: str
    rma_number: str | None
    status: str
    order_number: str
    items: list[MatchedItem]


@dataclass(frozen=True)
class SkuReconciliation:
    """Units of one SKU: expected back, received, and where the received ones went."""

    sku: str
    expected: int
    received: int
    restocked: int
    written_off: int
    buckets: dict[str, int]


class CarrierSourceRepository(Protocol):
    def add(self, source: CarrierSource) -> None: ...
    def get(self, source_id: str) -> CarrierSource | None: ...
    def all(self, seller_id: str) -> list[CarrierSource]: ...


class TrackingEventRepository(Protocol):
    def add_new(
        self, source: CarrierSource, events: Sequence[TrackingEvent], received_at: datetime
    ) -> list[TrackingEvent]:
        """Store the events not stored before; answer those (duplicates change nothing)."""
        ...

    def for_tracking_number(self, seller_id: str, number: str) -> list[TrackingEvent]: ...


class PhysicalReturnQueries(Protocol):
    def by_tracking_numbers(self, seller_id: str, numbers: Iterable[str]) -> list[Return]: ...
    def match_scan(self, seller_id: str, scan: Scan) -> list[Return]:
        """The returns a scan names, as whole aggregates (to receive into)."""
        ...

    def answer_scan(self, seller_id: str, scan: Scan) -> list[ScanMatch]:
        """The returns a scan names, read in one round trip (to answer a scan)."""
        ...

    def idle_in_transit(self, moved_before: datetime, limit: int) -> list[Return]: ...
    def seller_of(self, return_id: str) -> str | None:
        """The seller of a return known by a signed link (ids are unique across sellers)."""
        ...


class ReceiptRepository(Protocol):
    def add(self, receipt: PackageReceipt) -> None: ...
    def get(self, seller_id: str, receipt_id: str) -> PackageReceipt | None: ...
    def facility_of(self, seller_id: str, return_id: str) -> str | None: ...
    def page(
        self, seller_id: str, status: ReceiptStatus | None, *, after: str | None, limit: int
    ) -> list[PackageReceipt]: ...


class FlagRepository(Protocol):
    def add_all(self, flags: Iterable[Flag]) -> None: ...
    def for_return(self, seller_id: str, return_id: str) -> list[Flag]: ...
    def by_code(
        self, seller_id: str, code: FlagCode | None, limit: int, *, return_id: str | None = None
    ) -> list[Flag]: ...


class PhotoRepository(Protocol):
    def add(self, photo: Photo) -> None: ...
    def for_return(self, seller_id: str, return_id: str) -> list[Photo]: ...
    def get(self, seller_id: str, photo_id: str) -> Photo | None: ...


class InventoryRepository(Protocol):
    def add_all(self, movements: Iterable[Movement]) -> None: ...
    def movements(
        self,
        seller_id: str,
        sku: str | None,
        location: str | None,
        limit: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Movement]: ...
    def reconciliation(self, seller_id: str, sku: str | None) -> list[SkuReconciliation]: ...


class FileStore(Protocol):
    """Where uploaded files (prepaid labels, photos) are kept."""

    def save(self, key: str, data: bytes) -> None: ...
    def read(self, key: str) -> bytes: ...
    def image_type(self, data: bytes) -> str | None:
        """The MIME type of a real image in ``data``, or None if it is not one."""
        ...
