"""SQL repositories of the physical flow; every query of a seller's rows filters by seller."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, lazyload

from rma.adapters import orm, session_loads
from rma.adapters.driver_rows import DriverInsert, DriverQuery
from rma.adapters.orm_physical import (
    carrier_sources,
    inspection_photos,
    inventory_movements,
    package_receipts,
    return_flags,
    tracking_events,
)
from rma.domain.flags import Flag, FlagCode
from rma.domain.inventory import WRITTEN_OFF, Bucket, Movement
from rma.domain.receiving import PackageReceipt, ReceiptStatus, Scan
from rma.domain.returns import HistoryEntry, Return
from rma.domain.statuses import ReturnStatus
from rma.domain.tracking import CarrierSource, TrackingEvent, TrackingStatus
from rma.services.physical_ports import MatchedItem, Photo, ScanMatch, SkuReconciliation

# Returns whose authorized units are expected back (or already came back).
_EXPECTING = [
    ReturnStatus.AUTHORIZED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.PARTIALLY_RECEIVED,
    ReturnStatus.RECEIVED,
    ReturnStatus.INSPECTED,
    ReturnStatus.RESOLVED,
    ReturnStatus.CLOSED,
]


class SqlCarrierSources:
    def __init__(self, session: Session):
        self.session = session

    def add(self, source: CarrierSource) -> None:
        self.session.add(source)

    def get(self, source_id: str) -> CarrierSource | None:
        return self.session.get(CarrierSource, source_id)

    def all(self, seller_id: str) -> list[CarrierSource]:
        c = carrier_sources.c
        query = select(CarrierSource).where(c.seller_id == seller_id).order_by(c.id)
        return list(self.session.scalars(query))


class SqlTrackingEvents:
    def __init__(self, session: Session):
        self.session = session

    def add_new(
        self, source: CarrierSource, events: Sequence[TrackingEvent], received_at: datetime
    ) -> list[TrackingEvent]:
        if not events:
            return []
        unique = {e.event_id: e for e in events}
        rows = [
            {
                "seller_id": source.seller_id,
                "source_id": source.id,
                "event_id": e.event_id,
                "tracking_number": e.tracking_number,
                "carrier": e.carrier,
                "status": str(e.status),
                "occurred_at": e.occurred_at,
                "received_at": received_at,
                "message": e.message,
                "location": e.location,
            }
            for e in unique.values()
        ]
        dialect = self.session.get_bind().dialect.name
        build = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            build(tracking_events)
            .on_conflict_do_nothing(
                index_elements=["seller_id", "source_id", "event_id", "occurred_at"]
            )
            .returning(tracking_events.c.event_id)
        )
        stored = set(self.session.scalars(statement, rows))
        return [e for e in unique.values() if e.event_id in stored]

    def for_tracking_number(self, seller_id: str, number: str) -> list[TrackingEvent]:
        c = tracking_events.c
        rows = self.session.execute(
            select(
                c.event_id,
                c.tracking_number,
                c.carrier,
                c.status,
                c.occurred_at,
                c.message,
                c.location,
            )
            .where(c.seller_id == seller_id, c.tracking_number == number)
            .order_by(c.occurred_at, c.pk)
        )
        return [
            TrackingEvent(r[0], r[1], r[2], TrackingStatus(r[3]), r[4], r[5], r[6]) for r in rows
        ]


class SqlPhysicalReturns:
    def __init__(self, session: Session):
        self.session = session

    def by_tracking_numbers(self, seller_id: str, numbers: Iterable[str]) -> list[Return]:
        c = orm.returns.c
        # Scans never touch the items: they load only if asked. The history is read in one
        # query for all, since a first scan appends to it.
        items = getattr(Return, "items")  # noqa: B009 (mapped at run time)
        query = (
            select(Return)
            .where(c.seller_id == seller_id, c.tracking_number.in_(list(numbers)))
            .options(lazyload(items))
        )
        return list(self.session.scalars(query))

    def match_scan(self, seller_id: str, scan: Scan) -> list[Return]:
        # Every box scanned at the dock: read by the driver, tracked as loaded.
        params: dict[str, str | None]
        if scan.return_id is not None:
            query, params = _SCANNED_SLIP, {"seller_id": seller_id, "id": scan.return_id}
        else:
            query = _SCANNED_NUMBER
            params = {
                "seller_id": seller_id,
                "rma_number": scan.rma_number,
                "tracking_number": scan.tracking_number,
            }
        return session_loads.returns_found(self.session, query, params)

    def answer_scan(self, seller_id: str, scan: Scan) -> list[ScanMatch]:
        r, i = orm.returns.c, orm.return_items.c
        found = (
            select(r.id, r.rma_number, r.status, r.order_number)
            .where(r.seller_id == seller_id, _names(scan))
            .limit(20)
            .subquery()
        )
        query = (
            select(found, i.id, i.sku, i.authorized_quantity, i.received_quantity)
            .join(
                orm.return_items,
                (i.seller_id == seller_id) & (i.return_id == found.c.id),
                isouter=True,
            )
            .order_by(found.c.id, i.id)
        )
        matches: dict[str, ScanMatch] = {}
        for row in self.session.execute(query):
            match = matches.setdefault(row[0], ScanMatch(row[0], row[1], str(row[2]), row[3], []))
            if row[4] is not None:
                match.items.append(MatchedItem(row[4], row[5], row[6], row[7]))
        return list(matches.values())

    def seller_of(self, return_id: str) -> str | None:
        c = orm.returns.c
        return self.session.scalars(select(c.seller_id).where(c.id == return_id)).first()

    def idle_in_transit(self, moved_before: datetime, limit: int) -> list[Return]:
        c = orm.returns.c
        query = (
            select(Return)
            .where(
                c.status == ReturnStatus.IN_TRANSIT,
                c.lost_flagged_at.is_(None),
                func.coalesce(c.tracking_at, c.updated_at) < moved_before,
            )
            .order_by(c.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))


def _names(scan: Scan) -> Any:
    """The condition a scanned code puts on returns: its slip code, RMA or tracking number."""
    c = orm.returns.c
    if scan.return_id is not None:
        return c.id == scan.return_id
    return or_(c.rma_number == scan.rma_number, c.tracking_number == scan.tracking_number)


_INSERT_RECEIPT = DriverInsert(package_receipts)
_INSERT_FLAGS = DriverInsert(return_flags)
_INSERT_MOVEMENTS = DriverInsert(inventory_movements)
_p = package_receipts.c
_FACILITY_OF = DriverQuery(
    select(_p.facility_code)
    .where(
        _p.seller_id == bindparam("seller_id"),
        _p.return_id == bindparam("return_id"),
        _p.facility_code.is_not(None),
    )
    .order_by(_p.id.desc())
    .limit(1)
)
_SCANNED_SLIP = DriverQuery(
    select(orm.returns)
    .where(orm.returns.c.seller_id == bindparam("seller_id"), orm.returns.c.id == bindparam("id"))
    .limit(20)
)
_SCANNED_NUMBER = DriverQuery(
    select(orm.returns)
    .where(
        orm.returns.c.seller_id == bindparam("seller_id"),
        or_(
            orm.returns.c.rma_number == bindparam("rma_number"),
            orm.returns.c.tracking_number == bindparam("tracking_number"),
        ),
    )
    .limit(20)
)


class SqlReceipts:
    def __init__(self, session: Session):
        self.session = session

    def add(self, receipt: PackageReceipt) -> None:
        """Insert the receipt by the driver with the transaction's next round trip (the
        commit's, for a box scan), then track it as loaded (as a new return).

        The ORM's insert of this one row was 8% of a box scan; later changes to it are
        ordinary UPDATEs.
        """
        if any(not isinstance(obj, HistoryEntry) for obj in self.session.new):
            # Whatever the receipt may refer to goes first. Not the entry of the return the
            # box moved: the receipt cannot refer to it, and the move goes with the commit.
            self.session.flush()
        _INSERT_RECEIPT.objects(self.session, [receipt], riding=True)
        session_loads.attach_as_loaded(self.session, receipt, [])

    def get(self, seller_id: str, receipt_id: str) -> PackageReceipt | None:
        c = package_receipts.c
        query = select(PackageReceipt).where(c.seller_id == seller_id, c.id == receipt_id)
        return self.session.scalars(query).first()

    def facility_of(self, seller_id: str, return_id: str) -> str | None:
        # By the driver, as every inspection asks it (SQLAlchemy's execute, and the autoflush
        # before it, were a quarter of an inspection). Nothing in this session has changed a
        # receipt before: a receipt is made and moved by the scan's own requests.
        row = _FACILITY_OF.first(self.session, {"seller_id": seller_id, "return_id": return_id})
        return None if row is None else str(row.facility_code)

    def page(
        self, seller_id: str, status: ReceiptStatus | None, *, after: str | None, limit: int
    ) -> list[PackageReceipt]:
        c = package_receipts.c
        query = select(PackageReceipt).where(c.seller_id == seller_id)
        if status is not None:
            query = query.where(c.status == status)
        if after is not None:
            query = query.where(c.id < after)
        return list(self.session.scalars(query.order_by(c.id.desc()).limit(limit)))


class SqlFlags:
    def __init__(self, session: Session):
        self.session = session

    def add_all(self, flags: Iterable[Flag]) -> None:
        # Inserted by the driver with the transaction's next statement, not tracked: a flag
        # is never changed once raised, nor read back by the request that raised it.
        _INSERT_FLAGS.objects(self.session, list(flags), riding=True)

    def for_return(self, seller_id: str, return_id: str) -> list[Flag]:
        c = return_flags.c
        query = select(Flag).where(c.seller_id == seller_id, c.return_id == return_id)
        return list(self.session.scalars(query.order_by(c.pk)))

    def by_code(
        self, seller_id: str, code: FlagCode | None, limit: int, *, return_id: str | None = None
    ) -> list[Flag]:
        """The latest flags, of every kind when ``code`` is ``None``."""
        c = return_flags.c
        query = select(Flag).where(c.seller_id == seller_id)
        if code is not None:
            query = query.where(c.code == code)
        if return_id is not None:
            query = query.where(c.return_id == return_id)
        return list(self.session.scalars(query.order_by(c.pk.desc()).limit(limit)))


class SqlPhotos:
    def __init__(self, session: Session):
        self.session = session

    def add(self, photo: Photo) -> None:
        self.session.execute(insert(inspection_photos).values(**photo.__dict__))

    def for_return(self, seller_id: str, return_id: str) -> list[Photo]:
        c = inspection_photos.c
        query = select(inspection_photos).where(c.seller_id == seller_id, c.return_id == return_id)
        return [Photo(**row._mapping) for row in self.session.execute(query.order_by(c.id))]

    def get(self, seller_id: str, photo_id: str) -> Photo | None:
        c = inspection_photos.c
        query = select(inspection_photos).where(c.seller_id == seller_id, c.id == photo_id)
        row = self.session.execute(query).first()
        return Photo(**row._mapping) if row else None


class SqlInventory:
    def __init__(self, session: Session):
        self.session = session

    def add_all(self, movements: Iterable[Movement]) -> None:
        rows = [{**m.__dict__, "bucket": m.bucket} for m in movements]
        # With the transaction's next statement: a second booking of an item's bucket fails
        # there (its unique key), in the commit at the latest, and nothing commits.
        _INSERT_MOVEMENTS.rows(self.session, rows, riding=True)

    def movements(
        self,
        seller_id: str,
        sku: str | None,
        location: str | None,
        limit: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Movement]:
        """The latest ledger lines, by SKU, location and a time range (``until`` excluded)."""
        c = inventory_movements.c
        query = select(
            c.seller_id,
            c.sku,
            c.location,
            c.bucket,
            c.quantity,
            c.return_id,
            c.item_id,
            c.created_at,
        ).where(c.seller_id == seller_id)
        if sku is not None:
            query = query.where(c.sku == sku)
        if location is not None:
            query = query.where(c.location == location)
        if since is not None:
            query = query.where(c.created_at >= since)
        if until is not None:
            query = query.where(c.created_at < until)
        rows = self.session.execute(query.order_by(c.pk.desc()).limit(limit))
        return [Movement(*row) for row in rows]

    def reconciliation(self, seller_id: str, sku: str | None) -> list[SkuReconciliation]:
        items, rets = orm.return_items.c, orm.returns.c
        query = (
            select(
                items.sku, func.sum(items.authorized_quantity), func.sum(items.received_quantity)
            )
            .join(orm.returns, (rets.seller_id == items.seller_id) & (rets.id == items.return_id))
            .where(items.seller_id == seller_id, rets.status.in_(_EXPECTING))
            .group_by(items.sku)
        )
        ledger = inventory_movements.c
        stock = select(ledger.sku, ledger.bucket, func.sum(ledger.quantity)).where(
            ledger.seller_id == seller_id
        )
        if sku is not None:
            query = query.where(items.sku == sku)
            stock = stock.where(ledger.sku == sku)
        totals = {
            row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in self.session.execute(query)
        }
        buckets: dict[str, dict[str, int]] = {}
        for row_sku, bucket, quantity in self.session.execute(
            stock.group_by(ledger.sku, ledger.bucket)
        ):
            buckets.setdefault(row_sku, {})[str(bucket)] = int(quantity)
        report = []
        for name in sorted(set(totals) | set(buckets)):
            expected, received = totals.get(name, (0, 0))
            held = buckets.get(name, {})
            report.append(
                SkuReconciliation(
                    sku=name,
                    expected=expected,
                    received=received,
                    restocked=held.get(Bucket.AVAILABLE, 0),
                    written_off=sum(held.get(b, 0) for b in WRITTEN_OFF),
                    buckets=held,
                )
            )
        return report
