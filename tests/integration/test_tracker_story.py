"""The customer's story of a return (the tracker page and every email): what it reads."""

from __future__ import annotations

import httpx
import pytest

from rma.adapters import repositories
from rma.bootstrap import Container
from rma.services import tracker
from tests.support import ok, open_shop


def test_an_item_is_named_by_its_order_line_and_its_product_read_only_without_one(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)
    ok(shop.call("POST", "/v1/products", json={"sku": "MUG", "name": "Enamel mug"}), 201)
    lines = [
        {"line_id": "1", "sku": "TEE", "quantity": 1, "unit_price": 2500, "name": "Striped tee"},
        {"line_id": "2", "sku": "MUG", "quantity": 1, "unit_price": 1200},
    ]
    shop.order("1001", lines=lines)
    ret = ok(shop.request_return("1001", [("1", 1), ("2", 1)]), 201)
    read: list[str] = []
    real_get = repositories.SqlProducts.get

    def get(self: repositories.SqlProducts, seller_id: str, sku: str) -> object:
        read.append(sku)
        return real_get(self, seller_id, sku)

    monkeypatch.setattr(repositories.SqlProducts, "get", get)

    with container.reader() as uow:  # as the worker composes an email
        story = tracker.story_for_email(shop.seller_id, ret["id"], uow)

    assert story is not None
    named = {item["sku"]: story.item_names[item["id"]] for item in ret["items"]}
    assert named == {"TEE": "Striped tee", "MUG": "Enamel mug"}
    assert read == ["MUG"]  # an email a step: each read of a product is a query a step
