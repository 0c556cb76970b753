"""The tenancy matrix's world: two sellers, a caller per role, and how a route is described."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from rma.bootstrap import Container
from tests.support import Shop, ok

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
    "partner",  # our supplier's key (tests/tenancy_partners.py)
    "partner_other",  # another partner of ours: none of the first one's returns
)
OUTSIDERS = {"customer_other", "foreign_admin", "foreign_seller", "foreign_warehouse"}
OUTSIDERS |= {"foreign_customer", "partner_other"}
STAFF = {"admin", "seller"}
WAREHOUSE = STAFF | {"warehouse"}
ANYONE = WAREHOUSE | {"customer"}


def role_of(caller: str) -> str:
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
    container: Container
    source_id: str  # our carrier source
    source_secret: str
    endpoint_id: str  # our webhook endpoint
    delivery_id: str  # one of its deliveries
    counter: int = 0
    extra: dict[str, str] = field(default_factory=dict)  # what a set of routes prepared

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
            ("inspected", "inspect", "warehouse", {"items": [inspection(item)]}),
        ]
        for reached, action, role, body in steps:
            if status == made["status"]:
                break
            made = ok(self.ours.call("POST", f"/v1/returns/{ret}/{action}", role, json=body))
            assert made["status"] == reached
        assert made["status"] == status
        return ret, item


def send(world: World, request: Request, headers: dict[str, str]) -> httpx.Response:
    """Send ``request`` with the caller's ``headers``."""
    method, path, body = request
    if isinstance(body, Raw):
        return world.http.request(
            method, path, content=body.content, headers={**headers, **body.headers}
        )
    if isinstance(body, Upload):
        return world.http.request(method, path, files=body.files, data=body.data, headers=headers)
    return world.http.request(method, path, json=body, headers=headers)


def inspection(item: str) -> dict[str, Any]:
    return {"item_id": item, "accepted": 1, "condition": "sellable", "disposition": "restock"}


def order_body(number: str) -> dict[str, Any]:
    return {
        "number": number,
        "customer_email": "zed@example.com",
        "currency": "USD",
        "ordered_at": datetime.now(UTC).isoformat(),
        "lines": [{"line_id": "1", "sku": "TEE", "quantity": 1, "unit_price": 100}],
    }


@dataclass(frozen=True)
class Raw:
    """A body sent as bytes, with headers of its own (a carrier's signed webhook)."""

    content: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Upload:
    """A multipart body: files and form fields."""

    files: dict[str, tuple[str, bytes, str]]
    data: dict[str, str] = field(default_factory=dict)


Request = tuple[str, str, Any]  # method, path, body: JSON (None for none), Raw or Upload
Build = Callable[[World], Request]


@dataclass(frozen=True)
class Route:
    admits: frozenset[str]  # roles that may call it (`public` for everyone, even without a key)
    scope: str  # OBJECT: acts on our objects; OWN: on the caller's own collection
    success: int
    build: Build


OBJECT, OWN = "object", "own"
PUBLIC = frozenset({"public"})


def move(action: str, status: str, body: Callable[[str], Any]) -> Build:
    def build(world: World) -> Request:
        ret, item = world.fresh_return(status)
        return "POST", f"/v1/returns/{ret}/{action}", body(item)

    return build
