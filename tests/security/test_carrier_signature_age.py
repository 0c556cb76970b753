"""A captured carrier delivery cannot be replayed later: signatures age out in five minutes."""

from __future__ import annotations

import json
import time

import httpx

from rma.domain.tracking import SIGNATURE_HEADERS, SourceKind, sign
from tests.physical_support import authorized_return, carrier_source, shippo_event
from tests.support import error_code, ok, open_shop

SECRET = "s3cret-for-tests-0123"


def test_a_shippo_delivery_signed_30_days_ago_is_refused_and_stores_nothing(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    source = carrier_source(shop, "shippo", SECRET)
    ret = authorized_return(shop, "A-1")
    tracking = {"carrier": "USPS", "tracking_number": "SH-OLD-1"}
    ok(shop.call("PUT", f"/v1/returns/{ret['id']}/tracking", json=tracking))
    body = json.dumps(
        shippo_event("SH-OLD-1", [("e1", "TRANSIT", "2026-11-02T09:00:00Z")])
    ).encode()

    for age in (30 * 86400, -30 * 86400):
        header = sign(SourceKind.SHIPPO, SECRET, body, int(time.time()) - age)
        answer = http.post(
            f"/v1/carrier-events?source={source['id']}",
            content=body,
            headers={SIGNATURE_HEADERS[SourceKind.SHIPPO]: header},
        )
        assert error_code(answer, 401) == "signature_expired"

    tracked = ok(shop.call("GET", f"/v1/returns/{ret['id']}/tracking"))
    assert tracked["events"] == []
    assert ok(shop.call("GET", f"/v1/returns/{ret['id']}"))["status"] == "authorized"
