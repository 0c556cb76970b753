"""Receiving by scan, the unannounced queue, inspection with photos, and the stock after."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from tests.physical_support import WAREHOUSE_ADDRESS, authorized_return
from tests.support import Shop, error_code, ok, open_shop


def _scan(shop: Shop, scan: str, **extra: object) -> httpx.Response:
    return shop.call("POST", "/v1/receipts", "warehouse", json={"scan": scan, **extra})


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _typo(rma: str) -> str:
    """The RMA number with its first character replaced by another of the alphabet."""
    first = "A" if rma[0] != "A" else "B"
    return first + rma[1:]


def test_scanning_the_rma_barcode_receives_the_box_at_once(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/facilities/RNO1", json={"name": "Reno", "address": WAREHOUSE_ADDRESS}))
    ret = authorized_return(shop, "R-1")

    answer = ok(_scan(shop, ret["rma_number"].lower().replace("-", ""), facility_code="RNO1"), 201)

    assert answer["status"] == "matched"
    assert answer["matched"]["id"] == ret["id"]
    assert answer["matched"]["status"] == "received"
    assert answer["matched"]["items"][0]["received_quantity"] == 2
    assert answer["flags"] == []
    assert answer["raised"] == []


def test_a_mistyped_rma_number_fails_its_check_character(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "R-2")

    response = _scan(shop, _typo(ret["rma_number"]))

    assert error_code(response, 422) == "rma_check_failed"
    assert "check character" in response.json()["error"]["message"]
    assert ok(shop.call("GET", "/v1/receipts", "warehouse"))["data"] == []


def test_packing_slip_and_tracking_number_find_the_return_too(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "R-3")
    ok(
        shop.call(
            "PUT",
            f"/v1/returns/{ret['id']}/tracking",
            json={"carrier": "UPS", "tracking_number": "1ZTRACK3"},
        )
    )

    by_slip = ok(shop.call("GET", f"/v1/scans/{ret['id']}", "warehouse"))
    by_tracking = ok(shop.call("GET", "/v1/scans/1ZTRACK3", "warehouse"))

    assert by_slip["matched"]["rma_number"] == ret["rma_number"]
    assert by_tracking["matched"]["id"] == ret["id"]


def test_a_box_nobody_announced_waits_in_a_queue_and_is_matched_by_hand(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "R-4")

    queued = ok(_scan(shop, "UNKNOWN-LABEL-77", notes="blue box, torn label"), 201)
    assert queued["status"] == "unannounced"
    assert queued["matched"] is None
    waiting = ok(shop.call("GET", "/v1/receipts?status=unannounced", "warehouse"))["data"]
    assert [r["id"] for r in waiting] == [queued["id"]]
    assert waiting[0]["notes"] == "blue box, torn label"

    matched = ok(
        shop.call(
            "POST",
            f"/v1/receipts/{queued['id']}/match",
            "warehouse",
            json={"return_ref": ret["rma_number"], "notes": "order slip inside"},
        )
    )

    assert matched["status"] == "matched_by_hand"
    assert matched["matched"]["status"] == "received"
    assert ok(shop.call("GET", "/v1/receipts?status=unannounced", "warehouse"))["data"] == []
    again = shop.call(
        "POST", f"/v1/receipts/{queued['id']}/match", "warehouse", json={"return_ref": ret["id"]}
    )
    assert error_code(again, 409) == "receipt_already_matched"


def test_another_sellers_return_is_never_matched_nor_revealed(http: httpx.Client) -> None:
    victim = open_shop(http)
    ret = authorized_return(victim, "R-5")
    attacker = open_shop(http, "Attacker")

    answer = ok(_scan(attacker, ret["rma_number"]), 201)
    lookup = ok(attacker.call("GET", f"/v1/scans/{ret['id']}", "warehouse"))

    assert answer["status"] == "unannounced"
    assert answer["matched"] is None
    assert lookup["matched"] is None
    assert ok(victim.call("GET", f"/v1/returns/{ret['id']}"))["status"] == "authorized"
    steal = attacker.call(
        "POST", f"/v1/receipts/{answer['id']}/match", "warehouse", json={"return_ref": ret["id"]}
    )
    assert error_code(steal, 404) == "return_not_found"
    foreign = victim.call(
        "POST", f"/v1/receipts/{answer['id']}/match", "warehouse", json={"return_ref": ret["id"]}
    )
    assert error_code(foreign, 404) == "receipt_not_found"
    assert error_code(http.post("/v1/receipts", json={"scan": "x"}), 401) == "unauthenticated"


def test_short_and_over_receipts_are_recorded_as_counted_and_flagged(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "R-6", items=[("1", 2), ("2", 1)])
    tee, mug = ret["items"][0]["id"], ret["items"][1]["id"]

    short = ok(_scan(shop, ret["rma_number"], items=[{"item_id": tee, "quantity": 1}]), 201)
    assert short["matched"]["status"] == "partially_received"
    assert short["flags"] == ["partial_receipt"]

    over = ok(
        _scan(
            shop,
            ret["rma_number"],
            items=[{"item_id": tee, "quantity": 3}, {"item_id": mug, "quantity": 1}],
        ),
        201,
    )

    assert over["flags"] == ["over_receipt"]
    assert {i["id"]: i["received_quantity"] for i in over["matched"]["items"]} == {tee: 4, mug: 1}
    codes = [f["code"] for f in ok(shop.call("GET", f"/v1/returns/{ret['id']}/findings"))["flags"]]
    assert codes.count("over_receipt") == 1
    assert "partial_receipt" in codes


def test_inspection_flags_contradictions_books_stock_and_reconciles(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/facilities/RNO1", json={"name": "Reno", "address": WAREHOUSE_ADDRESS}))
    ret = authorized_return(shop, "R-7", items=[("1", 2), ("2", 1)])
    tee, mug = ret["items"][0]["id"], ret["items"][1]["id"]
    ok(_scan(shop, ret["rma_number"], facility_code="RNO1"), 201)

    inspected = ok(
        shop.call(
            "POST",
            f"/v1/returns/{ret['id']}/inspect",
            "warehouse",
            json={
                "items": [
                    {
                        "item_id": tee,
                        "accepted": 1,
                        "rejected": 1,
                        "condition": "sellable",
                        "disposition": "restock",
                    },
                    {
                        "item_id": mug,
                        "accepted": 1,
                        "condition": "defective",
                        "disposition": "dispose",
                    },
                ],
                "seen_skus": {mug: "CUP"},
            },
        )
    )

    assert inspected["status"] == "inspected"
    findings = ok(shop.call("GET", f"/v1/returns/{ret['id']}/findings", "warehouse"))
    assert sorted((f["code"], f["item_id"]) for f in findings["flags"]) == [
        ("reason_mismatch", tee),
        ("sku_mismatch", mug),
    ]
    moves = ok(shop.call("GET", "/v1/inventory/movements?location=RNO1", "warehouse"))["data"]
    # The box held a CUP, not the MUG authorized: the CUP is what was written off.
    assert sorted((m["sku"], m["bucket"], m["quantity"]) for m in moves) == [
        ("CUP", "dispose", 1),
        ("TEE", "available", 1),
        ("TEE", "rejected", 1),
    ]
    report = ok(shop.call("GET", "/v1/inventory/reconciliation"))["data"]
    assert {
        r["sku"]: (r["expected"], r["received"], r["restocked"], r["written_off"]) for r in report
    } == {"TEE": (2, 2, 1, 0), "MUG": (1, 1, 0, 0), "CUP": (0, 0, 0, 1)}
    assert ok(open_shop(http, "Other").call("GET", "/v1/inventory/reconciliation"))["data"] == []


def test_inspection_photos_must_be_real_images_and_stay_with_their_seller(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "R-8")
    item = ret["items"][0]["id"]
    path = f"/v1/returns/{ret['id']}/items/{item}/photos"

    photo = ok(
        shop.call("POST", path, "warehouse", files={"file": ("a.png", _png(), "image/png")}), 201
    )
    fake = shop.call(
        "POST", path, "warehouse", files={"file": ("a.png", b"<svg onload=alert(1)>", "image/png")}
    )
    other = open_shop(http, "Other")
    foreign = other.call("POST", path, "warehouse", files={"file": ("a.png", _png(), "image/png")})

    assert photo["content_type"] == "image/png"
    assert error_code(fake, 422) == "not_an_image"
    assert error_code(foreign, 404) == "return_not_found"
    served = shop.call("GET", f"/v1/returns/{ret['id']}/photos/{photo['id']}", "warehouse")
    assert served.content == _png()
    assert served.headers["content-type"] == "image/png"
    stolen = other.call("GET", f"/v1/returns/{ret['id']}/photos/{photo['id']}", "warehouse")
    assert error_code(stolen, 404) == "return_not_found"


def test_a_second_box_for_a_received_return_is_kept_and_flagged_not_received(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "R-9")
    item = ret["items"][0]["id"]
    ok(_scan(shop, ret["rma_number"]), 201)

    extra = ok(_scan(shop, ret["rma_number"], items=[{"item_id": item, "quantity": 1}]), 201)

    assert extra["flags"] == ["unexpected_receipt"]
    assert extra["lines"] == [{"item_id": item, "quantity": 1}]
    assert extra["matched"]["status"] == "received"
    assert extra["matched"]["items"][0]["received_quantity"] == 2


def test_a_unit_found_under_another_sku_is_booked_under_the_sku_in_the_box(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "R-20", items=[("1", 1), ("2", 1)])
    tee, mug = ret["items"][0]["id"], ret["items"][1]["id"]
    ok(_scan(shop, ret["rma_number"]), 201)

    # Judged in two calls: the SKU seen in the first still counts when the stock is booked.
    for item, seen in ((mug, {mug: "CUP"}), (tee, {})):
        judged = {"item_id": item, "accepted": 1, "condition": "sellable", "disposition": "restock"}
        body = {"items": [judged], "seen_skus": seen}
        ok(shop.call("POST", f"/v1/returns/{ret['id']}/inspect", "warehouse", json=body))

    moves = ok(shop.call("GET", "/v1/inventory/movements", "warehouse"))["data"]
    assert sorted((m["sku"], m["bucket"], m["quantity"]) for m in moves) == [
        ("CUP", "available", 1),
        ("TEE", "available", 1),
    ]


def test_flags_are_listed_without_a_code_and_filtered_by_one(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "R-21", items=[("1", 2), ("2", 1)])
    tee = ret["items"][0]["id"]
    counted = {"items": [{"item_id": tee, "quantity": 1}]}
    ok(_scan(shop, ret["rma_number"], **counted), 201)

    every = ok(shop.call("GET", "/v1/flags", "warehouse"))["data"]
    assert sorted(f["code"] for f in every) == ["partial_receipt", "partial_receipt"]
    assert ok(shop.call("GET", "/v1/flags?code=over_receipt", "warehouse"))["data"] == []
    mine = ok(shop.call("GET", f"/v1/flags?return_id={ret['id']}"))["data"]
    assert len(mine) == 2
    assert ok(open_shop(http, "Other").call("GET", "/v1/flags"))["data"] == []
    assert error_code(shop.call("GET", "/v1/flags?code=nonsense"), 422) == "invalid_input"
