"""Tenancy matrix entries for the routes of the desk, the physical flow, money and webhooks."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from rma.bootstrap import Container
from rma.domain.store_orders import sign as store_sign
from rma.worker import EventWorker
from tests.intake_support import csv_text, order_rows
from tests.physical_support import easypost_event, signed
from tests.support import Shop, ok
from tests.tenancy_world import (
    ANYONE,
    OBJECT,
    OWN,
    PUBLIC,
    STAFF,
    WAREHOUSE,
    Raw,
    Request,
    Route,
    Upload,
    World,
    inspection,
)

SOURCE_SECRET = "s3cret-for-tenancy-0123"
# Never listening: deliveries to it fail, which is all a replay needs.
DEAD_URL = "http://127.0.0.1:65533/hook"  # nothing listens there


def prepare_world(
    http: httpx.Client,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
    ours: Shop,
    theirs: Shop,
    headers: dict[str, dict[str, str]],
    return_id: str,
    order_id: str,
    unshipped_order_id: str,
) -> World:
    """The world, with our carrier source, webhook endpoint and one (failed) delivery."""
    monkeypatch.setattr(container.destinations, "allow_private", True)
    monkeypatch.setattr(container.settings, "webhook_retry_schedule", [0])
    monkeypatch.setattr(container.settings, "webhook_timeout_seconds", 1.0)
    body = {"kind": "easypost", "name": "EasyPost", "secret": SOURCE_SECRET}
    source = ok(ours.call("POST", "/v1/carrier-sources", json=body), 201)
    endpoint = ok(ours.call("POST", "/v1/webhook-endpoints", json={"url": DEAD_URL}), 201)
    ok(ours.call("POST", f"/v1/returns/{return_id}/close", json={"note": "to make an event"}))
    worker = EventWorker(container)
    try:
        worker.drain()
    finally:
        worker.close()
    deliveries = ok(ours.call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"))
    ok(ours.call("POST", f"/v1/returns/{return_id}/reopen", json={}))
    return World(
        http,
        ours,
        theirs,
        headers,
        return_id,
        order_id,
        unshipped_order_id,
        container,
        source["id"],
        SOURCE_SECRET,
        endpoint["id"],
        deliveries["data"][0]["id"],
    )


def _seller(world: World, method: str, path: str, body: Any = None, role: str = "seller") -> Any:
    """Our own staff's call, which must succeed."""
    response = world.ours.call(method, path, role, json=body)
    assert response.is_success, response.text
    return response.json() if response.content else None


def _resolved(world: World, resolution: str) -> tuple[str, dict[str, Any]]:
    """A fresh return resolved to ``resolution``: its id and what the resolution made."""
    ret, item = world.fresh_return("inspected")
    body = {"items": [{"item_id": item, "resolution": resolution}]}
    _seller(world, "POST", f"/v1/returns/{ret}/resolve", body)
    return ret, _seller(world, "GET", f"/v1/returns/{ret}/resolution")


def _refund(world: World) -> str:
    refund: str = _resolved(world, "refund")[1]["refund"]["id"]
    return refund


def _top_up(world: World) -> Request:
    """A return of a new order refunded in part, and a top-up of it.

    Its own order: the returns of order A have used up what it paid long before.
    """
    number = f"TOP-{uuid.uuid4().hex[:8]}"
    world.ours.order(number, email="zed@example.com")
    made = ok(world.ours.request_return(number, [("1", 1)]), 201)
    ret, item = made["id"], made["items"][0]["id"]
    _seller(
        world, "POST", f"/v1/returns/{ret}/receive", {"items": [{"item_id": item, "quantity": 1}]}
    )
    _seller(world, "POST", f"/v1/returns/{ret}/inspect", {"items": [inspection(item)]})
    _seller(world, "POST", f"/v1/returns/{ret}/resolve", {"refund_amount": 100})
    return "POST", f"/v1/returns/{ret}/refunds", {"amount": 50}


def _rma_number(world: World) -> str:
    ret, _ = world.fresh_return("authorized")
    number: str = _seller(world, "GET", f"/v1/returns/{ret}")["rma_number"]
    return number


def _pdf() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "prepaid label")
    canvas.save()
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _photo(world: World) -> Request:
    ret, item = world.fresh_return("received")
    upload = {"file": ("a.png", _png(), "image/png")}
    made = world.ours.call("POST", f"/v1/returns/{ret}/items/{item}/photos", files=upload)
    return "GET", f"/v1/returns/{ret}/photos/{ok(made, 201)['id']}", None


def _reopen(world: World) -> Request:
    ret, _ = world.fresh_return("pending_review")
    _seller(world, "POST", f"/v1/returns/{ret}/close", {"note": "closed by mistake"})
    return "POST", f"/v1/returns/{ret}/reopen", {}


def _match(world: World) -> Request:
    queued = _seller(world, "POST", "/v1/receipts", {"scan": world.unique("NO-LABEL")}, "warehouse")
    ret, item = world.fresh_return("authorized")
    body = {"return_ref": ret, "items": [{"item_id": item, "quantity": 1}]}
    return "POST", f"/v1/receipts/{queued['id']}/match", body


def _sku_policy(world: World) -> str:
    sku = world.unique("SKU")
    _seller(world, "PUT", f"/v1/sku-policies/{sku}", {"window_days": 10})
    return sku


def _endpoint(world: World) -> str:
    endpoint: str = _seller(world, "POST", "/v1/webhook-endpoints", {"url": DEAD_URL})["id"]
    return endpoint


def _carrier_event(world: World) -> Request:
    scanned = easypost_event(
        world.unique("EZ"), [("in_transit", "2026-11-01T09:00:00Z", "Picked up")]
    )
    content, headers = signed("easypost", world.source_secret, scanned)
    return "POST", f"/v1/carrier-events?source={world.source_id}", Raw(content, headers)


def _fresh_key(world: World) -> str:
    """A new warehouse key of ours, for a caller to revoke without disturbing the others."""
    issued = ok(world.ours.call("POST", "/v1/api-keys", "admin", json={"role": "warehouse"}), 201)
    key_id: str = issued["id"]
    return key_id


def _store_event(world: World) -> Request:
    body = {"kind": "woocommerce", "name": "Woo", "secret": SOURCE_SECRET}
    store = ok(world.ours.call("POST", "/v1/store-sources", json=body), 201)
    order = {
        "id": 1,
        "number": world.unique("WOO"),
        "currency": "USD",
        "date_created_gmt": "2026-11-01T10:00:00",
        "date_modified_gmt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "billing": {"email": "ada@example.com"},
        "line_items": [{"id": 1, "sku": "TEE", "quantity": 1, "price": 25}],
    }
    content = json.dumps(order).encode()
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Signature": store_sign(SOURCE_SECRET, content),
    }
    return "POST", f"/v1/store-events?source={store['id']}", Raw(content, headers)


ADDED_ROUTES: dict[str, Route] = {
    # -- keys -------------------------------------------------------------------------------
    "GET /v1/api-keys": Route(
        frozenset(STAFF | {"platform"}), OWN, 200, lambda w: ("GET", "/v1/api-keys", None)
    ),
    "POST /v1/api-keys/{key_id}/revoke": Route(
        frozenset(STAFF | {"platform"}),
        OBJECT,
        200,
        lambda w: ("POST", f"/v1/api-keys/{_fresh_key(w)}/revoke", None),
    ),
    # -- setup ------------------------------------------------------------------------------
    "GET /v1/sku-policies": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/sku-policies", None)
    ),
    "PUT /v1/sku-policies/{sku}": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: ("PUT", "/v1/sku-policies/TEE", {"window_days": 20}),
    ),
    "DELETE /v1/sku-policies/{sku}": Route(
        frozenset(STAFF),
        OBJECT,
        204,
        lambda w: ("DELETE", f"/v1/sku-policies/{_sku_policy(w)}", None),
    ),
    "PUT /v1/reason-codes/{code}": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: ("PUT", "/v1/reason-codes/X-SCRATCHED", {"description": "d", "fault": "buyer"}),
    ),
    "POST /v1/amazon/credentials": Route(
        frozenset({"platform", "admin"}),
        OBJECT,
        201,
        lambda w: ("POST", "/v1/amazon/credentials", {"seller_id": w.ours.seller_id}),
    ),
    # -- the desk ---------------------------------------------------------------------------
    "GET /v1/returns/counts": Route(
        frozenset(WAREHOUSE), OWN, 200, lambda w: ("GET", "/v1/returns/counts", None)
    ),
    # Another seller's ids are answered one by one as not found, inside a 200.
    "POST /v1/returns/authorize": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: ("POST", "/v1/returns/authorize", {"ids": [w.fresh_return("pending_review")[0]]}),
    ),
    "POST /v1/returns/deny": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: (
            "POST",
            "/v1/returns/deny",
            {"ids": [w.fresh_return("pending_review")[0]], "reason": "other"},
        ),
    ),
    "POST /v1/returns/close": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: ("POST", "/v1/returns/close", {"ids": [w.fresh_return("authorized")[0]]}),
    ),
    "POST /v1/returns/{ref}/reopen": Route(frozenset(STAFF), OBJECT, 200, _reopen),
    # -- carriers and tracking --------------------------------------------------------------
    "GET /v1/carrier-sources": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/carrier-sources", None)
    ),
    "POST /v1/carrier-sources": Route(
        frozenset(STAFF),
        OWN,
        201,
        lambda w: ("POST", "/v1/carrier-sources", {"kind": "shippo", "name": "Shippo"}),
    ),
    # The carrier's signature authenticates it, whatever bearer comes along.
    "POST /v1/carrier-events": Route(PUBLIC, OWN, 200, _carrier_event),
    "PUT /v1/returns/{ref}/tracking": Route(
        frozenset(STAFF | {"customer"}),
        OBJECT,
        200,
        lambda w: (
            "PUT",
            f"/v1/returns/{w.fresh_return('authorized')[0]}/tracking",
            {"carrier": "usps", "tracking_number": w.unique("9400")},
        ),
    ),
    "GET /v1/returns/{ref}/tracking": Route(
        frozenset(ANYONE),
        OBJECT,
        200,
        lambda w: ("GET", f"/v1/returns/{w.return_id}/tracking", None),
    ),
    # -- the warehouse ----------------------------------------------------------------------
    # A scan matches the caller's returns only: another seller's box is queued as theirs.
    "POST /v1/receipts": Route(
        frozenset(WAREHOUSE), OWN, 201, lambda w: ("POST", "/v1/receipts", {"scan": _rma_number(w)})
    ),
    "GET /v1/receipts": Route(
        frozenset(WAREHOUSE), OWN, 200, lambda w: ("GET", "/v1/receipts", None)
    ),
    "GET /v1/scans/{scan}": Route(
        frozenset(WAREHOUSE), OWN, 200, lambda w: ("GET", f"/v1/scans/{_rma_number(w)}", None)
    ),
    "POST /v1/receipts/{receipt_id}/match": Route(frozenset(WAREHOUSE), OBJECT, 200, _match),
    "POST /v1/returns/{ref}/items/{item_id}/photos": Route(
        frozenset(WAREHOUSE),
        OBJECT,
        201,
        lambda w: (
            lambda ret, item: (
                "POST",
                f"/v1/returns/{ret}/items/{item}/photos",
                Upload({"file": ("a.png", _png(), "image/png")}),
            )
        )(*w.fresh_return("received")),
    ),
    "GET /v1/returns/{ref}/photos/{photo_id}": Route(frozenset(WAREHOUSE), OBJECT, 200, _photo),
    "GET /v1/returns/{ref}/findings": Route(
        frozenset(WAREHOUSE),
        OBJECT,
        200,
        lambda w: ("GET", f"/v1/returns/{w.return_id}/findings", None),
    ),
    "GET /v1/flags": Route(
        frozenset(WAREHOUSE), OWN, 200, lambda w: ("GET", "/v1/flags?code=partial_receipt", None)
    ),
    "GET /v1/inventory/movements": Route(
        frozenset(WAREHOUSE), OWN, 200, lambda w: ("GET", "/v1/inventory/movements", None)
    ),
    "GET /v1/inventory/reconciliation": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/inventory/reconciliation", None)
    ),
    # -- labels -----------------------------------------------------------------------------
    "GET /v1/returns/{ref}/label.pdf": Route(
        frozenset(ANYONE),
        OBJECT,
        200,
        lambda w: ("GET", f"/v1/returns/{w.fresh_return('authorized')[0]}/label.pdf", None),
    ),
    "PUT /v1/returns/{ref}/label": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: (
            "PUT",
            f"/v1/returns/{w.fresh_return('authorized')[0]}/label",
            Upload({"file": ("label.pdf", _pdf(), "application/pdf")}, {"cost": "650"}),
        ),
    ),
    "GET /v1/returns/{ref}/links": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: ("GET", f"/v1/returns/{w.fresh_return('authorized')[0]}/links", None),
    ),
    # -- money ------------------------------------------------------------------------------
    "GET /v1/returns/{ref}/resolution": Route(
        frozenset(ANYONE),
        OBJECT,
        200,
        lambda w: ("GET", f"/v1/returns/{w.return_id}/resolution", None),
    ),
    "POST /v1/returns/{ref}/resolution-preview": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: (
            "POST",
            f"/v1/returns/{w.fresh_return('inspected')[0]}/resolution-preview",
            {"refund_amount": 100},
        ),
    ),
    "POST /v1/returns/{ref}/refunds": Route(frozenset(STAFF), OBJECT, 201, _top_up),
    "GET /v1/refunds": Route(frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/refunds", None)),
    "GET /v1/refunds/{refund_id}": Route(
        frozenset(STAFF), OBJECT, 200, lambda w: ("GET", f"/v1/refunds/{_refund(w)}", None)
    ),
    "POST /v1/refunds/{refund_id}/confirm": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: ("POST", f"/v1/refunds/{_refund(w)}/confirm", {"status": "succeeded"}),
    ),
    "POST /v1/refunds/{refund_id}/retry": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: (
            lambda refund: (
                _seller(w, "POST", f"/v1/refunds/{refund}/confirm", {"status": "failed"}),
                ("POST", f"/v1/refunds/{refund}/retry", None),
            )[1]
        )(_refund(w)),
    ),
    "GET /v1/store-credit": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: ("GET", "/v1/store-credit?customer_email=ada@example.com", None),
    ),
    # The customer's balance with our seller is the object: another seller has none to spend.
    "POST /v1/store-credit/redemptions": Route(
        frozenset(STAFF),
        OBJECT,
        201,
        lambda w: (
            _resolved(w, "store_credit"),
            (
                "POST",
                "/v1/store-credit/redemptions",
                {"customer_email": "ada@example.com", "currency": "USD", "amount": 1},
            ),
        )[1],
    ),
    "GET /v1/outbound-orders": Route(
        frozenset(WAREHOUSE), OWN, 200, lambda w: ("GET", "/v1/outbound-orders", None)
    ),
    "POST /v1/outbound-orders/{order_id}/status": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: (
            "POST",
            f"/v1/outbound-orders/{_resolved(w, 'replacement')[1]['outbound_orders'][0]['id']}"
            "/status",
            {"status": "cancelled"},
        ),
    ),
    "GET /v1/repair-orders": Route(
        frozenset(WAREHOUSE), OWN, 200, lambda w: ("GET", "/v1/repair-orders", None)
    ),
    "POST /v1/repair-orders/{order_id}/status": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: (
            "POST",
            f"/v1/repair-orders/{_resolved(w, 'repair')[1]['repair_orders'][0]['id']}/status",
            {"status": "repaired"},
        ),
    ),
    # -- webhooks and events ----------------------------------------------------------------
    "GET /v1/webhook-endpoints": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/webhook-endpoints", None)
    ),
    "POST /v1/webhook-endpoints": Route(
        frozenset(STAFF), OWN, 201, lambda w: ("POST", "/v1/webhook-endpoints", {"url": DEAD_URL})
    ),
    "PATCH /v1/webhook-endpoints/{endpoint_id}": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: ("PATCH", f"/v1/webhook-endpoints/{w.endpoint_id}", {"description": "x"}),
    ),
    "DELETE /v1/webhook-endpoints/{endpoint_id}": Route(
        frozenset(STAFF),
        OBJECT,
        204,
        lambda w: ("DELETE", f"/v1/webhook-endpoints/{_endpoint(w)}", None),
    ),
    "POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: ("POST", f"/v1/webhook-endpoints/{_endpoint(w)}/rotate-secret", None),
    ),
    "GET /v1/webhook-endpoints/{endpoint_id}/deliveries": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: ("GET", f"/v1/webhook-endpoints/{w.endpoint_id}/deliveries", None),
    ),
    "POST /v1/webhook-deliveries/{delivery_id}/replay": Route(
        frozenset(STAFF),
        OBJECT,
        202,
        lambda w: ("POST", f"/v1/webhook-deliveries/{w.delivery_id}/replay", None),
    ),
    "GET /v1/events": Route(frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/events", None)),
    # -- trust: the audit trail (admins only) and its public key ----------------------------
    "GET /v1/audit": Route(
        frozenset({"admin", "platform"}), OWN, 200, lambda w: ("GET", "/v1/audit", None)
    ),
    "GET /v1/audit/verify": Route(
        frozenset({"admin", "platform"}), OWN, 200, lambda w: ("GET", "/v1/audit/verify", None)
    ),
    # -- trust: abuse signals (staff only; a customer never sees them) ----------------------
    "GET /v1/risk/rules": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/risk/rules", None)
    ),
    "PUT /v1/risk/rules/{code}": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: ("PUT", "/v1/risk/rules/high_value", {"params": {"min_value": 100_000}}),
    ),
    "DELETE /v1/risk/rules/{code}": Route(
        frozenset(STAFF), OBJECT, 204, lambda w: ("DELETE", f"/v1/risk/rules/{_risk_rule(w)}", None)
    ),
    "GET /v1/risk/lists": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/risk/lists", None)
    ),
    "POST /v1/risk/lists": Route(
        frozenset(STAFF),
        OWN,
        201,
        lambda w: ("POST", "/v1/risk/lists", {"list": "allow", "value": "x@example.com"}),
    ),
    "DELETE /v1/risk/lists/{entry_id}": Route(
        frozenset(STAFF),
        OBJECT,
        204,
        lambda w: ("DELETE", f"/v1/risk/lists/{_list_entry(w)}", None),
    ),
    "GET /v1/risk/review-queue": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/risk/review-queue", None)
    ),
    "GET /v1/risk/customers": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: ("GET", "/v1/risk/customers?email=ada@example.com", None),
    ),
    "GET /v1/returns/{ref}/risk": Route(
        frozenset(STAFF), OBJECT, 200, lambda w: ("GET", f"/v1/returns/{w.return_id}/risk", None)
    ),
    "GET /v1/audit/public-key": Route(
        PUBLIC, OWN, 200, lambda w: ("GET", "/v1/audit/public-key", None)
    ),
    # -- intake ----------------------------------------------------------------------------
    "POST /v1/store-sources": Route(
        frozenset(STAFF),
        OWN,
        201,
        lambda w: ("POST", "/v1/store-sources", {"kind": "shopify", "name": "Shop"}),
    ),
    "GET /v1/store-sources": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/store-sources", None)
    ),
    # The store's signature authenticates it, whatever bearer comes along.
    "POST /v1/store-events": Route(PUBLIC, OWN, 200, _store_event),
    "POST /v1/orders/import": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: ("POST", "/v1/orders/import", Upload({"file": ("o.csv", _csv(), "text/csv")})),
    ),
}

# Returns intelligence keeps its entries in a module of its own.
from tests.tenancy_analytics import ANALYTICS_ROUTES  # noqa: E402

ADDED_ROUTES.update(ANALYTICS_ROUTES)


def _risk_rule(world: World) -> str:
    """A rule of ours, made afresh (each caller deletes its own)."""
    body = {"params": {"min_value": 100_000}}
    _seller(world, "PUT", "/v1/risk/rules/high_value", body)
    return "high_value"


def _list_entry(world: World) -> str:
    """An allow-list entry of ours, made afresh."""
    body = {"list": "allow", "value": f"{world.unique('x')}@example.com"}
    entry: str = _seller(world, "POST", "/v1/risk/lists", body)["id"]
    return entry


def _csv() -> bytes:
    return csv_text(order_rows(1, prefix="MATRIX")).encode()
