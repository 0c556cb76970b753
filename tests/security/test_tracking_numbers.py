"""A tracking number the customer types never moves money, and is never another return's."""

from __future__ import annotations

import httpx

from tests.physical_support import authorized_return, carrier_source, easypost_event, signed
from tests.support import Shop, bearer, customer_token, error_code, ok, open_shop

SECRET = "s3cret-for-tests-0123"


def _customer_tracks(shop: Shop, ret: dict, number: str, tracking: str) -> httpx.Response:
    token = customer_token(shop.http, number)
    return shop.http.put(
        f"/v1/returns/{ret['id']}/tracking",
        headers=bearer(token),
        json={"carrier": "USPS", "tracking_number": tracking},
    )


def _scan(http: httpx.Client, source: dict, tracking: str) -> None:
    event = easypost_event(tracking, [("in_transit", "2026-11-02T09:00:00Z", "Accepted")])
    body, headers = signed("easypost", SECRET, event)
    ok(http.post(f"/v1/carrier-events?source={source['id']}", content=body, headers=headers))


def test_a_scan_of_a_number_the_customer_typed_moves_the_return_but_refunds_nothing(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"resolution_trigger": "first_scan"}))
    source = carrier_source(shop, "easypost", SECRET)
    ret = authorized_return(shop, "T-1")
    ok(_customer_tracks(shop, ret, "T-1", "UNRELATED-PARCEL-1"))

    _scan(http, source, "UNRELATED-PARCEL-1")

    read = ok(shop.call("GET", f"/v1/returns/{ret['id']}"))
    assert read["status"] == "in_transit"
    assert ok(shop.call("GET", "/v1/refunds"))["data"] == []


def test_a_customer_cannot_take_another_live_returns_tracking_number(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    first = authorized_return(shop, "T-2")
    second = authorized_return(shop, "T-3")
    tracking = {"carrier": "USPS", "tracking_number": "EZ-SHARED-1"}
    ok(shop.call("PUT", f"/v1/returns/{first['id']}/tracking", json=tracking))

    answer = _customer_tracks(shop, second, "T-3", "EZ-SHARED-1")

    assert error_code(answer, 409) == "tracking_number_taken"
    assert ok(shop.call("GET", f"/v1/returns/{second['id']}"))["tracking_number"] is None
    # Once the first return is no longer live, the number is free again.
    ok(shop.call("POST", f"/v1/returns/{first['id']}/close", json={"note": "done"}))
    ok(_customer_tracks(shop, second, "T-3", "EZ-SHARED-1"))
