"""Helpers for resolution tests: a return of two tees brought to a given step over HTTP."""

from __future__ import annotations

from typing import Any

from rma.bootstrap import Container
from tests.support import Shop, ok

LINES = [
    {"line_id": "1", "sku": "TEE", "quantity": 2, "unit_price": 2500, "tax_per_unit": 200},
    {"line_id": "2", "sku": "MUG", "quantity": 1, "unit_price": 1200, "tax_per_unit": 96},
]


def start_return(
    shop: Shop, number: str, *, reason: str, quantity: int = 2, resolution: str = "refund"
) -> tuple[str, str]:
    """An authorized return of ``quantity`` tees of a new order: (return id, item id)."""
    shop.order(number, lines=LINES, shipping_amount=999)
    body = {
        "order_number": number,
        "items": [{"line_id": "1", "quantity": quantity, "reason_code": reason}],
        "resolution": resolution,
    }
    created = ok(shop.call("POST", "/v1/returns", json=body), 201)
    return created["id"], created["items"][0]["id"]


def receive(shop: Shop, ret: str, item: str, quantity: int = 2) -> dict[str, Any]:
    body = {"items": [{"item_id": item, "quantity": quantity}]}
    return ok(shop.call("POST", f"/v1/returns/{ret}/receive", "warehouse", json=body))  # type: ignore[no-any-return]


def inspect(shop: Shop, ret: str, item: str, accepted: int = 2, rejected: int = 0) -> None:
    body = {
        "items": [
            {
                "item_id": item,
                "accepted": accepted,
                "rejected": rejected,
                "condition": "sellable",
                "disposition": "restock",
            }
        ]
    }
    ok(shop.call("POST", f"/v1/returns/{ret}/inspect", "warehouse", json=body))


def inspected_return(shop: Shop, number: str, **options: Any) -> tuple[str, str]:
    ret, item = start_return(shop, number, **options)
    receive(shop, ret, item)
    inspect(shop, ret, item)
    return ret, item


def resolution(shop: Shop, ret: str, role: str = "seller") -> dict[str, Any]:
    return ok(shop.call("GET", f"/v1/returns/{ret}/resolution", role))  # type: ignore[no-any-return]


def label_paid_by_buyer(container: Container, seller_id: str, ret: str, cost: int) -> None:
    """What the physical flow records when the customer pays for the label."""
    with container.uow() as uow:
        found = uow.returns.get(seller_id, ret)
        assert found is not None
        found.label_cost, found.label_paid_by = cost, "buyer"
        uow.commit()
