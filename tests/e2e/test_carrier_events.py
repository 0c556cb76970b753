"""Carrier webhooks: EasyPost and Shippo payloads, signed, in and out of order, twice."""

from __future__ import annotations

import json

import httpx

from rma.bootstrap import Container
from rma.services.tracking import flag_lost_returns
from tests.physical_support import (
    authorized_return,
    carrier_source,
    easypost_event,
    shippo_event,
    signed,
)
from tests.support import Shop, bearer, customer_token, error_code, ok, open_shop

SECRET = "s3cret-for-tests-0123"


def _post(http: httpx.Client, source: dict, body: bytes, headers: dict) -> httpx.Response:
    return http.post(f"/v1/carrier-events?source={source['id']}", content=body, headers=headers)


def _tracked(shop: Shop, number: str, tracking: str) -> dict:
    ret = authorized_return(shop, number)
    token = customer_token(shop.http, number)
    ok(
        shop.http.put(
            f"/v1/returns/{ret['id']}/tracking",
            headers=bearer(token),
            json={"carrier": "USPS", "tracking_number": tracking},
        )
    )
    return ret


def test_easypost_scans_move_the_return_and_a_redelivery_changes_nothing(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    source = carrier_source(shop, "easypost", SECRET)
    ret = _tracked(shop, "C-1", "EZ1000000001")
    event = easypost_event(
        "EZ1000000001",
        [
            ("pre_transit", "2026-11-01T09:00:00Z", "Label created"),
            ("in_transit", "2026-11-02T09:00:00Z", "Accepted at USPS origin"),
        ],
    )
    body, headers = signed("easypost", SECRET, event)

    first = ok(_post(http, source, body, headers))
    again = ok(_post(http, source, body, headers))

    assert first == {"received": 2, "new": 2, "duplicates": 0, "matched_returns": 1}
    assert again == {"received": 2, "new": 0, "duplicates": 2, "matched_returns": 0}
    read = ok(shop.call("GET", f"/v1/returns/{ret['id']}"))
    assert read["status"] == "in_transit"
    assert [h["to_status"] for h in read["history"]].count("in_transit") == 1
    tracking = ok(shop.call("GET", f"/v1/returns/{ret['id']}/tracking"))
    assert tracking["status"] == "in_transit"
    assert [e["status"] for e in tracking["events"]] == ["pre_transit", "in_transit"]


def test_late_scans_are_placed_by_their_time(http: httpx.Client) -> None:
    shop = open_shop(http)
    source = carrier_source(shop, "easypost", SECRET)
    ret = _tracked(shop, "C-2", "EZ2000000002")
    delivered = easypost_event(
        "EZ2000000002", [("delivered", "2026-11-05T15:00:00Z", "Delivered to the dock")]
    )
    earlier = easypost_event(
        "EZ2000000002", [("out_for_delivery", "2026-11-05T08:00:00Z", "Out for delivery")]
    )

    ok(_post(http, source, *signed("easypost", SECRET, delivered)))
    ok(_post(http, source, *signed("easypost", SECRET, earlier)))

    tracking = ok(shop.call("GET", f"/v1/returns/{ret['id']}/tracking"))
    assert tracking["status"] == "delivered"
    assert tracking["status_at"].startswith("2026-11-05T15:00")
    assert tracking["delivered_at"].startswith("2026-11-05T15:00")
    assert [e["status"] for e in tracking["events"]] == ["out_for_delivery", "delivered"]
    assert ok(shop.call("GET", f"/v1/returns/{ret['id']}"))["status"] == "in_transit"


def test_shippo_track_updated_with_an_exception_raises_a_flag(http: httpx.Client) -> None:
    shop = open_shop(http)
    source = carrier_source(shop, "shippo", SECRET)
    ret = _tracked(shop, "C-3", "9205590164917312751089")
    update = shippo_event(
        "9205590164917312751089",
        [
            ("a1", "TRANSIT", "2026-11-02T10:00:00Z"),
            ("a2", "FAILURE", "2026-11-03T10:00:00Z"),
        ],
    )

    assert ok(_post(http, source, *signed("shippo", SECRET, update)))["new"] == 2

    assert ok(shop.call("GET", f"/v1/returns/{ret['id']}"))["status"] == "in_transit"
    flags = ok(shop.call("GET", f"/v1/returns/{ret['id']}/findings", "warehouse"))["flags"]
    assert [f["code"] for f in flags] == ["carrier_exception"]


def test_scans_that_come_before_the_tracking_number_apply_once_it_is_given(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    source = carrier_source(shop, "native", SECRET)
    ret = authorized_return(shop, "C-4")
    document = {
        "events": [
            {
                "event_id": "scan-1",
                "tracking_number": "OWN123",
                "carrier": "DHL",
                "status": "in_transit",
                "occurred_at": "2026-11-02T10:00:00+01:00",
            }
        ]
    }
    assert ok(_post(http, source, *signed("native", SECRET, document)))["matched_returns"] == 0

    ok(
        shop.call(
            "PUT",
            f"/v1/returns/{ret['id']}/tracking",
            json={"carrier": "DHL", "tracking_number": "OWN123"},
        )
    )

    assert ok(shop.call("GET", f"/v1/returns/{ret['id']}"))["status"] == "in_transit"


def test_unsigned_or_forged_events_are_refused_and_nothing_is_stored(http: httpx.Client) -> None:
    shop = open_shop(http)
    source = carrier_source(shop, "easypost", SECRET)
    ret = _tracked(shop, "C-5", "EZ5000000005")
    event = easypost_event("EZ5000000005", [("in_transit", "2026-11-02T09:00:00Z", "Moving")])
    body, headers = signed("easypost", SECRET, event)
    forged_body, forged_headers = signed("easypost", "not-the-right-secret", event)
    other = open_shop(http, "Other")
    other_source = carrier_source(other, "easypost", "other-sellers-secret-1")

    unsigned = _post(http, source, body, {"content-type": "application/json"})
    forged = _post(http, source, forged_body, forged_headers)
    tampered = _post(http, source, body.replace(b"Moving", b"Stolen"), headers)
    unknown = http.post("/v1/carrier-events?source=csrc_nope", content=body, headers=headers)
    elsewhere = _post(http, other_source, body, headers)  # signed for another source

    assert error_code(unsigned, 401) == "signature_missing"
    assert error_code(forged, 401) == "bad_signature"
    assert error_code(tampered, 401) == "bad_signature"
    assert error_code(unknown, 401) == "unauthenticated"
    assert error_code(elsewhere, 401) == "bad_signature"
    tracking = ok(shop.call("GET", f"/v1/returns/{ret['id']}/tracking"))
    assert tracking["events"] == []
    assert ok(shop.call("GET", f"/v1/returns/{ret['id']}"))["status"] == "authorized"


def test_a_signed_event_of_one_seller_never_moves_another_sellers_return(
    http: httpx.Client,
) -> None:
    victim = open_shop(http)
    ret = _tracked(victim, "C-6", "EZ6000000006")
    attacker = open_shop(http, "Attacker")
    source = carrier_source(attacker, "easypost", SECRET)
    event = easypost_event("EZ6000000006", [("delivered", "2026-11-02T09:00:00Z", "Done")])

    outcome = ok(_post(http, source, *signed("easypost", SECRET, event)))

    assert outcome["matched_returns"] == 0
    assert ok(victim.call("GET", f"/v1/returns/{ret['id']}"))["status"] == "authorized"


def test_source_secrets_are_shown_once_and_sources_stay_with_their_seller(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    created = carrier_source(shop, "shippo")
    assert created["secret"] == "s3cret-for-tests-0123"
    assert created["webhook_url"].endswith(f"/v1/carrier-events?source={created['id']}")
    generated = ok(
        shop.call("POST", "/v1/carrier-sources", json={"kind": "native", "name": "own"}), 201
    )
    assert generated["secret"].startswith("whsec_")

    listed = ok(shop.call("GET", "/v1/carrier-sources"))["data"]
    assert {s["id"] for s in listed} == {created["id"], generated["id"]}
    assert all("secret" not in s for s in listed)
    other = open_shop(http, "Other")
    assert ok(other.call("GET", "/v1/carrier-sources"))["data"] == []
    assert error_code(shop.call("GET", "/v1/carrier-sources", "warehouse"), 403) == "forbidden"
    short = {"kind": "easypost", "name": "x", "secret": "short"}
    assert error_code(shop.call("POST", "/v1/carrier-sources", json=short), 422) == "invalid_input"


def test_tracking_number_cannot_be_set_by_another_customer_or_seller(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "C-7")
    shop.order("C-8")
    stranger = customer_token(http, "C-8")
    body = {"carrier": "UPS", "tracking_number": "1Z0000"}
    path = f"/v1/returns/{ret['id']}/tracking"

    assert error_code(http.put(path, headers=bearer(stranger), json=body), 404) == (
        "return_not_found"
    )
    other = open_shop(http, "Other")
    assert error_code(other.call("PUT", path, json=body), 404) == "return_not_found"
    assert error_code(shop.call("PUT", path, "warehouse", json=body), 403) == "forbidden"
    assert error_code(http.put(path, json=body), 401) == "unauthenticated"


def test_a_parcel_without_movement_is_flagged_as_lost(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    source = carrier_source(shop, "native", SECRET)
    ret = _tracked(shop, "C-9", "LOST1")
    document = {
        "events": [
            {
                "event_id": "e1",
                "tracking_number": "LOST1",
                "status": "in_transit",
                "occurred_at": "2026-01-02T10:00:00Z",
            }
        ]
    }
    ok(_post(http, source, json.dumps(document).encode(), signed("native", SECRET, document)[1]))

    assert flag_lost_returns(container.uow(), idle_days=7) == 1
    assert flag_lost_returns(container.uow(), idle_days=7) == 0  # flagged once

    flags = ok(shop.call("GET", "/v1/flags?code=lost_package", "warehouse"))["data"]
    assert [f["return_id"] for f in flags] == [ret["id"]]
    assert ok(open_shop(http, "Other").call("GET", "/v1/flags?code=lost_package"))["data"] == []


def test_a_seller_resolving_on_first_scan_refunds_when_the_carrier_first_moves_it(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"resolution_trigger": "first_scan"}))
    source = carrier_source(shop, "easypost", SECRET)
    ret = authorized_return(shop, "C-9")
    # The seller gives the number (with the label it issued): its scans may move money.
    tracking = {"carrier": "USPS", "tracking_number": "EZ9000000009"}
    ok(shop.call("PUT", f"/v1/returns/{ret['id']}/tracking", json=tracking))
    event = easypost_event("EZ9000000009", [("in_transit", "2026-11-02T09:00:00Z", "Accepted")])
    body, headers = signed("easypost", SECRET, event)

    ok(_post(http, source, body, headers))

    read = ok(shop.call("GET", f"/v1/returns/{ret['id']}"))
    assert [h["to_status"] for h in read["history"]][-2:] == ["in_transit", "resolved"]
    refund = ok(shop.call("GET", f"/v1/returns/{ret['id']}/resolution"))["refund"]
    assert refund["amount"] > 0
    # The same scan again moves nothing and pays nothing more.
    ok(_post(http, source, body, headers))
    refunds = ok(shop.call("GET", "/v1/refunds"))["data"]
    assert [r["id"] for r in refunds] == [refund["id"]]
