"""Orders pushed by stores: Shopify and WooCommerce order webhooks, verified and mapped.

- Shopify signs the raw body with the app's secret: ``X-Shopify-Hmac-Sha256`` is the base64
  HMAC-SHA256; the topic is ``X-Shopify-Topic`` (``orders/create``, ``orders/updated``,
  ``orders/fulfilled``). The payload is the REST ``Order``: ``name`` (``#1001``), ``email``,
  ``currency``, ``created_at``, ``updated_at``, ``line_items[]`` and ``fulfillments[]`` (with
  ``tracking_company``, ``tracking_number``, ``shipment_status`` and their ``line_items``).
- WooCommerce signs the raw body the same way in ``X-WC-Webhook-Signature``; the topic is
  ``X-WC-Webhook-Topic`` (``order.created``, ``order.updated``). The payload is the REST v3
  order: ``number``, ``billing.email``, ``currency``, ``date_created_gmt``,
  ``date_modified_gmt``, ``line_items[]``, ``status`` (``completed``: every line shipped, on
  ``date_completed_gmt``).

Neither signs a delivery time, so freshness is read from the signed body: an order event
whose ``updated_at`` (``date_modified_gmt``) is more than five minutes old is refused, and a
captured delivery cannot be replayed later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from rma.domain.errors import InvalidInput, Unauthenticated
from rma.domain.order_import import LineRow, OrderDraft, ShipmentRow
from rma.domain.orders import OrderLine

MAX_AGE = timedelta(minutes=5)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_EXPONENT = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3}


class StoreKind(StrEnum):
    SHOPIFY = "shopify"  # Shopify order webhooks
    WOOCOMMERCE = "woocommerce"  # WooCommerce order webhooks


SIGNATURE_HEADERS = {
    StoreKind.SHOPIFY: "X-Shopify-Hmac-Sha256",
    StoreKind.WOOCOMMERCE: "X-WC-Webhook-Signature",
}
TOPIC_HEADERS = {
    StoreKind.SHOPIFY: "X-Shopify-Topic",
    StoreKind.WOOCOMMERCE: "X-WC-Webhook-Topic",
}
ORDER_TOPICS = {
    StoreKind.SHOPIFY: frozenset({"orders/create", "orders/updated", "orders/fulfilled"}),
    StoreKind.WOOCOMMERCE: frozenset({"order.created", "order.updated"}),
}


@dataclass(eq=False)
class StoreSource:
    """A seller's store that pushes orders, with the secret that signs its webhooks."""

    id: str
    seller_id: str
    kind: StoreKind
    name: str
    secret: str
    created_at: datetime


def sign(secret: str, body: bytes) -> str:
    """The base64 HMAC-SHA256 of ``body``, as both stores send it."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, body: bytes, signature: str | None) -> None:
    """``Unauthenticated`` unless ``signature`` is the store's signature of ``body``."""
    if not signature:
        raise Unauthenticated("the store event is not signed", code="signature_missing")
    if not hmac.compare_digest(signature.strip().encode(), sign(secret, body).encode()):
        raise Unauthenticated("the store event signature does not match", code="bad_signature")


def is_ping(kind: StoreKind, body: bytes) -> bool:
    """WooCommerce checks a new webhook with an unsigned ``webhook_id=N`` form body."""
    return kind is StoreKind.WOOCOMMERCE and body.startswith(b"webhook_id=")


def read_order(kind: StoreKind, body: bytes, now: datetime) -> OrderDraft:
    """The order a verified body describes; a stale or unreadable one is refused."""
    try:
        document = json.loads(body)
        if not isinstance(document, dict):
            raise TypeError("not an object")
        reader = _shopify if kind is StoreKind.SHOPIFY else _woocommerce
        changed_at, draft = reader(document)
    except (ValueError, TypeError, KeyError, AttributeError, InvalidOperation) as error:
        raise InvalidInput(
            f"not a {kind} order payload: {error}", code="unreadable_store_event"
        ) from error
    if now - changed_at > MAX_AGE:
        raise Unauthenticated(
            "the store event is more than 5 minutes old", code="signature_expired"
        )
    _check(draft)
    return draft


def _check(draft: OrderDraft) -> None:
    # What the CSV rows and the JSON API check, for fields a store may leave odd.
    if not draft.rows:
        raise InvalidInput("the order has no line items", code="unreadable_store_event")
    head = draft.head
    problems = [
        name
        for name, good in (
            ("number", 0 < len(draft.number) <= 100),
            ("email", bool(_EMAIL.match(head.customer_email))),
            ("currency", bool(_CURRENCY.match(head.currency))),
            ("line_items", all(0 < r.line.quantity <= 100_000 for r in draft.rows)),
            ("line_items", all(len(r.line.line_id) <= 100 for r in draft.rows)),
            ("line_items", all(len(r.line.sku) <= 100 for r in draft.rows)),
        )
        if not good
    ]
    if problems:
        raise InvalidInput(
            f"the order's {', '.join(sorted(set(problems)))} cannot be taken",
            code="unreadable_store_event",
            details=[{"field": name} for name in sorted(set(problems))],
        )


def minor_units(amount: Any, currency: str) -> int:
    """``"19.99"`` in minor units of ``currency``."""
    scaled = Decimal(str(amount or "0")).scaleb(_EXPONENT.get(currency, 2))
    return int(scaled.to_integral_value())


# -- Shopify --------------------------------------------------------------------------------


def _shopify(order: dict[str, Any]) -> tuple[datetime, OrderDraft]:
    currency = str(order["currency"]).upper()
    number = str(order.get("name") or order["order_number"]).lstrip("#")
    customer = order.get("customer") or {}
    shipping = order.get("shipping_address") or {}
    email = order.get("email") or order.get("contact_email") or customer.get("email") or ""
    name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p) or str(
        shipping.get("name") or ""
    )
    shipping_amount = sum(
        minor_units(line.get("price"), currency) for line in order.get("shipping_lines") or []
    )
    head: dict[str, Any] = {
        "order_number": number,
        "ordered_at": _time(order["created_at"]),
        "customer_email": str(email),
        "customer_name": name[:200],
        "currency": currency,
        "shipping_amount": shipping_amount,
    }
    rows: list[LineRow] = []
    for item in order["line_items"]:
        quantity = int(item["quantity"])
        tax = sum(minor_units(t.get("price"), currency) for t in item.get("tax_lines") or [])
        line = OrderLine(
            line_id=str(item["id"]),
            sku=str(item.get("sku") or f"shopify-variant-{item.get('variant_id')}"),
            quantity=quantity,
            unit_price=minor_units(item["price"], currency),
            name=str(item.get("name") or item.get("title") or "")[:300],
            tax_per_unit=tax // quantity if quantity else 0,
        )
        rows.append(LineRow(len(rows) + 1, **head, line=line, shipment=None))
    lines = {row.line.line_id: row.line for row in rows}
    for fulfillment in order.get("fulfillments") or []:
        if fulfillment.get("status") not in (None, "success", "open", "pending"):
            continue  # cancelled, error or failure: nothing left the warehouse
        shipped_at = _time(fulfillment["created_at"])
        delivered = fulfillment.get("shipment_status") == "delivered"
        for item in fulfillment.get("line_items") or []:
            shipped = lines.get(str(item["id"]))
            if shipped is None:
                continue
            shipment = ShipmentRow(
                id=f"shopify-{fulfillment['id']}",
                shipped_at=shipped_at,
                delivered_at=_time(fulfillment["updated_at"]) if delivered else None,
                carrier=_short(fulfillment.get("tracking_company"), 64),
                tracking_number=_short(fulfillment.get("tracking_number"), 100),
                facility_code=None,
                quantity=int(item["quantity"]),
            )
            rows.append(LineRow(len(rows) + 1, **head, line=shipped, shipment=shipment))
    return _time(order["updated_at"]), OrderDraft(number, 1, rows)


# -- WooCommerce ----------------------------------------------------------------------------


def _woocommerce(order: dict[str, Any]) -> tuple[datetime, OrderDraft]:
    currency = str(order["currency"]).upper()
    number = str(order.get("number") or order["id"])
    billing = order.get("billing") or {}
    name = " ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p)
    head: dict[str, Any] = {
        "order_number": number,
        "ordered_at": _gmt(order["date_created_gmt"]),
        "customer_email": str(billing.get("email") or ""),
        "customer_name": name[:200],
        "currency": currency,
        "shipping_amount": minor_units(order.get("shipping_total"), currency),
    }
    completed = order.get("status") == "completed" and order.get("date_completed_gmt")
    tracking = _woo_tracking(order)
    rows: list[LineRow] = []
    for item in order["line_items"]:
        quantity = int(item["quantity"])
        line = OrderLine(
            line_id=str(item["id"]),
            sku=str(item.get("sku") or f"woo-product-{item.get('product_id')}"),
            quantity=quantity,
            unit_price=minor_units(item.get("price"), currency),
            name=str(item.get("name") or "")[:300],
            tax_per_unit=minor_units(item.get("total_tax"), currency) // quantity
            if quantity
            else 0,
        )
        shipment = (
            ShipmentRow(
                id=f"woo-{order['id']}",
                shipped_at=_gmt(str(completed)),
                delivered_at=None,
                carrier=tracking[0],
                tracking_number=tracking[1],
                facility_code=None,
                quantity=quantity,
            )
            if completed
            else None
        )
        rows.append(LineRow(len(rows) + 1, **head, line=line, shipment=shipment))
    return _gmt(order["date_modified_gmt"]), OrderDraft(number, 1, rows)


def _woo_tracking(order: dict[str, Any]) -> tuple[str | None, str | None]:
    # The Shipment Tracking extension keeps its numbers in the order's meta data.
    for meta in order.get("meta_data") or []:
        if meta.get("key") == "_wc_shipment_tracking_items" and meta.get("value"):
            first = meta["value"][0]
            return (
                _short(first.get("tracking_provider"), 64),
                _short(first.get("tracking_number"), 100),
            )
    return None, None


# -- values ---------------------------------------------------------------------------------


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed.astimezone(UTC)


def _gmt(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _short(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value else None
