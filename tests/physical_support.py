"""Helpers for the physical flow's tests: an authorized return, signed carrier webhooks."""

from __future__ import annotations

import json
import time
from typing import Any

from rma.domain.tracking import SIGNATURE_HEADERS, SourceKind, sign
from tests.support import Shop, ok

WAREHOUSE_ADDRESS = {
    "name": "Returns Dept",
    "line1": "1 Dock Road",
    "city": "Reno",
    "region": "NV",
    "postal_code": "89501",
    "country": "US",
}


def authorized_return(
    shop: Shop, number: str, items: list[tuple[str, int]] | None = None, comment: str = ""
) -> dict[str, Any]:
    """An order and an authorized return of it, addressed to the seller's warehouse."""
    ok(
        shop.call(
            "POST",
            "/v1/return-addresses",
            json={"label": "main", "address": WAREHOUSE_ADDRESS, "make_default": True},
        ),
        201,
    )
    shop.order(number)
    body = {
        "order_number": number,
        "items": [
            {"line_id": line, "quantity": qty, "reason_code": "CR-DEFECTIVE", "comment": comment}
            for line, qty in (items or [("1", 2)])
        ],
    }
    created: dict[str, Any] = ok(shop.call("POST", "/v1/returns", json=body), 201)
    assert created["status"] == "authorized"
    return created


def carrier_source(shop: Shop, kind: str, secret: str = "s3cret-for-tests-0123") -> dict[str, Any]:
    body = {"kind": kind, "name": f"{kind} webhooks", "secret": secret}
    source: dict[str, Any] = ok(shop.call("POST", "/v1/carrier-sources", json=body), 201)
    return source


def signed(kind: str, secret: str, document: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body and headers a carrier sends for ``document``."""
    body = json.dumps(document).encode()
    kind_ = SourceKind(kind)
    header = sign(kind_, secret, body, int(time.time()))
    return body, {SIGNATURE_HEADERS[kind_]: header, "content-type": "application/json"}


def easypost_event(tracking_code: str, details: list[tuple[str, str, str]]) -> dict[str, Any]:
    """An EasyPost ``tracker.updated`` Event; details are (status, datetime, message)."""
    return {
        "object": "Event",
        "id": "evt_" + tracking_code.lower(),
        "mode": "test",
        "description": "tracker.updated",
        "previous_attributes": {"status": "unknown"},
        "created_at": "2026-11-01T10:00:00Z",
        "result": {
            "object": "Tracker",
            "id": "trk_" + tracking_code.lower(),
            "mode": "test",
            "tracking_code": tracking_code,
            "status": details[-1][0] if details else "unknown",
            "carrier": "USPS",
            "tracking_details": [
                {
                    "object": "TrackingDetail",
                    "message": message,
                    "status": status,
                    "datetime": at,
                    "source": "USPS",
                    "tracking_location": {
                        "object": "TrackingLocation",
                        "city": "Reno",
                        "state": "NV",
                        "country": "US",
                        "zip": "89501",
                    },
                }
                for status, at, message in details
            ],
        },
    }


def shippo_event(tracking_number: str, history: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A Shippo ``track_updated`` webhook; history entries are (object_id, status, date)."""
    entries = [
        {
            "object_id": object_id,
            "status": status,
            "status_details": f"{status.title()} at the hub",
            "status_date": at,
            "location": {"city": "Denver", "state": "CO", "zip": "80202", "country": "US"},
        }
        for object_id, status, at in history
    ]
    return {
        "event": "track_updated",
        "test": True,
        "data": {
            "carrier": "usps",
            "tracking_number": tracking_number,
            "tracking_status": entries[-1],
            "tracking_history": entries,
        },
    }
