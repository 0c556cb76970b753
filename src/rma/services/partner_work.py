"""What a partner key does: list and open the returns routed to it, answer and resolve.

Every lookup goes through the partner's scope, so a return routed elsewhere (or another
seller's) is not found: 404, never 403, so a partner learns nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.errors import InvalidInput
from rma.domain.returns import Actor, Return
from rma.domain.supplier_rmas import SupplierOutcome, SupplierRma
from rma.services.partners import find_partner
from rma.services.returns import Scope, _find
from rma.services.supplier_rmas import (
    AnswerSupplierRma,
    ResolveSupplierRma,
    SupplierAnswer,
    SupplierCase,
    answer_supplier_rma,
    resolve_supplier_rma,
)
from rma.services.unit_of_work import UnitOfWork

PAGE = 200


@dataclass(frozen=True)
class PartnerCase:
    """A return routed to the partner, and its supplier RMA when the partner is a supplier."""

    ret: Return
    rma: SupplierRma | None


def routed_to(seller_id: str, partner_id: str, uow: UnitOfWork) -> list[PartnerCase]:
    """The returns routed to one partner, most recently updated first."""
    with uow:
        found = uow.partner_returns.routed_to(seller_id, partner_id, PAGE)
        rmas = {r.return_id: r for r in uow.supplier_rmas.listed(seller_id, partner_id)}
        return [PartnerCase(ret, rmas.get(ret.id)) for ret in found]


def partner_case(scope: Scope, ref: str, uow: UnitOfWork) -> PartnerCase:
    """One return routed to the partner (``NotFound`` for any other)."""
    with uow:
        ret = _find(uow, scope, ref)
        return PartnerCase(ret, uow.supplier_rmas.for_return(ret.seller_id, ret.id))


def answer_as_partner(
    scope: Scope, ref: str, answer: SupplierAnswer, actor: Actor, uow: UnitOfWork
) -> SupplierCase:
    """A supplier answers through the API; accepting without an address uses its own."""
    assert scope.partner_id is not None
    with uow:
        ret = _find(uow, scope, ref)
        partner = find_partner(uow, scope.seller_id, scope.partner_id)
    if answer.accept:
        if not answer.rma_number.strip():
            raise InvalidInput(
                "give your RMA number",
                code="rma_number_required",
                details=[{"field": "rma_number"}],
            )
        address = answer.address or partner.address
        if address is None:
            raise InvalidInput(
                "give the address the customer sends it to",
                code="address_required",
                details=[{"field": "address"}],
            )
        answer = SupplierAnswer(True, answer.rma_number, address)
    cmd = AnswerSupplierRma(scope.seller_id, ret.id, answer, actor, scope.partner_id)
    return answer_supplier_rma(cmd, uow)


def resolve_as_partner(
    scope: Scope,
    ref: str,
    outcome: SupplierOutcome,
    actor: Actor,
    uow: UnitOfWork,
    credit_memo: str = "",
    note: str = "",
) -> SupplierCase:
    """A supplier records what it did with the goods."""
    assert scope.partner_id is not None
    with uow:
        ret = _find(uow, scope, ref)
    cmd = ResolveSupplierRma(
        scope.seller_id, scope.partner_id, ret.id, outcome, actor, credit_memo, note
    )
    return resolve_supplier_rma(cmd, uow)
