"""``rma mail-in``: an SMTP (or LMTP) listener for the sellers' inbound return addresses.

Recipients are checked at ``RCPT TO`` (``<seller id>@<RMA_MAIL_IN_DOMAIN>`` of a known
seller, else 550), so mail for no one is refused before its body is sent. Each accepted
message is read (the plain text part, else the HTML one) and handed to the use case once per
seller it was addressed to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from rma.domain.mail_in import seller_of
from rma.services.mail_in import EmailOutcome, ReceiveReturnEmail

Take = Callable[[ReceiveReturnEmail], EmailOutcome]


class ReturnMailHandler:
    """aiosmtpd handler: checks recipients, turns each message into return requests."""

    def __init__(
        self, domain: str, portal_url: str, take: Take, knows: Callable[[str], bool]
    ) -> None:
        self.domain = domain
        self.portal_url = portal_url
        self.take = take
        self.knows = knows
        self.outcomes: list[EmailOutcome] = []  # the latest ones, for the operator's log

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        seller_id = seller_of(address, self.domain)
        loop = asyncio.get_running_loop()
        if seller_id is None or not await loop.run_in_executor(None, self.knows, seller_id):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        sender = parseaddr(str(message.get("From", "")))[1] or str(envelope.mail_from or "")
        subject = str(message.get("Subject", ""))[:300]
        text = _text_of(message)
        loop = asyncio.get_running_loop()
        for address in envelope.rcpt_tos:
            seller_id = seller_of(address, self.domain)
            if seller_id is None:
                continue
            cmd = ReceiveReturnEmail(seller_id, sender, subject, text, self.portal_url)
            outcome = await loop.run_in_executor(None, self.take, cmd)
            self.outcomes = [*self.outcomes[-99:], outcome]
        return "250 Message accepted"


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken part
        return ""
    return str(content)


class _LmtpController(Controller):
    def factory(self) -> SMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def listener(
    handler: ReturnMailHandler, host: str, port: int, *, lmtp: bool, max_bytes: int
) -> Controller:
    """A started-on-demand listener (``.start()`` / ``.stop()``) serving ``handler``."""
    kind = _LmtpController if lmtp else Controller
    return kind(handler, hostname=host, port=port, data_size_limit=max_bytes)
