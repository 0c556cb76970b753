"""Who may call what: every route of the OpenAPI document against every kind of caller.

Each route has an entry in ``ROUTES``: the roles it admits and whether it acts on objects of
the caller's seller (``OBJECT``: another seller's caller, or a customer of another order,
gets 404, never 403 nor 200) or on the caller's own collection (``OWN``: they succeed on
their own data and see none of ours). A route in the document without an entry fails
``test_every_route_has_an_entry``, so routes added later are checked too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from rma.bootstrap import Container
from tests.support import ADMIN_KEY, bearer, customer_token, ok, open_shop
from tests.tenancy_customer_routes import CUSTOMER_ROUTES
from tests.tenancy_partners import PARTNER_ROUTES, prepare_partners
from tests.tenancy_routes import ADDED_ROUTES, prepare_world
from tests.tenancy_world import (
    ADDRESS,
    ANYONE,
    CALLERS,
    OBJECT,
    OUTSIDERS,
    OWN,
    PUBLIC,
    STAFF,
    WAREHOUSE,
    Route,
    World,
    inspection,
    move,
    order_body,
    role_of,
    send,
)

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
        frozenset(STAFF), OWN, 201, lambda w: ("POST", "/v1/orders", order_body(w.unique("N")))
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
        frozenset(STAFF), OBJECT, 200, move("authorize", "pending_review", lambda i: {})
    ),
    "POST /v1/returns/{ref}/deny": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        move("deny", "pending_review", lambda i: {"reason": "other", "note": "no"}),
    ),
    "POST /v1/returns/{ref}/cancel": Route(
        frozenset(STAFF | {"customer"}),
        OBJECT,
        200,
        move("cancel", "pending_review", lambda i: {}),
    ),
    "POST /v1/returns/{ref}/close": Route(
        frozenset(STAFF), OBJECT, 200, move("close", "pending_review", lambda i: {"note": "x"})
    ),
    "POST /v1/returns/{ref}/receive": Route(
        frozenset(WAREHOUSE),
        OBJECT,
        200,
        move("receive", "authorized", lambda i: {"items": [{"item_id": i, "quantity": 1}]}),
    ),
    "POST /v1/returns/{ref}/inspect": Route(
        frozenset(WAREHOUSE),
        OBJECT,
        200,
        move("inspect", "received", lambda i: {"items": [inspection(i)]}),
    ),
    "POST /v1/returns/{ref}/resolve": Route(
        frozenset(STAFF), OBJECT, 200, move("resolve", "inspected", lambda i: {})
    ),
    **ADDED_ROUTES,
    **CUSTOMER_ROUTES,
    **PARTNER_ROUTES,
}


def expected_status(route: Route, caller: str) -> int:
    """What the documented rules say ``caller`` gets from ``route``."""
    if route.admits == PUBLIC:
        return route.success
    if caller in {"none", "garbage"}:
        return 401
    if role_of(caller) not in route.admits:
        return 403
    if caller in OUTSIDERS and route.scope == OBJECT:
        return 404
    return route.success


@pytest.fixture
def world(http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch) -> World:
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
    world = prepare_world(
        http, container, monkeypatch, ours, theirs, headers, ret["id"], order["id"], unshipped["id"]
    )
    prepare_partners(world)
    return world


def test_every_route_has_an_entry(http: httpx.Client) -> None:
    document = ok(http.get("/openapi.json"))
    # The Amazon-compatible routes take no bearer (x-amz-access-token and LWA client
    # credentials) and answer in their own envelope, which this matrix cannot express:
    # tests/e2e/test_amazon_access.py checks their callers, another seller's token included.
    served = {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
        and not path.startswith(("/fba/", "/auth/o2/"))
    }
    assert served - set(ROUTES) == set(), (
        "add these routes to ROUTES (here or in tenancy_routes.py)"
    )
    assert set(ROUTES) - served == set(), "these routes are no longer served"


@pytest.mark.parametrize("route_name", sorted(ROUTES))
def test_each_caller_gets_the_documented_status(world: World, route_name: str) -> None:
    route = ROUTES[route_name]
    secrets = [world.return_id, world.order_id, world.ours.seller_id]
    wrong = []
    for caller in CALLERS:
        response = send(world, route.build(world), world.headers[caller])
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
    body = {**order_body("BAD-1"), "ordered_at": "yesterday", "extra": 1}
    response = world.ours.call("POST", "/v1/orders", json=body)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert {"body.ordered_at", "body.extra"} <= fields
    assert world.ours.call("GET", "/v1/orders/BAD-1").status_code == 404


def test_naive_times_are_refused(world: World) -> None:
    body = {
        **order_body("NAIVE-1"),
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
    body = {**order_body("FAR-1"), "ordered_at": when}
    assert world.ours.call("POST", "/v1/orders", json=body).status_code == 422
