"""A seller with its own warehouse, a dropship supplier and a 3PL, and rules between them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from rma.adapters.orm_events import email_messages
from rma.bootstrap import Container
from rma.worker import EventWorker
from tests.support import Shop, bearer, ok, open_shop

WAREHOUSE = {
    "name": "Own warehouse",
    "line1": "1 Dock St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}
SUPPLIER_DOCK = {
    "name": "Acme Mugs returns",
    "line1": "9 Kiln Road",
    "city": "Stoke",
    "postal_code": "ST1 1AA",
    "country": "GB",
}
THREE_PL_DOCK = {
    "name": "FastFul 3PL",
    "line1": "77 Logistics Way",
    "city": "Reno",
    "region": "NV",
    "postal_code": "89501",
    "country": "US",
}
SUPPLIER_EMAIL = "returns@acme-mugs.example"


@dataclass
class Partnered:
    """Our shop, its partners and a key for each partner."""

    shop: Shop
    supplier_id: str
    threepl_id: str
    other_threepl_id: str
    keys: dict[str, str]  # supplier, 3pl, other_3pl

    def partner_call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**bearer(self.keys[who]), **kwargs.pop("headers", {})}
        return self.shop.http.request(method, path, headers=headers, **kwargs)


def partnered_shop(http: httpx.Client, name: str = "Mixed") -> Partnered:
    """Mugs are dropshipped by Acme; shoes go to the FastFul 3PL; the rest comes home."""
    shop = open_shop(http, name)
    ok(shop.call("PUT", "/v1/facilities/WH1", json={"name": "Home", "address": WAREHOUSE}))
    ok(shop.call("PUT", "/v1/facilities/3PL1", json={"name": "FastFul", "address": THREE_PL_DOCK}))
    supplier = ok(
        shop.call(
            "POST",
            "/v1/partners",
            json={
                "kind": "supplier",
                "name": "Acme Mugs",
                "contact_email": SUPPLIER_EMAIL,
                "address": SUPPLIER_DOCK,
                "skus": ["MUG"],
                "terms": {"restocking_fee_percent": 10, "answer_hours": 24},
            },
        ),
        201,
    )
    threepl = ok(
        shop.call(
            "POST",
            "/v1/partners",
            json={
                "kind": "3pl",
                "name": "FastFul",
                "contact_email": "ops@fastful.example",
                "facility_code": "3PL1",
                "skus": ["SHOE"],
            },
        ),
        201,
    )
    other = ok(
        shop.call(
            "POST",
            "/v1/partners",
            json={
                "kind": "3pl",
                "name": "Other 3PL",
                "contact_email": "ops@other.example",
                "address": THREE_PL_DOCK,
            },
        ),
        201,
    )
    rules = [
        {
            "name": "Dropshipped by Acme",
            "conditions": {"supplier_id": supplier["id"]},
            "destination": {"kind": "partner", "ref": supplier["id"]},
        },
        {
            "name": "Shoes to the 3PL",
            "conditions": {"skus": ["SHOE"]},
            "destination": {"kind": "partner", "ref": threepl["id"]},
        },
        {"name": "Everything else", "destination": {"kind": "facility", "ref": "WH1"}},
    ]
    ok(shop.call("PUT", "/v1/routing-rules", json={"rules": rules}))
    keys = {}
    for who, partner in (("supplier", supplier), ("3pl", threepl), ("other_3pl", other)):
        path = f"/v1/partners/{partner['id']}/api-keys"
        keys[who] = ok(shop.call("POST", path, "admin", json={}), 201)["key"]
    return Partnered(shop, supplier["id"], threepl["id"], other["id"], keys)


MIXED_LINES = [
    {"line_id": "1", "sku": "TEE", "quantity": 2, "unit_price": 2500},
    {"line_id": "2", "sku": "MUG", "quantity": 1, "unit_price": 1200},
    {"line_id": "3", "sku": "SHOE", "quantity": 1, "unit_price": 9000},
]


def drain(container: Container) -> None:
    worker = EventWorker(container)
    try:
        worker.drain()
    finally:
        worker.close()


def supplier_links(container: Container, recipient: str = SUPPLIER_EMAIL) -> list[dict[str, str]]:
    """The accept and refuse links of each email the supplier got, oldest first, as paths."""
    with container.engine.connect() as connection:
        bodies = connection.execute(
            select(email_messages.c.text_body)
            .where(email_messages.c.recipient == recipient)
            .order_by(email_messages.c.created_at, email_messages.c.id)
        ).scalars()
        found = []
        for body in bodies:
            pairs = re.findall(r"^(Accept the return|Refuse it): (\S+)", body, re.MULTILINE)
            found.append({k: "/" + v.split("://", 1)[1].split("/", 1)[1] for k, v in pairs})
    return found
