"""Emails as customers and sellers get them, and the seller's single-use action links."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from rma.adapters.email import ACTION_PURPOSE
from rma.adapters.orm_events import email_messages
from rma.bootstrap import Container
from rma.worker import EventWorker
from tests.support import customer_token, error_code, ok, open_shop


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server on loopback, and rma configured to send through it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setattr(container.settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(container.settings, "smtp_port", port)
    monkeypatch.setattr(container.settings, "smtp_tls", "none")
    try:
        yield inbox
    finally:
        controller.stop()


def drain(container: Container) -> None:
    worker = EventWorker(container)
    try:
        worker.drain()
    finally:
        worker.close()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def links(message: EmailMessage) -> dict[str, str]:
    """The action links of a seller's email, by label, as paths on our server."""
    found = re.findall(r"^(Authorize|Close|Reply): (\S+)", text_of(message), re.MULTILINE)
    return {label: url.split("://", 1)[1].split("/", 1)[1] for label, url in found}


def review_shop(http: httpx.Client) -> Any:
    shop = open_shop(http, kind="individual")
    ok(
        shop.call(
            "PUT",
            "/v1/settings",
            json={
                "authorization_mode": "manual",
                "notification_email": "desk@shop.example",
                "email_preferences": ["return.pending_review", "return.closed"],
            },
        )
    )
    shop.order("1001")
    return shop


def test_customer_and_seller_are_emailed_and_the_seller_authorizes_from_the_email(
    http: httpx.Client, container: Container, smtp: Inbox
) -> None:
    shop = review_shop(http)
    created = ok(shop.request_return("1001", [("1", 1)]), 201)
    assert created["status"] == "pending_review"

    drain(container)

    customer = smtp.to("ada@example.com")
    assert [m["Subject"] for m in customer] == [
        "We received your return request",
        "Your return request is being reviewed",
    ]
    (to_seller,) = smtp.to("desk@shop.example")
    assert to_seller["Subject"] == "A return waits for your decision (order 1001)"
    assert to_seller.get_body(("html",)) is not None
    authorize = links(to_seller)["Authorize"]

    page = http.get(authorize)
    assert page.status_code == 200
    assert "Authorize the return of order 1001?" in page.text
    assert ok(shop.call("GET", f"/v1/returns/{created['id']}"))["status"] == "pending_review"

    done = http.post(authorize)
    assert done.status_code == 200, done.text
    authorized = ok(shop.call("GET", f"/v1/returns/{created['id']}"))
    assert authorized["status"] == "authorized"
    assert authorized["history"][-1]["actor"].startswith("seller:email-link:")

    drain(container)
    assert smtp.to("ada@example.com")[-1]["Subject"] == (
        f"Your return {authorized['rma_number']} is authorized"
    )


def test_a_used_forged_or_expired_link_is_refused_and_changes_nothing(
    http: httpx.Client, container: Container, smtp: Inbox
) -> None:
    shop = review_shop(http)
    created = ok(shop.request_return("1001", [("1", 1)]), 201)
    drain(container)
    (to_seller,) = smtp.to("desk@shop.example")
    close = links(to_seller)["Close"]

    assert http.post(close, data={"note": "handled by phone"}).status_code == 200
    closed = ok(shop.call("GET", f"/v1/returns/{created['id']}"))
    assert closed["status"] == "closed"

    replay = http.post(close, data={"note": "again"})
    assert replay.status_code == 409
    assert "action_link_used" in replay.text
    assert http.get(close).status_code == 409

    token = close.rsplit("/", 1)[1]
    body, _, mac = token.partition(".")
    forged = http.post(f"/actions/{body}.{mac[:-2]}xx")
    assert forged.status_code == 404
    assert "action_link_invalid" in forged.text

    second = ok(shop.request_return("1001", [("2", 1)]), 201)
    expired = container.signer.sign(
        ACTION_PURPOSE,
        {
            "jti": "act_expired",
            "act": "authorize",
            "sid": shop.seller_id,
            "rid": second["id"],
            "exp": int((datetime.now(UTC) - timedelta(minutes=1)).timestamp()),
        },
    )
    refused = http.post(f"/actions/{expired}")
    assert refused.status_code == 409
    assert "action_link_expired" in refused.text
    assert ok(shop.call("GET", f"/v1/returns/{second['id']}"))["status"] == "pending_review"
    history = ok(shop.call("GET", f"/v1/returns/{created['id']}"))["history"]
    assert [h["action"] for h in history].count("close") == 1


def test_the_seller_replies_to_the_customer_from_the_email(
    http: httpx.Client, container: Container, smtp: Inbox
) -> None:
    shop = review_shop(http)
    ok(shop.request_return("1001", [("1", 1)]), 201)
    drain(container)
    reply = links(smtp.to("desk@shop.example")[0])["Reply"]

    assert (
        http.post(reply, data={"note": "Could you send a photo? <b>thanks</b>"}).status_code == 200
    )
    drain(container)

    answer = smtp.to("ada@example.com")[-1]
    assert answer["Subject"].startswith("A message about your return")
    assert "Could you send a photo? <b>thanks</b>" in text_of(answer)
    html = answer.get_body(("html",))
    assert html is not None
    assert "&lt;b&gt;thanks&lt;/b&gt;" in html.get_content()


def test_without_smtp_emails_land_in_the_mail_folder_shown_by_a_page(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert container.settings.smtp_host is None
    shop = open_shop(http)
    shop.order("1001")
    token = customer_token(http, "1001")
    ok(
        http.post(
            "/v1/returns",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "order_number": "1001",
                "items": [{"line_id": "1", "quantity": 1, "reason_code": "CR-DEFECTIVE"}],
            },
        ),
        201,
    )

    drain(container)

    files = sorted((container.settings.data_dir / "mail").glob("*.eml"))
    assert len(files) >= 2
    monkeypatch.setattr(container.settings, "dev_mail", True)
    page = http.get("/dev/mail")
    assert page.status_code == 200
    assert "We received your return request" in page.text
    first = files[0].stem
    shown = http.get(f"/dev/mail/{first}")
    assert shown.status_code == 200
    assert "ada@example.com" in shown.text


def test_the_mail_folder_is_not_shown_unless_the_operator_asked_for_it(
    http: httpx.Client, container: Container
) -> None:
    assert container.settings.dev_mail is False
    assert http.get("/dev/mail").status_code == 404
    assert http.get("/dev/mail", headers={"host": "returns.shop.example"}).status_code == 404


def test_the_mail_folder_is_shown_to_this_machine_only(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container.settings, "dev_mail", True)
    assert http.get("/dev/mail").status_code == 200
    # A caller elsewhere, as a reverse proxy on this machine reports it (uvicorn trusts
    # X-Forwarded-For from loopback), is refused.
    elsewhere = {"x-forwarded-for": "203.0.113.9", "host": "returns.shop.example"}
    assert http.get("/dev/mail", headers=elsewhere).status_code == 404


def test_an_smtp_server_that_is_down_is_retried_then_marked_failed(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setattr(container.settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(container.settings, "smtp_port", closed)
    monkeypatch.setattr(container.settings, "smtp_tls", "none")
    monkeypatch.setattr(container.settings, "webhook_retry_schedule", [0, 0])
    shop = open_shop(http)
    shop.order("1001")
    ok(shop.request_return("1001", [("1", 1)]), 201)

    drain(container)

    m = email_messages.c
    with container.engine.connect() as connection:
        rows = connection.execute(select(m.recipient, m.status, m.attempts, m.last_error)).all()
    assert len(rows) == 2  # requested and authorized, kept though never sent
    for recipient, status, attempts, last_error in rows:
        assert (recipient, str(status), attempts) == ("ada@example.com", "failed", 3)
        assert "ConnectionRefusedError" in last_error


def test_email_preferences_refuse_unknown_event_types(http: httpx.Client) -> None:
    shop = open_shop(http)
    response = shop.call("PUT", "/v1/settings", json={"email_preferences": ["return.teleported"]})
    assert error_code(response, 422) == "unknown_event_type"
