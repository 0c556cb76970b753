"""Dropship and 3PL returns end to end: routing, splitting, the supplier's answer, credit."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from rma.adapters.orm_events import email_messages
from rma.bootstrap import Container
from rma.services.clock import utcnow
from rma.services.supplier_rmas import remind_and_escalate
from tests.partner_support import (
    MIXED_LINES,
    drain,
    partnered_shop,
    supplier_links,
)
from tests.support import error_code, ok

ADDRESS_FORM = {
    "name": "Acme RMA desk",
    "line1": "10 Kiln Road",
    "city": "Stoke",
    "postal_code": "ST1 2BB",
    "country": "GB",
}


def _mixed_return(http: httpx.Client) -> tuple:
    world = partnered_shop(http)
    world.shop.order("M-1", lines=MIXED_LINES)
    made = ok(world.shop.request_return("M-1", [("1", 1), ("2", 1)]), 201)
    return world, made


def test_rules_split_a_mixed_order_into_own_warehouse_and_supplier(http: httpx.Client) -> None:
    world, made = _mixed_return(http)
    assert len(made["split"]) == 1
    own, supplier = made, made["split"][0]
    assert [i["sku"] for i in own["items"]] == ["TEE"]
    assert own["status"] == "authorized"
    assert own["return_address"]["line1"] == "1 Dock St"
    assert own["routing"]["destination"] == {"kind": "facility", "ref": "WH1", "name": "Home"}
    assert own["routing"]["explanation"].startswith("rule 3 \u201cEverything else\u201d")
    assert [i["sku"] for i in supplier["items"]] == ["MUG"]
    assert supplier["status"] == "pending_review"  # waiting for the supplier's answer
    assert supplier["routing"]["partner_kind"] == "supplier"
    assert supplier["routing"]["explanation"] == (
        "rule 1 \u201cDropshipped by Acme\u201d: supplied by Acme Mugs"
    )
    assert own["group_id"] == supplier["group_id"] is not None
    assert supplier["history"][-1]["note"] == "waiting for Acme Mugs"
    rmas = ok(world.shop.call("GET", "/v1/supplier-rmas"))["data"]
    assert [(r["return_id"], r["status"], r["expected_credit"]) for r in rmas] == [
        (supplier["id"], "requested", 1080)  # 1200 less the supplier's 10% restocking fee
    ]
    events = ok(world.shop.call("GET", "/v1/events?limit=100"))["data"]
    types = [e["type"] for e in events]
    assert types.count("return.routed") == 2
    assert "supplier_rma.requested" in types


def test_a_supplier_accepts_by_email_link_and_its_number_is_on_the_label(
    http: httpx.Client, container: Container, tmp_path: Path
) -> None:
    world, made = _mixed_return(http)
    supplier_return = made["split"][0]
    drain(container)
    [links] = supplier_links(container)
    accept = links["Accept the return"]
    assert "Acme" in http.get(accept).text  # GET shows the form and changes nothing
    done = http.post(accept, data={"rma_number": "acme-7781", **ADDRESS_FORM})
    assert done.status_code == 200, done.text
    assert "ACME-7781" in done.text

    ret = ok(world.shop.call("GET", f"/v1/returns/{supplier_return['id']}"))
    assert ret["status"] == "authorized"
    assert ret["routing"]["supplier_rma_number"] == "ACME-7781"
    assert ret["return_address"]["line1"] == "10 Kiln Road"
    label = world.shop.call("GET", f"/v1/returns/{ret['id']}/label.pdf")
    assert label.status_code == 200
    (tmp_path / "label.pdf").write_bytes(label.content)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "label.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Supplier RMA ACME-7781" in text
    assert "10 Kiln Road" in text

    # The same link again, the refuse link of the same email, or an altered link: no change.
    again = http.post(accept, data={"rma_number": "OTHER-1", **ADDRESS_FORM})
    assert again.status_code == 409
    refuse = http.post(links["Refuse it"], data={"reason": "changed our mind"})
    assert refuse.status_code == 409
    altered = accept[:-3] + ("AAA" if not accept.endswith("AAA") else "BBB")
    assert http.post(altered, data={"rma_number": "X-1", **ADDRESS_FORM}).status_code == 404
    after = ok(world.shop.call("GET", f"/v1/returns/{ret['id']}"))
    assert after["routing"]["supplier_rma_number"] == "ACME-7781"
    assert after["version"] == ret["version"]


def test_a_supplier_refusal_goes_back_to_the_seller_who_is_told(
    http: httpx.Client, container: Container
) -> None:
    world, made = _mixed_return(http)
    ok(world.shop.call("PUT", "/v1/settings", json={"notification_email": "ops@shop.example"}))
    supplier_return = made["split"][0]
    drain(container)
    [links] = supplier_links(container)
    refused = http.post(links["Refuse it"], data={"reason": "outside our 30-day window"})
    assert refused.status_code == 200, refused.text

    ret = ok(world.shop.call("GET", f"/v1/returns/{supplier_return['id']}"))
    assert ret["status"] == "pending_review"  # on the seller's desk for a decision
    assert ret["history"][-1]["action"] == "supplier_refused"
    drain(container)
    with container.engine.connect() as connection:
        subjects = connection.execute(
            select(email_messages.c.subject).where(email_messages.c.recipient == "ops@shop.example")
        ).scalars()
        assert any("refused" in s for s in subjects)
    # The seller decides: authorized to its own address, not the supplier's.
    decided = ok(world.shop.call("POST", f"/v1/returns/{ret['id']}/authorize", json={}))
    assert decided["status"] == "authorized"
    assert decided["return_address"] is None or decided["return_address"]["country"] != "GB"


def test_a_rule_to_a_missing_partner_or_facility_is_422(http: httpx.Client) -> None:
    world = partnered_shop(http)
    before = ok(world.shop.call("GET", "/v1/routing-rules"))["data"]
    for destination in ({"kind": "partner", "ref": "ptn_nope"}, {"kind": "facility", "ref": "NO"}):
        response = world.shop.call(
            "PUT", "/v1/routing-rules", json={"rules": [{"destination": destination}]}
        )
        assert error_code(response, 422) == "unknown_destination"
    assert ok(world.shop.call("GET", "/v1/routing-rules"))["data"] == before


def test_a_partner_acting_on_another_partners_return_gets_404(http: httpx.Client) -> None:
    world = partnered_shop(http)
    world.shop.order("S-1", lines=MIXED_LINES)
    made = ok(world.shop.request_return("S-1", [("3", 1)]), 201)
    assert made["routing"]["destination"]["ref"] == world.threepl_id
    item = made["items"][0]["id"]
    body = {"items": [{"item_id": item, "quantity": 1}]}
    path = f"/v1/partner/returns/{made['id']}"
    for who in ("other_3pl", "supplier"):
        assert error_code(world.partner_call(who, "GET", path), 404) == "return_not_found"
        response = world.partner_call(who, "POST", f"{path}/receive", json=body)
        assert error_code(response, 404) == "return_not_found"
    # The 3PL's key cannot use the seller's own routes either.
    assert world.partner_call("3pl", "GET", "/v1/returns").status_code == 403
    received = ok(world.partner_call("3pl", "POST", f"{path}/receive", json=body))
    assert received["status"] == "received"
    assert "customer_email" not in received
    listed = ok(world.partner_call("3pl", "GET", "/v1/partner/returns"))["data"]
    assert [r["id"] for r in listed] == [made["id"]]
    assert ok(world.partner_call("other_3pl", "GET", "/v1/partner/returns"))["data"] == []


def test_supplier_credit_is_reconciled(http: httpx.Client, container: Container) -> None:
    world, made = _mixed_return(http)
    ret_id = made["split"][0]["id"]
    answer = {"accept": True, "rma_number": "ACME-9"}
    ok(world.partner_call("supplier", "POST", f"/v1/partner/returns/{ret_id}/answer", json=answer))
    ret = ok(world.shop.call("GET", f"/v1/returns/{ret_id}"))
    assert ret["return_address"]["line1"] == "9 Kiln Road"  # the supplier's own address
    item = ret["items"][0]["id"]
    path = f"/v1/partner/returns/{ret_id}"
    ok(
        world.partner_call(
            "supplier",
            "POST",
            f"{path}/receive",
            json={"items": [{"item_id": item, "quantity": 1}]},
        )
    )
    inspection = {
        "item_id": item,
        "accepted": 1,
        "condition": "defective",
        "disposition": "return_to_vendor",
    }
    ok(world.partner_call("supplier", "POST", f"{path}/inspect", json={"items": [inspection]}))
    resolved = ok(
        world.partner_call(
            "supplier", "POST", f"{path}/resolve", json={"outcome": "credit", "credit_memo": "CM-1"}
        )
    )
    rma = resolved["supplier_rma"]
    assert (rma["status"], rma["expected_credit"], rma["open_balance"]) == ("resolved", 1080, 1080)

    [balance] = ok(world.shop.call("GET", "/v1/supplier-credit"))["data"]
    assert (balance["expected"], balance["received"], balance["open"]) == (1080, 0, 1080)
    ok(world.shop.call("POST", f"/v1/supplier-rmas/{rma['id']}/credits", json={"amount": 1000}))
    ok(world.shop.call("POST", f"/v1/supplier-rmas/{rma['id']}/credits", json={"amount": 80}))
    [balance] = ok(world.shop.call("GET", "/v1/supplier-credit"))["data"]
    assert (balance["expected"], balance["received"], balance["open"]) == (1080, 1080, 0)
    export = world.shop.call("GET", "/v1/supplier-credit/export.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert "Acme Mugs" in export.text
    assert ",1080,1080,0" in export.text
    types = [e["type"] for e in ok(world.shop.call("GET", "/v1/events?limit=100"))["data"]]
    for kind in ("supplier_rma.accepted", "supplier_rma.resolved", "supplier_credit.recorded"):
        assert kind in types


def test_an_unanswered_supplier_is_reminded_then_the_seller_is_told(
    http: httpx.Client, container: Container
) -> None:
    world, made = _mixed_return(http)
    ok(world.shop.call("PUT", "/v1/settings", json={"notification_email": "ops@shop.example"}))
    supplier_return = made["split"][0]["id"]
    later = utcnow()
    assert remind_and_escalate(container.uow(), later + timedelta(hours=1)) == 0
    assert remind_and_escalate(container.uow(), later + timedelta(hours=25)) == 1  # reminded
    assert remind_and_escalate(container.uow(), later + timedelta(hours=26)) == 0  # once
    assert remind_and_escalate(container.uow(), later + timedelta(hours=49)) == 1  # escalated
    drain(container)
    first, reminder = supplier_links(container)
    assert set(reminder) == {"Accept the return", "Refuse it"}
    [rma] = ok(world.shop.call("GET", "/v1/supplier-rmas"))["data"]
    assert rma["status"] == "escalated"
    ret = ok(world.shop.call("GET", f"/v1/returns/{supplier_return}"))
    assert ret["history"][-1]["action"] == "supplier_escalated"
    with container.engine.connect() as connection:
        told = connection.execute(
            select(email_messages.c.subject).where(email_messages.c.recipient == "ops@shop.example")
        ).scalars()
        assert any("has not answered" in s for s in told)
    # The supplier may still answer after the escalation, by the reminder's link.
    answered = http.post(reminder["Accept the return"], data={"rma_number": "L-1", **ADDRESS_FORM})
    assert answered.status_code == 200, answered.text
    assert ok(world.shop.call("GET", f"/v1/returns/{supplier_return}"))["status"] == "authorized"
    # The first email's links have their own token; the case is answered, so they change nothing.
    late = http.post(first["Refuse it"], data={"reason": "too late"})
    assert late.status_code == 409


def test_a_seller_deciding_first_lets_the_supplier_go(
    http: httpx.Client, container: Container
) -> None:
    world, made = _mixed_return(http)
    supplier_return = made["split"][0]["id"]
    drain(container)
    [links] = supplier_links(container)
    decided = ok(world.shop.call("POST", f"/v1/returns/{supplier_return}/authorize", json={}))
    assert decided["status"] == "authorized"
    [rma] = ok(world.shop.call("GET", "/v1/supplier-rmas"))["data"]
    assert (rma["status"], rma["open_balance"]) == ("withdrawn", 0)
    late = http.post(links["Accept the return"], data={"rma_number": "LATE-1", **ADDRESS_FORM})
    assert late.status_code == 409
    path = f"/v1/partner/returns/{supplier_return}"
    assert error_code(world.partner_call("supplier", "GET", path), 404) == "return_not_found"
    after = ok(world.shop.call("GET", f"/v1/returns/{supplier_return}"))
    assert (
        "supplier_rma_number" not in (after["routing"] or {})
        or not after["routing"]["supplier_rma_number"]
    )
