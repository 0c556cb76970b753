"""Helpers for the Amazon-compatible API tests: the model, its validators, a signed-in client.

The model (Swagger 2.0) is read at run time from ``RMA_AMAZON_SPEC_DIR``, else from
``shared/specs/amazon`` beside the repository (or beside one of its parent folders); it is
never copied here. Answers are validated against the model's own ``definitions``, with
``$ref`` resolved inside the model document; the strict validators also refuse properties the
model does not define, so a misspelt field name fails as loudly as a missing one.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from rma.bootstrap import Container
from tests.support import Shop, encryption_key, ok

MODEL_FILE = "fulfillmentOutbound_2020-07-01.json"
EXAMPLES_FILE = "sandbox-examples.json"
MODEL_URI = "urn:amazon:fulfillmentOutbound_2020-07-01"
PREFIX = "/fba/outbound/2020-07-01"
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def spec_dir() -> Path:
    """Where the model lives: the override, else ``shared/specs/amazon`` beside the repo."""
    override = os.environ.get("RMA_AMAZON_SPEC_DIR")
    if override:
        return Path(override)
    repo = Path(__file__).resolve().parents[1]
    for folder in repo.parents:
        candidate = folder / "shared" / "specs" / "amazon"
        if (candidate / MODEL_FILE).exists():
            return candidate
    pytest.fail(
        f"the Amazon model {MODEL_FILE} is not in <repo>/../shared/specs/amazon; "
        "set RMA_AMAZON_SPEC_DIR to the folder that holds it"
    )


@cache
def model() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((spec_dir() / MODEL_FILE).read_text())
    return document


@cache
def examples() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((spec_dir() / EXAMPLES_FILE).read_text())
    return document


def _closed(node: Any) -> Any:
    """A copy where every object schema with properties refuses properties it does not name."""
    if isinstance(node, dict):
        closed = {key: _closed(value) for key, value in node.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(node, list):
        return [_closed(value) for value in node]
    return node


@cache
def _registry(strict: bool) -> Registry:
    contents = _closed(copy.deepcopy(model())) if strict else model()
    resource = Resource.from_contents(contents, default_specification=DRAFT4)
    return Registry().with_resource(MODEL_URI, resource)


def validator(definition: str, *, strict: bool = True) -> Draft4Validator:
    """A validator for ``#/definitions/<definition>`` of the model."""
    assert definition in model()["definitions"], f"the model has no {definition}"
    schema = {"$ref": f"{MODEL_URI}#/definitions/{definition}"}
    return Draft4Validator(schema, registry=_registry(strict), format_checker=FORMATS)


def schema_errors(document: Any, definition: str, *, strict: bool = True) -> list[str]:
    """Every way ``document`` breaks the model's ``definition`` (empty when it conforms)."""
    return sorted(
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator(definition, strict=strict).iter_errors(document)
    )


def response_definition(operation_id: str, status: int) -> str:
    """The definition the model names for an operation's answer with ``status``."""
    for item in model()["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                ref: str = operation["responses"][str(status)]["schema"]["$ref"]
                return ref.rsplit("/", 1)[-1]
    raise AssertionError(f"the model has no operation {operation_id}")


def conforming(response: httpx.Response, operation_id: str, status: int = 200) -> Any:
    """The body, once status, the SP-API headers and the model's schema all check out."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers.get("x-amzn-RequestId"), "every answer carries x-amzn-RequestId"
    assert float(response.headers["x-amzn-RateLimit-Limit"]) > 0
    body = response.json()
    assert schema_errors(body, response_definition(operation_id, status)) == []
    if status >= 400:
        assert body["errors"], "an error answer lists its errors"
    return body


class SellingPartner:
    """A seller's application: LWA credentials, an access token, and SP-API calls."""

    def __init__(self, shop: Shop):
        self.shop = shop
        self.http = shop.http
        issued = ok(shop.call("POST", "/v1/amazon/credentials", "admin", json={}), 201)
        self.client_id = issued["client_id"]
        self.client_secret = issued["client_secret"]
        self.refresh_token = issued["refresh_token"]
        self.access_token = self.fresh_token()

    def fresh_token(self) -> str:
        answer = ok(
            self.http.post(
                "/auth/o2/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": self.refresh_token,
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
            )
        )
        assert answer["token_type"] == "bearer"
        assert answer["expires_in"] == 3600
        token: str = answer["access_token"]
        return token

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-amz-access-token": self.access_token, **kwargs.pop("headers", {})}
        return self.http.request(method, f"{PREFIX}{path}", headers=headers, **kwargs)

    def create_order(self, number: str, items: list[dict[str, Any]], **extra: Any) -> None:
        body = {
            "marketplaceId": "ATVPDKIKX0DER",
            "sellerFulfillmentOrderId": number,
            "displayableOrderId": f"D-{number}",
            "displayableOrderDate": days_ago(3),
            "displayableOrderComment": "Thank you for your order",
            "shippingSpeedCategory": "Standard",
            "destinationAddress": {
                "name": "Ada Lovelace",
                "addressLine1": "1 Analytical Way",
                "city": "Troy",
                "stateOrRegion": "MI",
                "countryCode": "US",
                "postalCode": "48084",
            },
            "notificationEmails": ["ada@example.com"],
            "items": items,
            **extra,
        }
        conforming(self.call("POST", "/fulfillmentOrders", json=body), "createFulfillmentOrder")

    def ship(
        self, number: str, shipment_id: str, facility: str, lines: dict[str, int]
    ) -> dict[str, Any]:
        """Record a shipment through the native API, as the seller's system would."""
        body = {
            "id": shipment_id,
            "facility_code": facility,
            "shipped_at": days_ago(2),  # its return window is open whenever the test runs
            "carrier": "UPS",
            "tracking_number": f"1Z{shipment_id}",
            "items": [{"line_id": line, "quantity": qty} for line, qty in lines.items()],
        }
        return ok(self.shop.call("POST", f"/v1/orders/{number}/shipments", json=body), 201)

    def facility(self, code: str, address: dict[str, str]) -> None:
        body = {"name": f"Facility {code}", "address": address}
        ok(self.shop.call("PUT", f"/v1/facilities/{code}", json=body))

    def return_items(self, number: str, items: list[dict[str, str]]) -> Any:
        response = self.call("PUT", f"/fulfillmentOrders/{number}/return", json={"items": items})
        return conforming(response, "createFulfillmentReturn")["payload"]


def days_ago(days: int) -> str:
    """The time ``days`` before now, as the APIs take it (a fixed date would leave the return
    window once the calendar passes it: these tests failed from 2026-12-02 on)."""
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def unit(item_id: str, line: str, shipment: str, reason: str = "CR-DEFECTIVE") -> dict[str, str]:
    """One ``CreateReturnItem``."""
    return {
        "sellerReturnItemId": item_id,
        "sellerFulfillmentOrderItemId": line,
        "amazonShipmentId": shipment,
        "returnReasonCode": reason,
        "returnComment": f"comment {item_id}",
    }


def native_returns(shop: Shop) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(shop.call("GET", "/v1/returns"))["data"]
    return data


def run_rma(args: list[str], container: Container, data_dir: Path) -> str:
    """Run the ``rma`` command against the test database, as an operator would."""
    env = {
        **os.environ,
        "RMA_DATABASE_URL": container.settings.database_url,
        "RMA_DATA_DIR": str(data_dir),
        "RMA_ENCRYPTION_KEY": encryption_key(container),
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "rma"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
