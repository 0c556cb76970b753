"""Email: rendering per event and audience (Jinja2), and sending by SMTP or into a folder.

Templates live in ``web/templates/email/<audience>/<event type>.{txt,html}``; the text one
starts with a ``Subject:`` line. An event without a template for an audience sends nothing
to it. Emails to the seller carry signed, single-use, expiring action links.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, TemplateNotFound, select_autoescape

from rma.adapters import i18n
from rma.adapters.page_links import PageLinks
from rma.adapters.private_files import write_private
from rma.adapters.signing import BadSignature, Signer
from rma.config import Settings
from rma.domain.errors import NotFound
from rma.domain.ids import new_id
from rma.services.actions import ActionLink, ReplyEmail
from rma.services.clock import utcnow
from rma.services.event_ports import ClaimedEmail, OutboxEvent, ReturnContact
from rma.web import words

if TYPE_CHECKING:
    from rma.services.tracker import Story

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
ACTION_PURPOSE = "email-action"

# The actions a seller's email offers, by event type.
SELLER_ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "return.requested": (("authorize", "Authorize"), ("close", "Close"), ("reply", "Reply")),
    "return.pending_review": (("authorize", "Authorize"), ("close", "Close"), ("reply", "Reply")),
    "return.received": (("close", "Close"), ("reply", "Reply")),
    "return.inspected": (("close", "Close"), ("reply", "Reply")),
    "return.resolved": (("close", "Close"), ("reply", "Reply")),
}

# The answers a supplier's email offers (rma.services.supplier_rmas).
SUPPLIER_LINKS = (("supplier_accept", "Accept the return"), ("supplier_refuse", "Refuse it"))


def template_environment() -> Environment:
    """The Jinja2 environment of pages and emails, escaping HTML (not text) templates."""
    return i18n.install(
        Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            keep_trailing_newline=True,
        )
    )


class JinjaEmailComposer:
    """Renders subject, text and HTML of an event's email; signs the seller's action links."""

    def __init__(self, signer: Signer, base_url: str, link_hours: int, page_days: int = 180):
        self.env = template_environment()
        self.signer = signer
        self.base_url = base_url.rstrip("/")
        self.link_hours = link_hours
        self.page_links = PageLinks(signer, base_url, timedelta(days=page_days))

    def compose(
        self,
        event: OutboxEvent,
        audience: str,
        contact: ReturnContact,
        seller_name: str,
        story: Story | None = None,
    ) -> tuple[str, str, str] | None:
        """Subject, text and HTML of ``event``'s email to ``audience``, or ``None``.

        A customer's email is written in the language the customer used in the portal (else
        the seller's), with the signed links to the RMA page and the label.
        """
        language = "en"
        links: dict[str, str] = {"portal_url": f"{self.base_url}/returns"}
        if story is not None:
            language = story.ret.language or story.language
            if story.ret.rma_number:
                links["page_url"] = self.page_links.url(story.ret)
                links["label_url"] = self.page_links.url(story.ret, "/label.pdf")
        with i18n.speaking(language):
            return self._compose(event, audience, contact, seller_name, story, links)

    def _compose(
        self,
        event: OutboxEvent,
        audience: str,
        contact: ReturnContact,
        seller_name: str,
        story: Story | None,
        links: dict[str, str],
    ) -> tuple[str, str, str] | None:
        try:
            text = self.env.get_template(f"email/{audience}/{event.type}.txt")
            html = self.env.get_template(f"email/{audience}/{event.type}.html")
        except TemplateNotFound:
            return None
        expires = utcnow() + timedelta(hours=self.link_hours)
        actions = []
        if audience == "seller":
            for action, label in SELLER_ACTIONS.get(event.type, ()):
                token = self.signer.sign(
                    ACTION_PURPOSE,
                    {
                        "jti": new_id("act"),
                        "act": action,
                        "sid": event.seller_id,
                        "rid": event.return_id,
                        "exp": int(expires.timestamp()),
                    },
                )
                actions.append({"label": label, "url": f"{self.base_url}/actions/{token}"})
        if audience == "supplier":
            actions = self._supplier_links(event, expires)
        context: dict[str, Any] = {
            "event": event,
            "data": event.payload.get("data", {}),
            "contact": contact,
            "seller_name": seller_name,
            "actions": actions,
            "links_expire": expires.strftime("%Y-%m-%d %H:%M UTC"),
            "story": story,
            "words": words,
            **links,
        }
        first, _, body = text.render(context).partition("\n")
        subject = first.removeprefix("Subject:").strip()
        # Parts left out leave blank lines behind: one blank line between paragraphs is enough.
        body = re.sub(r"\n[ \t]*(\n[ \t]*)+\n", "\n\n", body.lstrip("\n"))
        return subject, body, html.render(context)

    def _supplier_links(self, event: OutboxEvent, expires: datetime) -> list[dict[str, str]]:
        # Both links share one token id: answering by either spends the other too.
        token_id = new_id("act")
        links = []
        for action, label in SUPPLIER_LINKS:
            claims = {
                "jti": token_id,
                "act": action,
                "sid": event.seller_id,
                "rid": event.return_id,
                "exp": int(expires.timestamp()),
            }
            token = self.signer.sign(ACTION_PURPOSE, claims)
            links.append({"label": label, "url": f"{self.base_url}/supplier-actions/{token}"})
        return links


def build_message(email: ClaimedEmail, sender: str, domain: str = "localhost") -> EmailMessage:
    """A MIME message with a text part and an HTML alternative.

    It comes from ``sender``'s address under the seller's name when the email has one, with
    the seller's Reply-To; ``Date`` is in UTC (``+0000``) and the Message-ID is on ``domain``
    (the host of ``RMA_BASE_URL``), so mail systems thread and trust it.
    """
    display, address = parseaddr(sender)
    message = EmailMessage()
    message["From"] = formataddr((email.sender_name or display, address or sender))
    message["To"] = email.recipient
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(utcnow().astimezone(UTC))
    message["Message-ID"] = make_msgid(idstring=email.id, domain=domain)
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    return message


class SmtpMailer:
    """Sends through an SMTP server: STARTTLS, implicit TLS or plain, with optional login."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def send(self, email: ClaimedEmail) -> None:
        s = self.settings
        assert s.smtp_host is not None
        timeout = 30
        smtp: smtplib.SMTP
        if s.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=timeout)
        with smtp:
            if s.smtp_tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            smtp.send_message(build_message(email, s.mail_from, message_domain(s)))


class FolderMailer:
    """Writes each email as an ``.eml`` file, so trying rma needs no mail server."""

    def __init__(self, folder: Path, sender: str, domain: str = "localhost"):
        self.folder = folder
        self.sender = sender
        self.domain = domain

    def send(self, email: ClaimedEmail) -> None:
        # 0600: the message may carry working action links. Readers never see half of it.
        message = bytes(build_message(email, self.sender, self.domain))
        write_private(self.folder / f"{email.id}.eml", message)

    def messages(self) -> list[Path]:
        """The stored emails, newest first."""
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.eml"), reverse=True)


def mail_folder(settings: Settings) -> Path:
    return settings.data_dir / "mail"


def make_mailer(settings: Settings) -> SmtpMailer | FolderMailer:
    """SMTP when ``RMA_SMTP_HOST`` is set, else the mail folder under ``data_dir``."""
    if settings.smtp_host:
        return SmtpMailer(settings)
    return FolderMailer(mail_folder(settings), settings.mail_from, message_domain(settings))


def message_domain(settings: Settings) -> str:
    """The host Message-IDs are made on: the one customers' links point to."""
    return urlsplit(settings.base_url).hostname or "localhost"


def read_action_token(signer: Signer, token: str) -> ActionLink:
    """The claims of an action link's token, or ``NotFound`` if it was forged or altered."""
    try:
        claims = signer.unsign(ACTION_PURPOSE, token)
        return ActionLink(
            token_id=str(claims["jti"]),
            action=str(claims["act"]),
            seller_id=str(claims["sid"]),
            return_id=str(claims["rid"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise NotFound("this link is not valid", code="action_link_invalid") from error


def compose_reply(rma_number: str, seller_name: str, message: str) -> ReplyEmail:
    """The email carrying a seller's reply to the customer."""
    env = template_environment()
    context = {"rma_number": rma_number, "seller_name": seller_name, "message": message}
    text = env.get_template("email/customer/reply.txt").render(context)
    first, _, body = text.partition("\n")
    html = env.get_template("email/customer/reply.html").render(context)
    return ReplyEmail(first.removeprefix("Subject:").strip(), body.lstrip("\n"), html)
