"""Use cases of supplier RMAs: the supplier's answer (by signed link or the partner API),
its resolution, the seller's credit, reminders and escalation, and reconciliation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rma.domain.addresses import Address
from rma.domain.errors import Conflict, NotFound
from rma.domain.partners import Partner
from rma.domain.returns import SYSTEM, Actor, Return
from rma.domain.sellers import OutOfPolicyHandling
from rma.domain.statuses import ReturnStatus
from rma.domain.supplier_rmas import SupplierOutcome, SupplierRma, SupplierRmaStatus
from rma.services.actions import ActionLink
from rma.services.clock import utcnow
from rma.services.returns import AuthorizeReturn, Scope, _authorize, _seller
from rma.services.unit_of_work import UnitOfWork

SUPPLIER_ACTIONS = ("supplier_accept", "supplier_refuse")


@dataclass(frozen=True)
class SupplierAnswer:
    """Accept (with the supplier's RMA number and return address) or refuse (with a reason)."""

    accept: bool
    rma_number: str = ""
    address: Address | None = None
    reason: str = ""


@dataclass(frozen=True)
class AnswerSupplierRma:
    seller_id: str
    return_id: str
    answer: SupplierAnswer
    actor: Actor
    partner_id: str | None = None  # the partner API's caller: only its own


@dataclass(frozen=True)
class ResolveSupplierRma:
    seller_id: str
    partner_id: str
    return_id: str
    outcome: SupplierOutcome
    actor: Actor
    credit_memo: str = ""
    note: str = ""


@dataclass(frozen=True)
class RecordSupplierCredit:
    seller_id: str
    rma_id: str
    amount: int
    memo: str = ""


@dataclass(frozen=True)
class SupplierCase:
    """A supplier RMA with its return, as the partner station and the desk show it."""

    rma: SupplierRma
    ret: Return


@dataclass(frozen=True)
class SupplierBalance:
    """What one supplier owes the seller: expected, received, open, over its RMAs."""

    partner: Partner
    currency: str
    expected: int
    received: int
    open: int
    rmas: list[SupplierRma]


def open_supplier_link(link: ActionLink, uow: UnitOfWork) -> SupplierCase:
    """The case a supplier's link answers, once the link is good and the case unanswered."""
    with uow:
        _check_link(link, uow)
        return _case(uow, link.seller_id, link.return_id, None)


def use_supplier_link(link: ActionLink, answer: SupplierAnswer, uow: UnitOfWork) -> SupplierCase:
    """Answer by a signed link, spending it (and its twin) in the same transaction."""
    if (link.action == "supplier_accept") != answer.accept:
        raise NotFound("this link is not valid", code="action_link_invalid")
    with uow:
        _check_link(link, uow)
    uow.spend_action_token(link.token_id, link.seller_id)
    actor = Actor("supplier", f"email-link:{link.token_id}")
    return answer_supplier_rma(
        AnswerSupplierRma(link.seller_id, link.return_id, answer, actor), uow
    )


def answer_supplier_rma(cmd: AnswerSupplierRma, uow: UnitOfWork) -> SupplierCase:
    """The supplier accepts or refuses; acceptance authorizes the return to its address."""
    now = utcnow()
    with uow:
        case = _case(uow, cmd.seller_id, cmd.return_id, cmd.partner_id)
        rma, ret = case.rma, case.ret
        if ret.status is not ReturnStatus.PENDING_REVIEW and rma.waiting_for_supplier:
            raise Conflict(
                f"the seller already decided this return (it is {ret.status})",
                code="supplier_rma_withdrawn",
            )
        if cmd.answer.accept:
            assert cmd.answer.address is not None
            rma.accept(cmd.answer.rma_number, cmd.answer.address, now, str(cmd.actor))
            ret.routing = {**(ret.routing or {}), "supplier_rma_number": rma.supplier_rma_number}
            ret.remark(
                "supplier_accepted",
                f"supplier RMA {rma.supplier_rma_number}",
                actor=cmd.actor,
                now=now,
            )
            seller = _seller(uow, ret.seller_id)
            may = ret.in_policy or seller.out_of_policy is OutOfPolicyHandling.AUTHORIZE
            if may and ret.status is ReturnStatus.PENDING_REVIEW:
                _authorize(uow, seller, ret, AuthorizeReturn(Scope(seller.id), ret.id, SYSTEM), now)
        else:
            rma.refuse(cmd.answer.reason, now, str(cmd.actor))
            # Back on the seller's desk: it is still waiting in review, now for the seller,
            # and no longer the supplier's to work on.
            ret.remark("supplier_refused", rma.refusal_reason, actor=cmd.actor, now=now)
            ret.partner_id = None
        uow.commit()
        return case


def resolve_supplier_rma(cmd: ResolveSupplierRma, uow: UnitOfWork) -> SupplierCase:
    """The supplier records what it did with the goods: credit, replacement or refused."""
    now = utcnow()
    with uow:
        case = _case(uow, cmd.seller_id, cmd.return_id, cmd.partner_id)
        case.rma.resolve(cmd.outcome, now, credit_memo=cmd.credit_memo, note=cmd.note)
        case.ret.remark("supplier_resolved", f"supplier: {cmd.outcome}", actor=cmd.actor, now=now)
        uow.commit()
        return case


def record_supplier_credit(cmd: RecordSupplierCredit, uow: UnitOfWork) -> SupplierRma:
    """The seller received a credit from the supplier for one supplier RMA."""
    with uow:
        rma = uow.supplier_rmas.get(cmd.seller_id, cmd.rma_id)
        if rma is None:
            raise NotFound(f"no supplier RMA {cmd.rma_id}", code="supplier_rma_not_found")
        rma.record_credit(cmd.amount, utcnow(), memo=cmd.memo)
        uow.commit()
        return rma


def supplier_case(
    seller_id: str, return_id: str, partner_id: str | None, uow: UnitOfWork
) -> SupplierCase:
    with uow:
        return _case(uow, seller_id, return_id, partner_id)


def list_supplier_rmas(
    seller_id: str, partner_id: str | None, uow: UnitOfWork
) -> list[SupplierRma]:
    with uow:
        return uow.supplier_rmas.listed(seller_id, partner_id)


def supplier_balances(seller_id: str, uow: UnitOfWork) -> list[SupplierBalance]:
    """Per supplier: credit expected, received and still open (reconciliation)."""
    with uow:
        rmas = uow.supplier_rmas.listed(seller_id)
        partners = {p.id: p for p in uow.partners.all(seller_id)}
    by_key: dict[tuple[str, str], list[SupplierRma]] = {}
    for rma in rmas:
        by_key.setdefault((rma.partner_id, rma.currency), []).append(rma)
    balances = []
    for (partner_id, currency), mine in sorted(by_key.items()):
        expected = sum(r.owed for r in mine)
        received = sum(r.received_credit for r in mine)
        balances.append(
            SupplierBalance(
                partners[partner_id],
                currency,
                expected,
                received,
                sum(r.open_balance for r in mine),
                mine,
            )
        )
    return balances


def remind_and_escalate(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Remind suppliers that did not answer in time; escalate to the seller after twice that."""
    now = now or utcnow()
    moved = 0
    with uow:
        for rma in uow.supplier_rmas.unanswered(500):
            partner = uow.partners.get(rma.seller_id, rma.partner_id)
            if partner is None:
                continue
            terms = partner.terms
            if rma.status is SupplierRmaStatus.REQUESTED and now >= terms.escalation_due(
                rma.requested_at
            ):
                rma.escalate(now)
                ret = uow.returns.get(rma.seller_id, rma.return_id)
                if ret is not None:
                    ret.remark(
                        "supplier_escalated",
                        f"{partner.name} did not answer",
                        actor=SYSTEM,
                        now=now,
                    )
                moved += 1
            elif (
                rma.status is SupplierRmaStatus.REQUESTED
                and rma.reminded_at is None
                and now >= terms.reminder_due(rma.requested_at)
            ):
                rma.remind(now, partner.contact_email)
                moved += 1
        uow.commit()
    return moved


def _case(uow: UnitOfWork, seller_id: str, return_id: str, partner_id: str | None) -> SupplierCase:
    rma = uow.supplier_rmas.for_return(seller_id, return_id)
    if rma is None or (partner_id is not None and rma.partner_id != partner_id):
        raise NotFound(f"no supplier RMA for return {return_id}", code="supplier_rma_not_found")
    ret = uow.returns.get(seller_id, rma.return_id)
    if ret is None:
        raise NotFound(f"no return {return_id}", code="return_not_found")
    return SupplierCase(rma, ret)


def _check_link(link: ActionLink, uow: UnitOfWork) -> None:
    if link.action not in SUPPLIER_ACTIONS:
        raise NotFound("this link is not valid", code="action_link_invalid")
    if utcnow() >= link.expires_at:
        raise Conflict("this link has expired", code="action_link_expired")
    if uow.action_tokens.used(link.token_id):
        raise Conflict("this link was used already", code="action_link_used")
