"""Return requests by email: a real SMTP client talks to `rma mail-in`."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from rma.adapters import orm
from rma.adapters.orm_events import email_messages
from rma.bootstrap import Container
from rma.domain.statuses import ReturnStatus
from tests.builders import seller_with_order

RMA = str(Path(sys.executable).with_name("rma"))
DOMAIN = "returns.example.test"


@pytest.fixture
def mail_in(container: Container) -> Iterator[int]:
    """`rma mail-in` on a free port, over the test database."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "RMA_DATABASE_URL": container.settings.database_url,
        "RMA_DATA_DIR": str(container.settings.data_dir),
        "RMA_MAIL_IN_DOMAIN": DOMAIN,
        "RMA_BASE_URL": "https://rma.example.test",
    }
    process = subprocess.Popen(
        [RMA, "mail-in", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                output = process.communicate()[0].decode()
                raise RuntimeError(f"rma mail-in did not start: {output}") from None
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=15)


def send(port: int, sender: str, to: str, subject: str, text: str) -> None:
    message = EmailMessage()
    message["From"] = f"Someone <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(message)


def returns_of(container: Container) -> list[tuple[str, str]]:
    with container.engine.connect() as connection:
        rows = connection.execute(select(orm.returns.c.status, orm.returns.c.customer_email))
        return [(str(status), email) for status, email in rows]


def test_an_email_from_the_customer_becomes_a_request_in_review(
    container: Container, mail_in: int
) -> None:
    seller, order = seller_with_order(container, number="1001")  # professional: would authorize
    send(
        mail_in,
        order.customer_email,
        f"{seller.id}@{DOMAIN}",
        "Return for order #1001",
        "Hello, the mug arrived cracked. I would like my money back.",
    )
    assert returns_of(container) == [(ReturnStatus.PENDING_REVIEW.value, order.customer_email)]
    with container.engine.connect() as connection:
        comments = list(connection.execute(select(orm.return_items.c.comment)).scalars())
    assert any("the mug arrived cracked" in comment for comment in comments)


def test_a_stranger_gets_a_polite_answer_and_no_return(container: Container, mail_in: int) -> None:
    seller, _ = seller_with_order(container, number="1001")
    send(
        mail_in,
        "mallory@example.net",
        f"{seller.id}@{DOMAIN}",
        "Order 1001",
        "Please return everything in order 1001.",
    )
    assert returns_of(container) == []
    with container.engine.connect() as connection:
        (answer,) = connection.execute(select(email_messages)).mappings().all()
    assert answer["recipient"] == "mallory@example.net"
    assert "Thank you for your message" in answer["text_body"]
    assert "https://rma.example.test/returns?order_number=1001" in answer["text_body"]
    assert "ada" not in answer["text_body"].lower()  # nothing about the real customer


def test_mail_for_no_seller_is_refused_at_rcpt(container: Container, mail_in: int) -> None:
    seller_with_order(container, number="1001")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(mail_in, "ada@example.com", f"sel_nobody@{DOMAIN}", "Order 1001", "hi")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(mail_in, "ada@example.com", "someone@elsewhere.test", "Order 1001", "hi")
