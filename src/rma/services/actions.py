"""Single-use, expiring action links from the seller's emails: authorize, close, reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rma.domain.errors import Conflict, InvalidInput, NotFound
from rma.domain.returns import Actor, Return
from rma.services.clock import utcnow
from rma.services.event_ports import NewEmail
from rma.services.returns import (
    AuthorizeReturn,
    FinishReturn,
    Scope,
    authorize_return,
    close_return,
)
from rma.services.unit_of_work import UnitOfWork

ACTIONS = ("authorize", "close", "reply")


@dataclass(frozen=True)
class ActionLink:
    """What a verified link says: who may do what to which return, until when."""

    token_id: str
    action: str
    seller_id: str
    return_id: str
    expires_at: datetime


@dataclass(frozen=True)
class UseActionLink:
    link: ActionLink
    note: str = ""  # the closing note, or the reply to the customer


@dataclass(frozen=True)
class ReplyEmail:
    """A reply to the customer, rendered by the entrypoint's composer."""

    subject: str
    text_body: str
    html_body: str


def open_action_link(link: ActionLink, uow: UnitOfWork) -> Return:
    """The return a link acts on, once the link is still good (not expired, not used)."""
    with uow:
        _check(link, uow)
        ret = uow.returns.get(link.seller_id, link.return_id)
        if ret is None:
            raise NotFound("the return of this link is gone", code="return_not_found")
        return ret


def use_action_link(cmd: UseActionLink, uow: UnitOfWork, reply: ReplyEmail | None = None) -> Return:
    """Do what the link says, and spend it in the same transaction."""
    link = cmd.link
    open_action_link(link, uow)
    actor = Actor("seller", f"email-link:{link.token_id}")
    scope = Scope(link.seller_id)
    uow.spend_action_token(link.token_id, link.seller_id)
    if link.action == "authorize":
        return authorize_return(AuthorizeReturn(scope, link.return_id, actor), uow)
    if link.action == "close":
        return close_return(FinishReturn(scope, link.return_id, actor, cmd.note), uow)
    if reply is None or not cmd.note.strip():
        raise InvalidInput("write a message to send", details=[{"field": "note"}])
    with uow:
        ret = uow.returns.get(link.seller_id, link.return_id)
        assert ret is not None
        email = NewEmail(
            link.token_id,
            link.seller_id,
            link.token_id,
            "customer",
            ret.customer_email,
            reply.subject,
            reply.text_body,
            reply.html_body,
        )
        uow.emails.add_all([email], utcnow())
        uow.commit()
        return ret


def _check(link: ActionLink, uow: UnitOfWork) -> None:
    if link.action not in ACTIONS:
        raise NotFound("this link is not valid", code="action_link_invalid")
    if utcnow() >= link.expires_at:
        raise Conflict("this link has expired", code="action_link_expired")
    if uow.action_tokens.used(link.token_id):
        raise Conflict("this link was used already", code="action_link_used")
