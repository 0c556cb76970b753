"""Carrier tracking: sources that send scans, the scans normalized, and their signatures.

Three wire formats are understood, each signed with the seller's secret for the source:

- EasyPost: an ``Event`` with ``description`` ``"tracker.created"`` or ``"tracker.updated"``
  (the first scan may come with either) whose ``result`` is a
  ``Tracker`` (``tracking_code``, ``carrier``, ``tracking_details[]``); the body is signed
  in ``X-Hmac-Signature: hmac-sha256-hex=<hex>`` with the NFKD-normalized secret.
- Shippo: ``{"event": "track_updated", "data": Track}`` with ``tracking_status`` and
  ``tracking_history[]``; signed in ``Shippo-Auth-Signature: t=<unix>,v1=<hex>`` over
  ``"<t>.<body>"``.
- rma's own: ``{"events": [{event_id, tracking_number, carrier, status, occurred_at, ...}]}``
  signed in ``X-Rma-Signature: t=<unix>,v1=<hex>`` over ``"<t>.<body>"``.

Every scan becomes a ``TrackingEvent`` with a stable ``event_id`` (the carrier's own id, or
a digest of what the scan says), so the same scan sent twice is recognised.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from rma.domain.errors import InvalidInput, Unauthenticated


class SourceKind(StrEnum):
    EASYPOST = "easypost"  # EasyPost tracker webhooks
    SHIPPO = "shippo"  # Shippo track_updated webhooks
    NATIVE = "native"  # rma's own normalized format


class TrackingStatus(StrEnum):
    PRE_TRANSIT = "pre_transit"  # label made, nothing scanned yet
    IN_TRANSIT = "in_transit"  # moving through the carrier's network
    OUT_FOR_DELIVERY = "out_for_delivery"  # on the truck to the facility
    DELIVERED = "delivered"  # delivered to the return facility
    EXCEPTION = "exception"  # delayed, damaged, address problem, ...
    RETURN_TO_SENDER = "return_to_sender"  # going back to the customer
    UNKNOWN = "unknown"  # the carrier did not say

    @property
    def moves(self) -> bool:
        """Whether the carrier has the package in hand (it left the customer)."""
        return self not in {TrackingStatus.PRE_TRANSIT, TrackingStatus.UNKNOWN}


@dataclass(eq=False)
class CarrierSource:
    """Where a seller's tracking webhooks come from, with the secret that signs them."""

    id: str
    seller_id: str
    kind: SourceKind
    name: str
    secret: str
    created_at: datetime


@dataclass(frozen=True)
class TrackingEvent:
    """One carrier scan, whatever format it arrived in."""

    event_id: str
    tracking_number: str
    carrier: str
    status: TrackingStatus
    occurred_at: datetime
    message: str = ""
    location: str = ""


SIGNATURE_HEADERS = {
    SourceKind.EASYPOST: "x-hmac-signature",
    SourceKind.SHIPPO: "shippo-auth-signature",
    SourceKind.NATIVE: "x-rma-signature",
}

_EASYPOST_STATUS = {
    "pre_transit": TrackingStatus.PRE_TRANSIT,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "delivered": TrackingStatus.DELIVERED,
    "available_for_pickup": TrackingStatus.EXCEPTION,
    "return_to_sender": TrackingStatus.RETURN_TO_SENDER,
    "failure": TrackingStatus.EXCEPTION,
    "error": TrackingStatus.EXCEPTION,
    "cancelled": TrackingStatus.EXCEPTION,
}
_SHIPPO_STATUS = {
    "PRE_TRANSIT": TrackingStatus.PRE_TRANSIT,
    "TRANSIT": TrackingStatus.IN_TRANSIT,
    "DELIVERED": TrackingStatus.DELIVERED,
    "RETURNED": TrackingStatus.RETURN_TO_SENDER,
    "FAILURE": TrackingStatus.EXCEPTION,
}


# -- signatures -------------------------------------------------------------------------------


def sign(kind: SourceKind, secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value a source of ``kind`` sends with ``body``."""
    if kind is SourceKind.EASYPOST:
        return f"hmac-sha256-hex={_hex(_easypost_key(secret), body)}"
    return f"t={timestamp},v1={_hex(secret.encode(), str(timestamp).encode() + b'.' + body)}"


SIGNATURE_TOLERANCE_SECONDS = 300  # as Standard Webhooks: a signature ages out in 5 minutes


def verify(kind: SourceKind, secret: str, body: bytes, header: str | None, now: float) -> None:
    """Raise ``Unauthenticated`` unless ``header`` is the right, fresh signature of ``body``.

    A timestamped signature (Shippo's and rma's ``t=``) more than five minutes away from
    ``now`` (Unix seconds), either way, is refused: a captured delivery cannot be replayed
    later. EasyPost signs the body alone; its events carry ids that are stored once.
    """
    if not header:
        raise Unauthenticated("the carrier event is not signed", code="signature_missing")
    if kind is SourceKind.EASYPOST:
        expected = sign(kind, secret, body, 0)
        good = hmac.compare_digest(header.strip().encode(), expected.encode())
    else:
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        stamp = parts.get("t", "")
        good = stamp.isdigit() and hmac.compare_digest(
            parts.get("v1", "").encode(),
            sign(kind, secret, body, int(stamp)).split("v1=")[1].encode(),
        )
        if good and abs(now - int(stamp)) > SIGNATURE_TOLERANCE_SECONDS:
            raise Unauthenticated(
                "the carrier event's signature is more than 5 minutes old or ahead",
                code="signature_expired",
            )
    if not good:
        raise Unauthenticated("the carrier event signature does not match", code="bad_signature")


def _easypost_key(secret: str) -> bytes:
    # EasyPost signs with the secret in Unicode normal form KD.
    return unicodedata.normalize("NFKD", secret).encode()


def _hex(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# -- payloads ---------------------------------------------------------------------------------


def parse_payload(kind: SourceKind, body: bytes) -> list[TrackingEvent]:
    """The scans a signed body carries; a body of another shape is ``InvalidInput``."""
    try:
        document = json.loads(body)
        if not isinstance(document, dict):
            raise TypeError("not an object")
        if kind is SourceKind.EASYPOST:
            return _easypost(document)
        if kind is SourceKind.SHIPPO:
            return _shippo(document)
        return _native(document)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise InvalidInput(
            f"not a {kind} tracking payload: {error}", code="unreadable_carrier_event"
        ) from error


def _easypost(document: Mapping[str, Any]) -> list[TrackingEvent]:
    if document.get("description") not in ("tracker.created", "tracker.updated"):
        return []  # other EasyPost events (batches, refunds) are not ours to handle
    tracker = document["result"]
    number = str(tracker["tracking_code"])
    carrier = str(tracker.get("carrier") or "")
    events = []
    for detail in tracker.get("tracking_details") or []:
        status = _EASYPOST_STATUS.get(str(detail.get("status")), TrackingStatus.UNKNOWN)
        events.append(
            _event(
                None,
                number,
                carrier,
                status,
                _time(detail["datetime"]),
                str(detail.get("message") or ""),
                _place(detail.get("tracking_location")),
            )
        )
    return events


def _shippo(document: Mapping[str, Any]) -> list[TrackingEvent]:
    if document.get("event") != "track_updated":
        return []
    track = document["data"]
    number = str(track["tracking_number"])
    carrier = str(track.get("carrier") or "")
    history = list(track.get("tracking_history") or [])
    current = track.get("tracking_status")
    if current and all(h.get("object_id") != current.get("object_id") for h in history):
        history.append(current)
    return [
        _event(
            h.get("object_id"),
            number,
            carrier,
            _SHIPPO_STATUS.get(str(h.get("status")), TrackingStatus.UNKNOWN),
            _time(h["status_date"]),
            str(h.get("status_details") or ""),
            _place(h.get("location")),
        )
        for h in history
    ]


def _native(document: Mapping[str, Any]) -> list[TrackingEvent]:
    return [
        _event(
            str(e["event_id"]),
            str(e["tracking_number"]),
            str(e.get("carrier") or ""),
            TrackingStatus(e["status"]),
            _time(e["occurred_at"]),
            str(e.get("message") or ""),
            str(e.get("location") or ""),
        )
        for e in document["events"]
    ]


def _event(
    event_id: str | None,
    number: str,
    carrier: str,
    status: TrackingStatus,
    at: datetime,
    message: str,
    location: str,
) -> TrackingEvent:
    if not number or len(number) > 100:
        raise ValueError("tracking number missing or too long")
    if event_id is None:
        # Carriers resend the whole history each time: what the scan says identifies it.
        said = f"{number}|{at.isoformat()}|{status}|{message}|{location}"
        event_id = hashlib.sha256(said.encode()).hexdigest()[:40]
    return TrackingEvent(
        event_id[:100], number, carrier[:64], status, at, message[:500], location[:200]
    )


def _time(text: Any) -> datetime:
    at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError(f"time without a zone: {text}")
    return at.astimezone(UTC)


def _place(location: Any) -> str:
    if not isinstance(location, Mapping):
        return ""
    parts = (location.get(k) for k in ("city", "state", "zip", "country"))
    return ", ".join(str(p) for p in parts if p)
