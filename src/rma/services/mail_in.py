"""A customer's email to the seller's inbound address becomes a return request in review."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from rma.domain import mail_in
from rma.domain.errors import RmaError
from rma.domain.ids import new_id
from rma.domain.orders import Order
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.services import returns
from rma.services.clock import utcnow
from rma.services.event_ports import NewEmail
from rma.services.unit_of_work import UnitOfWork

# The email names no reason: a person reads it in review and decides.
PREFERRED_REASON = "CR-UNWANTED_ITEM"
MAX_COMMENT = 2000
MAX_CANDIDATES = 5


@dataclass(frozen=True)
class ReceiveReturnEmail:
    seller_id: str
    sender: str
    subject: str
    text: str
    portal_url: str  # the customer portal's start page, for the automatic answer


@dataclass(frozen=True)
class EmailOutcome:
    """The return now in review, or why an automatic answer went out instead."""

    return_id: str | None
    answer: str | None = None  # no_order, not_the_customer or nothing_returnable


def receive_return_email(cmd: ReceiveReturnEmail, uows: Callable[[], UnitOfWork]) -> EmailOutcome:
    """Match the email to an order by number and sender; request its return, or answer.

    A sender who is not the order's customer learns nothing about the order: the answer is
    the same polite one as for an order that does not exist, with a link to the portal.
    """
    with uows() as uow:
        candidates: list[Order] = []
        for number in mail_in.order_numbers(cmd.subject, cmd.text):
            found = uow.orders.by_number(cmd.seller_id, number)
            if found is not None:
                candidates.append(found)
            if len(candidates) >= MAX_CANDIDATES:
                break
        order = next((o for o in candidates if o.owned_by(cmd.sender)), None)
        reasons = {code.code for code in uow.reason_codes.all(cmd.seller_id) if code.active}
    if order is None:
        answer = "not_the_customer" if candidates else "no_order"
        number = candidates[0].number if candidates else ""
        _answer(cmd, uows, answer, number)
        return EmailOutcome(None, answer)
    reason = PREFERRED_REASON if PREFERRED_REASON in reasons else min(reasons, default="")
    comment = f"{cmd.subject}\n\n{cmd.text}".strip()[:MAX_COMMENT]
    items = [
        RequestedItem(line.line_id, shipped, reason, comment if not n else "")
        for n, (line, shipped) in enumerate(
            (line, order.shipped_quantity(line.line_id)) for line in order.lines
        )
        if shipped
    ]
    request = returns.RequestReturn(
        returns.Scope(cmd.seller_id),
        order.number,
        items,
        Actor("customer", cmd.sender),
        review=True,
    )
    try:
        outcome = returns.request_return(request, uows())
    except RmaError:
        _answer(cmd, uows, "nothing_returnable", order.number)
        return EmailOutcome(None, "nothing_returnable")
    return EmailOutcome(outcome.ret.id)


_ANSWERS = {
    "no_order": "We could not find the order your email is about.",
    "not_the_customer": "We could not find the order your email is about.",
    "nothing_returnable": "We could not start a return for that order from your email.",
}


def _answer(
    cmd: ReceiveReturnEmail, uows: Callable[[], UnitOfWork], answer: str, number: str
) -> None:
    query = urlencode({"order_number": number, "email": cmd.sender, "seller_id": cmd.seller_id})
    link = f"{cmd.portal_url}?{query}"
    text = (
        f"Hello,\n\nThank you for your message. {_ANSWERS[answer]} You can start a return "
        f"yourself with the order number and the email address you ordered with:\n\n{link}\n\n"
        "If you need help, reply to this email.\n"
    )
    html = (
        f"<p>Hello,</p><p>Thank you for your message. {escape(_ANSWERS[answer])} You can "
        "start a return yourself with the order number and the email address you ordered "
        f'with:</p><p><a href="{escape(link)}">Start a return</a></p>'
        "<p>If you need help, reply to this email.</p>"
    )
    subject = f"Re: {cmd.subject}"[:300] if cmd.subject else "Your return request"
    email = NewEmail(
        new_id("eml"), cmd.seller_id, new_id("mail"), "customer", cmd.sender, subject, text, html
    )
    with uows() as uow:
        uow.emails.add_all([email], utcnow())
        uow.commit()


def knows_seller(seller_id: str, uow: UnitOfWork) -> bool:
    """Whether an inbound address belongs to a seller (mail to others is refused at RCPT)."""
    with uow:
        return uow.sellers.get(seller_id) is not None
