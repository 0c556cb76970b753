"""Tenancy matrix entries for partners, routing rules, supplier RMAs and the partner API.

The world gains a supplier of ours (the ``partner`` caller, which dropships mugs) and a 3PL
(``partner_other``): the 3PL must not find any of the supplier's returns, and neither may
use any route but the partner API.
"""

from __future__ import annotations

from typing import Any

from tests.support import bearer, ok
from tests.tenancy_world import ADDRESS, OBJECT, OWN, STAFF, Request, Route, World

PARTNER = frozenset({"partner"})
MUGS = [{"line_id": "1", "sku": "MUG", "quantity": 100, "unit_price": 1000}]


def prepare_partners(world: World) -> None:
    """Our supplier and 3PL, a rule sending mugs to the supplier, and a key for each."""
    ours = world.ours
    supplier = ok(
        ours.call(
            "POST",
            "/v1/partners",
            json={
                "kind": "supplier",
                "name": "Mug Co",
                "contact_email": "rma@mugco.example",
                "address": ADDRESS,
                "skus": ["MUG"],
            },
        ),
        201,
    )
    threepl = ok(
        ours.call(
            "POST",
            "/v1/partners",
            json={
                "kind": "3pl",
                "name": "Ful",
                "contact_email": "x@ful.example",
                "address": ADDRESS,
            },
        ),
        201,
    )
    rule = {
        "name": "Mugs to Mug Co",
        "conditions": {"skus": ["MUG"]},
        "destination": {"kind": "partner", "ref": supplier["id"]},
    }
    ok(ours.call("PUT", "/v1/routing-rules", json={"rules": [rule]}))
    for caller, partner in (("partner", supplier), ("partner_other", threepl)):
        path = f"/v1/partners/{partner['id']}/api-keys"
        world.headers[caller] = bearer(ok(ours.call("POST", path, "admin", json={}), 201)["key"])
    ours.order("P", lines=MUGS)
    world.extra["partner_id"] = supplier["id"]
    accepted, _ = supplier_return(world, "accepted")
    world.extra["supplier_rma_id"] = ok(
        world.http.get(f"/v1/partner/returns/{accepted}", headers=world.headers["partner"])
    )["supplier_rma"]["id"]
    world.extra["partner_return_id"] = accepted


def supplier_return(world: World, status: str) -> tuple[str, str]:
    """A new return of mugs, routed to our supplier, moved to ``status``."""
    made = ok(world.ours.request_return("P", [("1", 1)]), 201)
    ret, item = made["id"], made["items"][0]["id"]
    as_partner = world.headers["partner"]
    steps = [
        ("accepted", "answer", {"accept": True, "rma_number": world.unique("MUG")}),
        ("received", "receive", {"items": [{"item_id": item, "quantity": 1}]}),
    ]
    for reached, action, body in steps:
        if status == "requested":
            break
        path = f"/v1/partner/returns/{ret}/{action}"
        ok(world.http.post(path, json=body, headers=as_partner))
        if status == reached:
            break
    return ret, item


def _partner_move(action: str, status: str, body: Any) -> Any:
    def build(world: World) -> Request:
        ret, item = supplier_return(world, status)
        return "POST", f"/v1/partner/returns/{ret}/{action}", body(item, world)

    return build


def _inspection(item: str, _world: World) -> dict[str, Any]:
    return {
        "items": [
            {"item_id": item, "accepted": 1, "condition": "defective", "disposition": "dispose"}
        ]
    }


PARTNER_ROUTES: dict[str, Route] = {
    "POST /v1/partners": Route(
        frozenset(STAFF),
        OWN,
        201,
        lambda w: (
            "POST",
            "/v1/partners",
            {"kind": "supplier", "name": "S", "contact_email": "s@s.example", "address": ADDRESS},
        ),
    ),
    "GET /v1/partners": Route(frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/partners", None)),
    "GET /v1/partners/{partner_id}": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: ("GET", f"/v1/partners/{w.extra['partner_id']}", None),
    ),
    "POST /v1/partners/{partner_id}/api-keys": Route(
        frozenset({"admin"}),
        OBJECT,
        201,
        lambda w: ("POST", f"/v1/partners/{w.extra['partner_id']}/api-keys", {}),
    ),
    "GET /v1/routing-rules": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/routing-rules", None)
    ),
    "PUT /v1/routing-rules": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("PUT", "/v1/routing-rules", {"rules": []})
    ),
    "GET /v1/supplier-rmas": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/supplier-rmas", None)
    ),
    "POST /v1/supplier-rmas/{rma_id}/credits": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: (
            "POST",
            f"/v1/supplier-rmas/{w.extra['supplier_rma_id']}/credits",
            {"amount": 1},
        ),
    ),
    "GET /v1/supplier-credit": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/supplier-credit", None)
    ),
    "GET /v1/supplier-credit/export.csv": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/supplier-credit/export.csv", None)
    ),
    "GET /v1/partner/returns": Route(
        PARTNER, OWN, 200, lambda w: ("GET", "/v1/partner/returns", None)
    ),
    "GET /v1/partner/returns/{ref}": Route(
        PARTNER,
        OBJECT,
        200,
        lambda w: ("GET", f"/v1/partner/returns/{w.extra['partner_return_id']}", None),
    ),
    "POST /v1/partner/returns/{ref}/answer": Route(
        PARTNER,
        OBJECT,
        200,
        _partner_move("answer", "requested", lambda i, w: {"accept": False, "reason": "no"}),
    ),
    "POST /v1/partner/returns/{ref}/receive": Route(
        PARTNER,
        OBJECT,
        200,
        _partner_move(
            "receive", "accepted", lambda i, w: {"items": [{"item_id": i, "quantity": 1}]}
        ),
    ),
    "POST /v1/partner/returns/{ref}/inspect": Route(
        PARTNER, OBJECT, 200, _partner_move("inspect", "received", _inspection)
    ),
    "POST /v1/partner/returns/{ref}/resolve": Route(
        PARTNER,
        OBJECT,
        200,
        _partner_move("resolve", "accepted", lambda i, w: {"outcome": "credit"}),
    ),
}
