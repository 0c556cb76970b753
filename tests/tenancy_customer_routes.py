"""Tenancy matrix entries for the routes of the customer's side (issue 14)."""

from __future__ import annotations

from tests.tenancy_world import OBJECT, OWN, STAFF, Route

HOME = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}

CUSTOMER_ROUTES: dict[str, Route] = {
    "PUT /v1/orders/{order_ref}/shipping-address": Route(
        frozenset(STAFF),
        OBJECT,
        200,
        lambda w: ("PUT", f"/v1/orders/{w.order_id}/shipping-address", HOME),
    ),
    "GET /v1/portal-settings": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/portal-settings", None)
    ),
    "PUT /v1/portal-settings": Route(
        frozenset(STAFF),
        OWN,
        200,
        lambda w: ("PUT", "/v1/portal-settings", {"language": "de", "reply_to": "a@b.example"}),
    ),
}
