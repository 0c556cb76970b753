"""The customer's emails, read from the mail folder: words, links that work, proper headers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from rma.bootstrap import Container
from rma.worker import EventWorker
from tests.customer_support import catalogue_shop, order_with_catalogue
from tests.support import Shop, ok

BASE = "https://rma.example"


@pytest.fixture
def mailbox(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """The mail folder emptied before and after, and links made on a public host."""
    monkeypatch.setattr(container.settings, "base_url", BASE)
    monkeypatch.setattr(container.settings, "mail_from", "rma <no-reply@rma.example>")
    clear_mail(container)
    yield container
    clear_mail(container)  # other modules read the folder too


def clear_mail(container: Container) -> None:
    """Empty the mail folder: what a test reads there is what it sent."""
    shutil.rmtree(container.settings.data_dir / "mail", ignore_errors=True)


def delivered(container: Container, to: str) -> list[EmailMessage]:
    """Every email sent to ``to`` so far, oldest first (the worker runs first)."""
    worker = EventWorker(container)
    try:
        worker.drain()
    finally:
        worker.close()
    found = []
    for path in sorted((container.settings.data_dir / "mail").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"] == to:
            found.append(message)
    return sorted(found, key=lambda m: m["Date"].datetime)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _ask(shop: Shop, number: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    body = {
        "order_number": number,
        "items": [{"line_id": "1", "quantity": 2, "reason_code": "CR-UNWANTED_ITEM"}],
    }
    created: dict[str, Any] = ok(
        shop.call("POST", "/v1/returns", json=body, headers=headers or {}), 201
    )
    return created


def _local(url: str) -> str:
    assert url.startswith(BASE), url
    return url.removeprefix(BASE)


def test_the_authorized_email_says_how_to_send_it_back_with_links_that_work(
    http: httpx.Client, mailbox: Container
) -> None:
    shop = catalogue_shop(http)
    ok(shop.call("PUT", "/v1/portal-settings", json={"reply_to": "care@tidytees.example"}))
    order_with_catalogue(shop, "E-1", email="erin@example.com")
    ret = _ask(shop, "E-1")

    *_, authorized = delivered(mailbox, "erin@example.com")
    text = text_of(authorized)

    assert authorized["Subject"] == f"Your return {ret['rma_number']} is authorized"
    assert authorized["From"] == "Tidy Tees <no-reply@rma.example>"
    assert authorized["Reply-To"] == "care@tidytees.example"
    assert authorized["Date"].endswith("+0000")
    assert authorized["Message-ID"].endswith("@rma.example>")
    assert "- Organic tee x 2: No longer needed/wanted" in text  # words, not codes
    assert "CR-UNWANTED_ITEM" not in text
    assert "Send it to:\nReturns Dept\n1 Dock Road\nReno NV 89501\nUS" in text
    assert "Drop it off by " in text
    assert "You pay the postage when you drop it off." in text
    label = next(w for w in text.split() if "/label.pdf?t=" in w)
    page = next(w for w in text.split() if w.startswith(f"{BASE}/rma/") and "label" not in w)
    pdf = http.get(_local(label))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    opened = http.get(_local(page))
    assert opened.status_code == 200
    assert ret["rma_number"] in opened.text
    html = authorized.get_body(("html",))
    assert html is not None
    assert f'href="{label}"' in html.get_content().replace("&amp;", "&")


def test_every_customer_email_links_to_the_return_and_the_resolution_says_the_amount(
    http: httpx.Client, mailbox: Container
) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "E-2", email="finn@example.com")
    ret = _ask(shop, "E-2")
    item = ret["items"][0]["id"]
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/receive", "warehouse",
                 json={"items": [{"item_id": item, "quantity": 2}]}))  # fmt: skip
    judged = {"item_id": item, "accepted": 2, "condition": "sellable", "disposition": "restock"}
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/inspect", "warehouse", json={"items": [judged]}))
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/resolve", json={}))

    emails = delivered(mailbox, "finn@example.com")

    subjects = [m["Subject"] for m in emails]
    assert subjects[-1] == f"Your return {ret['rma_number']} is resolved"
    for message in emails:
        assert f"{BASE}/rma/{ret['rma_number']}?t=" in text_of(message) or (
            f"{BASE}/returns" in text_of(message)
        )
    resolved = text_of(emails[-1])
    # 50.00 + 4.00 tax - 7.50 restocking fee, in the order's currency.
    assert "Refund of $46.50: on its way to you." in resolved
    assert f"{BASE}/rma/{ret['rma_number']}?t=" in resolved


def test_a_customer_who_asks_in_french_is_written_to_in_french(
    http: httpx.Client, mailbox: Container
) -> None:
    shop = catalogue_shop(http)
    ok(shop.call("PUT", "/v1/portal-settings", json={"language": "de"}))
    order_with_catalogue(shop, "E-3", email="fanny@example.com")
    order_with_catalogue(shop, "E-4", email="gerd@example.com")
    french = _ask(shop, "E-3", headers={"Accept-Language": "fr-CH, fr;q=0.9"})
    _ask(shop, "E-4")  # no language asked: the seller's default

    *_, authorized = delivered(mailbox, "fanny@example.com")
    assert authorized["Subject"] == f"Votre retour {french['rma_number']} est autorisé"
    text = text_of(authorized)
    assert "- Organic tee x 2: Plus nécessaire/plus souhaité" in text
    assert "Imprimer l\u2019étiquette :" in text
    *_, german = delivered(mailbox, "gerd@example.com")
    assert german["Subject"].endswith("ist genehmigt")
