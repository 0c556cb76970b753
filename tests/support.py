"""Helpers for tests that drive the API: a seller with its keys, orders shipped days ago."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from rma.bootstrap import Container

ADMIN_KEY = "test-platform-admin-key"


def encryption_key(container: Container) -> str:
    """The key(s) ``container`` encrypts secrets with, for an ``rma`` process on its database.

    Every process on one database needs the same keys, as it needs the same secret_key.
    """
    configured = container.settings.encryption_key
    if configured:
        return configured
    return ",".join((container.settings.data_dir / "encryption_key").read_text().split())


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body, once the status is the expected one (else fail showing the body)."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()


def error_code(response: httpx.Response, status: int) -> str:
    """The stable error code of an error answer with ``status``."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    code: str = response.json()["error"]["code"]
    return code


@dataclass
class Shop:
    """A seller created through the API, with a key of each role."""

    http: httpx.Client
    seller_id: str
    keys: dict[str, str]

    def call(self, method: str, path: str, role: str = "seller", **kwargs: Any) -> httpx.Response:
        headers = {**bearer(self.keys[role]), **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def order(
        self,
        number: str,
        *,
        email: str = "ada@example.com",
        customer_name: str = "",
        delivered_days_ago: int | None = 3,
        lines: list[dict[str, Any]] | None = None,
        shipped: bool = True,
        shipping_amount: int = 0,
        shipping_address: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An order of two lines, shipped and delivered ``delivered_days_ago`` days ago."""
        now = datetime.now(UTC)
        lines = lines or [
            {"line_id": "1", "sku": "TEE", "quantity": 2, "unit_price": 2500},
            {"line_id": "2", "sku": "MUG", "quantity": 1, "unit_price": 1200},
        ]
        delivered = (
            now - timedelta(days=delivered_days_ago) if delivered_days_ago is not None else None
        )
        shipped_at = (delivered or now) - timedelta(days=2)
        body: dict[str, Any] = {
            "number": number,
            "customer_email": email,
            "customer_name": customer_name,
            "currency": "USD",
            "ordered_at": (shipped_at - timedelta(days=1)).isoformat(),
            "lines": lines,
            "shipments": [],
            "shipping_amount": shipping_amount,
            "shipping_address": shipping_address,
        }
        if shipped:
            body["shipments"].append(
                {
                    "shipped_at": shipped_at.isoformat(),
                    "delivered_at": delivered.isoformat() if delivered else None,
                    "items": [
                        {"line_id": line["line_id"], "quantity": line["quantity"]} for line in lines
                    ],
                }
            )
        return ok(self.call("POST", "/v1/orders", json=body), 201)

    def request_return(
        self, number: str, items: list[tuple[str, int]], role: str = "seller", **extra: Any
    ) -> httpx.Response:
        body = {
            "order_number": number,
            "items": [
                {"line_id": line, "quantity": qty, "reason_code": "CR-UNWANTED_ITEM"}
                for line, qty in items
            ],
            **extra,
        }
        return self.call("POST", "/v1/returns", role, json=body)


def open_shop(http: httpx.Client, name: str = "Shop", kind: str = "professional") -> Shop:
    """A new seller and one key per role, made the way an operator would."""
    seller = ok(
        http.post("/v1/sellers", json={"name": name, "kind": kind}, headers=bearer(ADMIN_KEY)), 201
    )
    keys = {}
    for role in ("admin", "seller", "warehouse"):
        issued = ok(
            http.post(
                "/v1/api-keys",
                json={"role": role, "seller_id": seller["id"]},
                headers=bearer(ADMIN_KEY),
            ),
            201,
        )
        keys[role] = issued["key"]
    return Shop(http, seller["id"], keys)


def customer_token(http: httpx.Client, number: str, email: str = "ada@example.com") -> str:
    body = {"order_number": number, "email": email}
    token: str = ok(http.post("/v1/portal/sessions", json=body), 201)["token"]
    return token
