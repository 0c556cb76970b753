"""Carrier tracking: sources and their secrets, tracking numbers, signed scans, lost parcels."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from rma.domain import tracking
from rma.domain.addresses import Address
from rma.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from rma.domain.ids import new_id
from rma.domain.returns import Return
from rma.domain.scans import apply_scans, flag_if_lost
from rma.domain.sellers import Seller
from rma.domain.statuses import ReturnStatus, resolution_due
from rma.domain.tracking import CarrierSource, SourceKind, TrackingEvent
from rma.services.clock import utcnow
from rma.services.resolutions import execute_due_resolutions
from rma.services.returns import Scope, _find
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AddCarrierSource:
    seller_id: str
    kind: SourceKind
    name: str
    secret: str | None = None  # as set at the carrier; generated when absent


@dataclass(frozen=True)
class SetTracking:
    scope: Scope
    ref: str
    carrier: str
    tracking_number: str
    ship_from: Address | None = None


@dataclass(frozen=True)
class IngestCarrierEvents:
    source_id: str
    body: bytes
    signature: str | None


@dataclass(frozen=True)
class Ingested:
    """What one webhook delivery did."""

    received: int
    new: int
    duplicates: int
    matched_returns: int


def add_carrier_source(cmd: AddCarrierSource, uow: UnitOfWork) -> CarrierSource:
    """Register where a seller's tracking webhooks come from, with the secret that signs them."""
    secret = cmd.secret or f"whsec_{secrets.token_urlsafe(32)}"
    if len(secret) < 16:
        raise InvalidInput(
            "a carrier secret has at least 16 characters", details=[{"field": "secret"}]
        )
    source = CarrierSource(new_id("csrc"), cmd.seller_id, cmd.kind, cmd.name, secret, utcnow())
    with uow:
        if uow.sellers.get(cmd.seller_id) is None:
            raise NotFound(f"no seller {cmd.seller_id}", code="seller_not_found")
        uow.carrier_sources.add(source)
        uow.commit()
    return source


def list_carrier_sources(seller_id: str, uow: UnitOfWork) -> list[CarrierSource]:
    """A seller's carrier sources."""
    with uow:
        return uow.carrier_sources.all(seller_id)


def set_tracking(cmd: SetTracking, uow: UnitOfWork) -> Return:
    """The customer or seller says which carrier carries the return, under which number.

    A number the customer typed moves the return as it is scanned, but never triggers an
    early resolution: only one the seller gave (or a scan at the facility) moves money.
    """
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        changed = ret.tracking_number != cmd.tracking_number
        check_tracking_number_free(uow, ret, cmd.carrier, cmd.tracking_number)
        by_seller = cmd.scope.order_id is None
        ret.ship_with(
            cmd.carrier,
            cmd.tracking_number,
            now=utcnow(),
            ship_from=cmd.ship_from,
            trusted=by_seller or (ret.tracking_trusted and not changed),
        )
        if changed:
            # Scans that came before the number was known are applied now, by their time.
            earlier = uow.tracking_events.for_tracking_number(ret.seller_id, cmd.tracking_number)
            _apply(uow, _seller(uow, ret.seller_id), ret, earlier, utcnow())
        uow.commit()
        return ret


def check_tracking_number_free(
    uow: UnitOfWork, ret: Return, carrier: str, tracking_number: str
) -> None:
    """``Conflict`` if another live return of the seller travels under the same number."""
    others = uow.physical.by_tracking_numbers(ret.seller_id, [tracking_number])
    if any(
        other.id != ret.id
        and other.status.is_open
        and (other.carrier or "").casefold() == carrier.casefold()
        for other in others
    ):
        raise Conflict(
            "another return already travels under that tracking number",
            code="tracking_number_taken",
            details=[{"field": "tracking_number"}],
        )


def ingest_carrier_events(cmd: IngestCarrierEvents, uow: UnitOfWork) -> Ingested:
    """Check a webhook's signature, store its new scans once, and move the returns they name.

    An unknown source answers exactly like a bad signature, so sources cannot be probed.
    """
    now = utcnow()
    with uow:
        source = uow.carrier_sources.get(cmd.source_id)
        if source is None:
            raise Unauthenticated("the carrier event is not signed by a known source")
        tracking.verify(source.kind, source.secret, cmd.body, cmd.signature, now.timestamp())
        scans = tracking.parse_payload(source.kind, cmd.body)
        new = uow.tracking_events.add_new(source, scans, now)
        by_number: dict[str, list[TrackingEvent]] = {}
        for scan in new:
            by_number.setdefault(scan.tracking_number, []).append(scan)
        matched = uow.physical.by_tracking_numbers(source.seller_id, by_number) if new else []
        seller = _seller(uow, source.seller_id)
        for ret in matched:
            assert ret.tracking_number is not None
            _apply(uow, seller, ret, by_number[ret.tracking_number], now)
        uow.commit()
    distinct = len({s.event_id for s in scans})
    return Ingested(len(scans), len(new), distinct - len(new), len(matched))


def tracking_history(scope: Scope, ref: str, uow: UnitOfWork) -> tuple[Return, list[TrackingEvent]]:
    """A return and the carrier scans of its package, oldest first."""
    with uow:
        ret = _find(uow, scope, ref)
        if ret.tracking_number is None:
            return ret, []
        return ret, uow.tracking_events.for_tracking_number(ret.seller_id, ret.tracking_number)


def flag_lost_returns(uow: UnitOfWork, idle_days: int) -> int:
    """Flag for investigation in-transit returns with no carrier movement for ``idle_days``."""
    now = utcnow()
    after = timedelta(days=idle_days)
    with uow:
        idle = uow.physical.idle_in_transit(now - after, limit=500)
        flags = [flag for ret in idle if (flag := flag_if_lost(ret, now, after)) is not None]
        uow.flags.add_all(flags)
        uow.commit()
        return len(flags)


def carrier_source(seller_id: str, source_id: str, uow: UnitOfWork) -> CarrierSource:
    """One of the seller's sources (another seller's is not found)."""
    with uow:
        source = uow.carrier_sources.get(source_id)
        if source is None or source.seller_id != seller_id:
            raise NotFound(f"no carrier source {source_id}", code="carrier_source_not_found")
        return source


def _apply(
    uow: UnitOfWork, seller: Seller, ret: Return, scans: list[TrackingEvent], now: datetime
) -> None:
    """Move the return by its scans; a first scan may be the seller's resolution trigger."""
    before = ret.status
    uow.flags.add_all(apply_scans(ret, scans, now))
    moved = before is not ReturnStatus.IN_TRANSIT and ret.status is ReturnStatus.IN_TRANSIT
    # Checked here first: most sellers resolve after inspection, and a scan must stay cheap.
    # A number the customer typed could be any parcel's: its scans never move money.
    if moved and ret.tracking_trusted and resolution_due(ret.status, seller.resolution_trigger):
        execute_due_resolutions(uow, seller, ret, now)


def _seller(uow: UnitOfWork, seller_id: str) -> Seller:
    seller = uow.sellers.get(seller_id)
    assert seller is not None  # every return and source belongs to an existing seller
    return seller
