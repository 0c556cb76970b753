"""Payment gateways: ``manual`` (the seller pays and confirms) and ``webhook`` (signed HTTP).

The webhook request is signed like Standard Webhooks: ``webhook-id`` (the refund attempt's
idempotency key), ``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256 of
"id.timestamp.body">`` with the seller's ``whsec_`` secret. It also carries
``Idempotency-Key`` so the seller's system pays one attempt once, however often it is asked.

The URL goes through the destination guard before every request and at connect time. What
the answering system says is never shown back as it is: only a reference made of a few safe
characters is kept; reasons are our own words.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

import httpx

from rma.adapters.destinations import DestinationGuard
from rma.domain.sellers import PaymentGatewayKind, Seller
from rma.services.payments import AnswerStatus, GatewayAnswer, RefundRequest


def sign(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """The ``webhook-signature`` value for one message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


REFERENCE_CHARS = 64
UNSAFE = re.compile(r"[^A-Za-z0-9._:/#-]")


class WebhookGateway:
    """Asks the seller's system at ``payment_webhook_url``; unclear answers stay pending."""

    def __init__(self, client: httpx.Client, guard: DestinationGuard):
        self._client = client
        self._guard = guard

    def request_refund(self, seller: Seller, request: RefundRequest) -> GatewayAnswer:
        if not seller.payment_webhook_url:
            return GatewayAnswer(AnswerStatus.PENDING, reason="no payment_webhook_url set")
        if self._guard.refusal(seller.payment_webhook_url):
            return GatewayAnswer(
                AnswerStatus.FAILED,
                reason="payment_webhook_url is not allowed: it must be a public http(s) address",
            )
        body = json.dumps(
            {
                "type": "refund.requested",
                "data": {
                    "refund_id": request.refund_id,
                    "return_id": request.return_id,
                    "order_id": request.order_id,
                    "amount": request.amount,
                    "currency": request.currency,
                },
            },
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "content-type": "application/json",
            "idempotency-key": request.idempotency_key,
            "webhook-id": request.idempotency_key,
            "webhook-timestamp": timestamp,
            "webhook-signature": sign(
                seller.payment_webhook_secret, request.idempotency_key, timestamp, body
            ),
        }
        try:
            response = self._client.post(seller.payment_webhook_url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return GatewayAnswer(AnswerStatus.PENDING, reason=f"no answer: {type(error).__name__}")
        return _read(response)


def _read(response: httpx.Response) -> GatewayAnswer:
    try:
        document = response.json()
        status = AnswerStatus(document["status"])
        reference = UNSAFE.sub("", str(document.get("reference", "")))[:REFERENCE_CHARS]
    except (ValueError, KeyError, TypeError):
        return GatewayAnswer(
            AnswerStatus.PENDING, reason=f"unreadable answer (HTTP {response.status_code})"
        )
    if status is AnswerStatus.SUCCEEDED and not response.is_success:
        return GatewayAnswer(AnswerStatus.PENDING, reason=f"HTTP {response.status_code}")
    reason = "refused by the payment gateway" if status is AnswerStatus.FAILED else ""
    return GatewayAnswer(status, reference=reference, reason=reason)


class ManualGateway:
    """Records the refund for the seller to pay by hand and confirm."""

    def request_refund(self, seller: Seller, request: RefundRequest) -> GatewayAnswer:
        return GatewayAnswer(AnswerStatus.PENDING, reason="waiting for the seller's confirmation")


class SellerGateways:
    """The gateway each seller chose."""

    def __init__(self, client: httpx.Client, guard: DestinationGuard):
        self._webhook = WebhookGateway(client, guard)
        self._manual = ManualGateway()

    def request_refund(self, seller: Seller, request: RefundRequest) -> GatewayAnswer:
        if seller.payment_gateway is PaymentGatewayKind.WEBHOOK:
            return self._webhook.request_refund(seller, request)
        return self._manual.request_refund(seller, request)
