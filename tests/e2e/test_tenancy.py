"""Who may call what: every route of the OpenAPI document against every kind of caller.

Each route has an entry in ``ROUTES``: the roles it admits and whether it acts on objects of
the caller's seller (``OBJECT``: another seller's caller, or a customer of another order,
gets 404, never 403 nor 200) or on the caller's own collection (``OWN``: they succeed on
their own data and see none of ours). A route in the document without an entry fails
``test_every_route_has_an_entry``, so routes added later are checked too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support import ADMIN_KEY, Shop, bearer, customer_token, ok, open_shop

ADDRESS = {
    "name": "Returns desk",
    "line1": "1 Dock St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}
CALLERS = (
    "none",
    "garbage",
    "platform",
    "admin",
    "seller",
    "warehouse",
    "customer",
    "customer_other",
    "foreign_admin",
    "foreign_seller",
    "foreign_warehouse",
    "foreign_customer",
)
OUTSIDERS = {"customer_other", "foreign_admin", "foreign_seller", "foreign_warehouse"}
OUTSIDERS |= {"foreign_customer"}
STAFF = {"admin", "seller"}
WAREHOUSE = STAFF | {"warehouse"}
ANYONE = WAREHOUSE | {"customer"}


def _role(caller: str) -> str:
    return caller.removeprefix("foreign_").removesuffix("_other")


@dataclass
class World:
    """Our seller with orders and a return, another seller, and a key or token per caller."""

    http: httpx.Client
    ours: Shop
    theirs: Shop
    headers: dict[str, dict[str, str]]
    return_id: str
    order_id: str
    unshipped_order_id: str
    counter: int = 0

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def fresh_return(self, status: str) -> tuple[str, str]:
        """A new return on order A (the customer's), moved by staff to ``status``."""
        made = ok(self.ours.request_return("A", [("1", 1)]), 201)
        ret, item = made["id"], made["items"][0]["id"]
        steps = [
            ("authorized", "authorize", "seller", {}),
            ("received", "receive", "warehouse", {"items": [{"item_id": item, "quantity": 1}]}),
            ("inspected", "inspect", "warehouse", {"items": [_inspection(item)]}),
        ]
        for reached, action, role, body in steps:
            if status == made["status"]:
                break
            made = ok(self.ours.call("POST", f"/v1/returns/{ret}/{action}", role, json=body))
            assert made["status"] == reached
        assert made["status"] == status
        return ret, item


def _inspection(item: str) -> dict[str, Any]:
    return {"item_id": item, "accepted": 1, "condition": "sellable", "disposition": "restock"}


def _order_body(number: str) -> dict[str, Any]:
    return {
        "number": number,
        "customer_email": "zed@example.com",
        "currency": "USD",
        "ordered_at": datetime.now(UTC).isoformat(),
        "lines": [{"line_id": "1", "sku": "TEE", "quantity": 1, "unit_price": 100}],
    }


Request = tuple[str, str, Any]  # method, path, JSON body (None for none)
Build = Callable[[World], Request]


@dataclass(frozen=True)
class Route:
    admits: frozenset[str]  # roles that may call it (`public` for everyone, even without a key)
    scope: str  # OBJECT: acts on our objects; OWN: on the caller's own collection
    success: int
    build: Build


OBJECT, OWN = "object", "own"
PUBLIC = frozenset({"public"})


def _move(action: str, status: str, body: Callable[[str], Any]) -> Build:
    def build(world: World) -> Request:
        ret, item = world.fresh_return(status)
        return "POST", f"/v1/returns/{ret}/{action}", body(item)

    return build


ROUTES: dict[str, Route] = {
    "GET /healthz": Route(PUBLIC, OWN, 200, lambda w: ("GET", "/healthz", None)),
    "POST /v1/sellers": Route(
        frozenset({"platform"}), OWN, 201, lambda w: ("POST", "/v1/sellers", {"name": "New"})
    ),
    "POST /v1/api-keys": Route(
        frozenset({"platform", "admin"}),
        OBJECT,
        201,
        lambda w: ("POST", "/v1/api-keys", {"role": "warehouse", "seller_id": w.ours.seller_id}),
    ),
    "GET /v1/settings": Route(frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/settings", None)),
    "PUT /v1/settings": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("PUT", "/v1/settings", {"transit_days": 20})
    ),
    "GET /v1/policies": Route(frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/policies", None)),
    "PUT /v1/policies/{category}": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("PUT", "/v1/policies/apparel", {"window_days": 20})
    ),
    "GET /v1/reason-codes": Route(
        frozenset(ANYONE), OWN, 200, lambda w: ("GET", "/v1/reason-codes?sku=TEE", None)
    ),
    "POST /v1/return-addresses": Route(
        frozenset(STAFF),
        OWN,
        201,
        lambda w: ("POST", "/v1/return-addresses", {"label": "x", "address": ADDRESS}),
    ),
    "GET /v1/return-addresses": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/return-addresses", None)
    ),
    "PUT /v1/facilities/{code}": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: ("PUT", "/v1/facilities/WH1", {"name": "Main", "address": ADDRESS}),
    ),
    "GET /v1/facilities": Route(
        frozenset(WAREHOUSE), OWN, 200, lambda w: ("GET", "/v1/facilities", None)
    ),
    "POST /v1/products": Route(
        frozenset(STAFF), OWN, 201, lambda w: ("POST", "/v1/products", {"sku": "S", "name": "N"})
    ),
    "POST /v1/orders": Route(
        frozenset(STAFF), OWN, 201, lambda w: ("POST", "/v1/orders", _order_body(w.unique("N")))
    ),
    "GET /v1/orders/{order_ref}": Route(
        frozenset(STAFF), OBJECT, 200, lambda w: ("GET", f"/v1/orders/{w.order_id}", None)
    ),
    "POST /v1/orders/{order_ref}/shipments": Route(
        frozenset(STAFF),
        OBJECT,
        201,
        lambda w: (
            "POST",
            f"/v1/orders/{w.unshipped_order_id}/shipments",
            {
                "shipped_at": datetime.now(UTC).isoformat(),
                "items": [{"line_id": "1", "quantity": 1}],
            },
        ),
    ),
    "POST /v1/portal/sessions": Route(
        PUBLIC,
        OWN,
        201,
        lambda w: (
            "POST",
            "/v1/portal/sessions",
            {"order_number": "A", "email": "ada@example.com"},
        ),
    ),
    "POST /v1/returns": Route(
        frozenset(STAFF | {"customer"}),
        OBJECT,
        201,
        lambda w: (
            "POST",
            "/v1/returns",
            {
                "order_number": "A",
                "items": [{"line_id": "1", "quantity": 1, "reason_code": "CR-DEFECTIVE"}],
            },
        ),
    ),
    "GET /v1/returns": Route(frozenset(ANYONE), OWN, 200, lambda w: ("GET", "/v1/returns", None)),
    "GET /v1/returns/{ref}": Route(
        frozenset(ANYONE), OBJECT, 200, lambda w: ("GET", f"/v1/returns/{w.return_id}", None)
    ),
    "POST /v1/returns/{ref}/authorize": Route(
        frozenset(STAFF), OBJECT, 200, _move("authorize", "pending_review", lambda i: {})
    ),
    "POST /v1/returns/{ref}/deny": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        _move("deny", "pending_review", lambda i: {"reason": "other", "note": "no"}),
    ),
    "POST /v1/returns/{ref}/cancel": Route(
        frozenset(STAFF | {"customer"}),
        OBJECT,
        200,
        _move("cancel", "pending_review", lambda i: {}),
    ),
    "POST /v1/returns/{ref}/close": Route(
        frozenset(STAFF), OBJECT, 200, _move("close", "pending_review", lambda i: {"note": "x"})
    ),
    "POST /v1/returns/{ref}/receive": Route(
        frozenset(WAREHOUSE),
        OBJECT,
        200,
        _move("receive", "authorized", lambda i: {"items": [{"item_id": i, "quantity": 1}]}),
    ),
    "POST /v1/returns/{ref}/inspect": Route(
        frozenset(WAREHOUSE),
        OBJECT,
        200,
        _move("inspect", "received", lambda i: {"items": [_inspection(i)]}),
    ),
    "POST /v1/returns/{ref}/resolve": Route(
        frozenset(STAFF), OBJECT, 200, _move("resolve", "inspected", lambda i: {})
    ),
}


def expected_status(route: Route, caller: str) -> int:
    """What the documented rules say ``caller`` gets from ``route``."""
    if route.admits == PUBLIC:
        return route.success
    if caller in {"none", "garbage"}:
        return 401
    if _role(caller) not in route.admits:
        return 403
    if caller in OUTSIDERS and route.scope == OBJECT:
        return 404
    return route.success


@pytest.fixture
def world(http: httpx.Client) -> World:
    ours, theirs = open_shop(http, "Ours"), open_shop(http, "Theirs")
    lines = [{"line_id": "1", "sku": "TEE", "quantity": 100, "unit_price": 100}]
    order = ours.order("A", lines=lines, delivered_days_ago=45)  # out of window: reviewed
    ours.order("B", email="bob@example.com")
    unshipped = ours.order("C", lines=lines, shipped=False)
    theirs.order("T-1", email="tess@example.com")
    ret = ok(ours.request_return("A", [("1", 1)]), 201)
    headers = {
        "none": {},
        "garbage": bearer("rma_sk_not-a-key"),
        "platform": bearer(ADMIN_KEY),
        **{role: bearer(ours.keys[role]) for role in ("admin", "seller", "warehouse")},
        **{f"foreign_{r}": bearer(theirs.keys[r]) for r in ("admin", "seller", "warehouse")},
        "customer": bearer(customer_token(http, "A")),
        "customer_other": bearer(customer_token(http, "B", "bob@example.com")),
        "foreign_customer": bearer(customer_token(http, "T-1", "tess@example.com")),
    }
    return World(http, ours, theirs, headers, ret["id"], order["id"], unshipped["id"])


def test_every_route_has_an_entry(http: httpx.Client) -> None:
    document = ok(http.get("/openapi.json"))
    served = {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert served - set(ROUTES) == set(), "add these routes to ROUTES in test_tenancy.py"
    assert set(ROUTES) - served == set(), "these routes are no longer served"


@pytest.mark.parametrize("route_name", sorted(ROUTES))
def test_each_caller_gets_the_documented_status(world: World, route_name: str) -> None:
    route = ROUTES[route_name]
    secrets = [world.return_id, world.order_id, world.ours.seller_id]
    wrong = []
    for caller in CALLERS:
        method, path, body = route.build(world)
        response = world.http.request(method, path, json=body, headers=world.headers[caller])
        expected = expected_status(route, caller)
        if response.status_code != expected:
            wrong.append(f"{caller}: {response.status_code} (expected {expected}) {response.text}")
            continue
        if expected >= 400:
            assert response.json()["error"]["code"], response.text
        if caller in OUTSIDERS and route.scope == OWN and route.admits != PUBLIC:
            leaked = [s for s in secrets if s in response.text]
            assert not leaked, f"{caller} sees {leaked} through {route_name}"
    assert not wrong, "\n".join(wrong)


def test_an_expired_customer_token_is_refused(world: World) -> None:
    world.headers["customer"] = {"Authorization": "Bearer rma_cs_expired-or-made-up"}
    response = world.http.get("/v1/returns", headers=world.headers["customer"])
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


BAD_BODIES = {
    "malformed JSON": b'{"order_number": "A", "items": [',
    "wrong types": b'{"order_number": 12, "items": {"line_id": 1}}',
    "a huge string": ('{"order_number": "' + "A" * 1_000_000 + '", "items": []}').encode(),
    "an unknown field": (
        b'{"order_number": "A", "items": [{"line_id": "1", "quantity": 1,'
        b' "reason_code": "CR-DEFECTIVE"}], "refund_twice": true}'
    ),
    "a negative quantity": (
        b'{"order_number": "A", "items": [{"line_id": "1", "quantity": -1,'
        b' "reason_code": "CR-DEFECTIVE"}]}'
    ),
    "not JSON at all": b"order_number=A",
    "not UTF-8": b'{"order_number": "\xff\xfe", "items": []}',
    "a NUL character": (
        b'{"order_number": "A\\u0000", "items": [{"line_id": "1", "quantity": 1,'
        b' "reason_code": "CR-DEFECTIVE"}]}'
    ),
    "a lone surrogate": (
        b'{"order_number": "A", "items": [{"line_id": "1", "quantity": 1,'
        b' "reason_code": "CR-DEFECTIVE", "comment": "\\ud8f5"}]}'
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_bodies_are_422_and_write_nothing(world: World, case: str) -> None:
    before = ok(world.ours.call("GET", "/v1/returns"))["data"]
    response = world.http.post(
        "/v1/returns",
        content=BAD_BODIES[case],
        headers={**world.headers["seller"], "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"
    assert ok(world.ours.call("GET", "/v1/returns"))["data"] == before


def test_a_bad_order_body_writes_no_order(world: World) -> None:
    body = {**_order_body("BAD-1"), "ordered_at": "yesterday", "extra": 1}
    response = world.ours.call("POST", "/v1/orders", json=body)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert {"body.ordered_at", "body.extra"} <= fields
    assert world.ours.call("GET", "/v1/orders/BAD-1").status_code == 404


def test_naive_times_are_refused(world: World) -> None:
    body = {
        **_order_body("NAIVE-1"),
        "ordered_at": (datetime.now() - timedelta(days=1)).isoformat(),
    }
    assert world.ours.call("POST", "/v1/orders", json=body).status_code == 422


@pytest.mark.parametrize(
    "path", ["/v1/reason-codes?sku=%00", "/v1/returns?q=A%00B", "/v1/returns/ret_%00"]
)
def test_a_nul_in_the_url_is_422(world: World, path: str) -> None:
    response = world.http.get(path, headers=world.headers["seller"])
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("when", ["0592-10-03T15:16:25Z", "9999-12-31T23:59:59+00:00"])
def test_times_outside_1970_to_2999_are_refused(world: World, when: str) -> None:
    body = {**_order_body("FAR-1"), "ordered_at": when}
    assert world.ours.call("POST", "/v1/orders", json=body).status_code == 422
