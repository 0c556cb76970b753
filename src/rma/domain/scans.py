"""What the carrier's scans do to a return: first movement, delivery, trouble, silence."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from rma.domain.flags import Flag, FlagCode
from rma.domain.returns import Actor, Return
from rma.domain.statuses import ReturnStatus
from rma.domain.tracking import TrackingEvent, TrackingStatus

CARRIER = Actor("carrier", "tracking")


def apply_scans(ret: Return, scans: Iterable[TrackingEvent], now: datetime) -> list[Flag]:
    """Move ``ret`` by new scans, placed by their own time; answer the flags they raise.

    Scans may arrive late and out of order: the latest by time is the carrier's status,
    whenever it arrived; the first that shows movement puts the return in transit.
    """
    flags: list[Flag] = []
    for scan in sorted(scans, key=lambda s: s.occurred_at):
        if ret.tracking_at is None or scan.occurred_at >= ret.tracking_at:
            ret.tracking_status = str(scan.status)
            ret.tracking_at = scan.occurred_at
            ret.lost_flagged_at = None  # it moved: any investigation starts over
            ret.updated_at = now
        if scan.status.moves and ret.status is ReturnStatus.AUTHORIZED:
            note = f"first carrier scan at {scan.occurred_at:%Y-%m-%d %H:%M}Z"
            ret.mark_in_transit(actor=CARRIER, now=now, note=note)
        if scan.status is TrackingStatus.DELIVERED and ret.delivered_at is None:
            ret.delivered_at = scan.occurred_at
        if scan.status is TrackingStatus.EXCEPTION:
            flags.append(_flag(ret, FlagCode.CARRIER_EXCEPTION, scan, now))
        if scan.status is TrackingStatus.RETURN_TO_SENDER:
            flags.append(_flag(ret, FlagCode.RETURN_TO_SENDER, scan, now))
    return flags


def flag_if_lost(ret: Return, now: datetime, after: timedelta) -> Flag | None:
    """A ``lost_package`` flag when an in-transit return has not moved for ``after``."""
    last = ret.tracking_at or ret.updated_at
    if ret.status is not ReturnStatus.IN_TRANSIT or ret.lost_flagged_at is not None:
        return None
    if now - last < after:
        return None
    ret.lost_flagged_at = now
    days = (now - last).days
    return Flag(
        ret.seller_id,
        ret.id,
        FlagCode.LOST_PACKAGE,
        f"no carrier movement for {days} days (tracking {ret.tracking_number}): investigate",
        now,
    )


def _flag(ret: Return, code: FlagCode, scan: TrackingEvent, now: datetime) -> Flag:
    where = f" at {scan.location}" if scan.location else ""
    said = f": {scan.message}" if scan.message else ""
    return Flag(ret.seller_id, ret.id, code, f"{scan.carrier} {scan.status}{where}{said}", now)
