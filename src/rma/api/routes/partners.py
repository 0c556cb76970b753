"""Suppliers and 3PLs: partners, routing rules, supplier RMAs and credit; the partner API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import Response

from rma.adapters.credit_export import credit_csv
from rma.api.deps import STAFF, ContainerDep, PrincipalDep
from rma.api.idempotency import run_idempotent
from rma.api.schemas import ApiKeyPublic
from rma.api.schemas import partners as schemas
from rma.domain.access import Principal, Role
from rma.domain.errors import InvalidInput
from rma.domain.returns import Inspection, Receipt
from rma.domain.routing import Destination
from rma.services import inspection, partner_work, partners, supplier_rmas
from rma.services import returns as returns_service
from rma.services.returns import Scope
from rma.services.unit_of_work import UnitOfWork

router = APIRouter(tags=["partners"])

Id = Annotated[str, Path(min_length=1, max_length=40)]
ReturnRef = Annotated[str, Path(min_length=1, max_length=64, description="Return id or RMA number")]


# -- the seller's side ---------------------------------------------------------------------


@router.post(
    "/v1/partners",
    operation_id="partners-create",
    status_code=201,
    response_model=schemas.PartnerPublic,
    summary="Add a supplier (dropship) or a 3PL (outsourced fulfillment center)",
)
def create_partner(
    body: schemas.PartnerCreate, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    cmd = partners.AddPartner(
        principal.require(*STAFF),
        body.kind,
        body.name,
        body.contact_email,
        body.address.to_domain() if body.address else None,
        body.facility_code,
        body.skus,
        body.categories,
        body.terms.to_domain(),
    )

    def add(uow: UnitOfWork) -> schemas.PartnerPublic:
        return schemas.PartnerPublic.of(partners.add_partner(cmd, uow))

    return run_idempotent(request, container, principal, body, add, status_code=201)


@router.get("/v1/partners", operation_id="partners-list", response_model=schemas.PartnersPublic)
def list_partners(container: ContainerDep, principal: PrincipalDep) -> schemas.PartnersPublic:
    found = partners.list_partners(principal.require(*STAFF), container.reader())
    return schemas.PartnersPublic(data=[schemas.PartnerPublic.of(p) for p in found])


@router.get(
    "/v1/partners/{partner_id}", operation_id="partners-get", response_model=schemas.PartnerPublic
)
def get_partner(
    partner_id: Id, container: ContainerDep, principal: PrincipalDep
) -> schemas.PartnerPublic:
    found = partners.get_partner(principal.require(*STAFF), partner_id, container.reader())
    return schemas.PartnerPublic.of(found)


@router.post(
    "/v1/partners/{partner_id}/api-keys",
    operation_id="partners-keys-create",
    status_code=201,
    response_model=ApiKeyPublic,
    summary="Issue a partner key: it sees the returns routed to this partner only",
)
def create_partner_key(
    partner_id: Id,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[schemas.PartnerKeyCreate, Body(default_factory=schemas.PartnerKeyCreate)],
) -> Response:
    cmd = partners.IssuePartnerKey(principal.require(Role.ADMIN), partner_id, body.name)

    def issue(uow: UnitOfWork) -> ApiKeyPublic:
        issued = partners.issue_partner_key(cmd, uow)
        key = issued.key
        return ApiKeyPublic(
            id=key.id,
            role=key.role,
            seller_id=key.seller_id,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            key=issued.secret,
        )

    return run_idempotent(request, container, principal, body, issue, status_code=201)


@router.get(
    "/v1/routing-rules",
    operation_id="routing-rules-list",
    response_model=schemas.RoutingRulesPublic,
)
def list_rules(container: ContainerDep, principal: PrincipalDep) -> schemas.RoutingRulesPublic:
    rules = partners.list_routing_rules(principal.require(*STAFF), container.reader())
    return schemas.RoutingRulesPublic(data=[schemas.RulePublic.of(r) for r in rules])


@router.put(
    "/v1/routing-rules",
    operation_id="routing-rules-set",
    response_model=schemas.RoutingRulesPublic,
    summary="Replace the ordered routing rules (first match wins); 422 on a missing destination",
)
def set_rules(
    body: schemas.RoutingRulesIn, container: ContainerDep, principal: PrincipalDep
) -> schemas.RoutingRulesPublic:
    cmd = partners.SetRoutingRules(
        principal.require(*STAFF),
        [
            partners.NewRule(
                r.name,
                r.conditions.to_domain(),
                Destination(r.destination.kind, r.destination.ref),
            )
            for r in body.rules
        ],
    )
    rules = partners.set_routing_rules(cmd, container.uow())
    return schemas.RoutingRulesPublic(data=[schemas.RulePublic.of(r) for r in rules])


@router.get(
    "/v1/supplier-rmas",
    operation_id="supplier-rmas-list",
    response_model=schemas.SupplierRmasPublic,
)
def list_supplier_rmas(
    container: ContainerDep, principal: PrincipalDep, partner_id: str | None = None
) -> schemas.SupplierRmasPublic:
    found = supplier_rmas.list_supplier_rmas(
        principal.require(*STAFF), partner_id, container.reader()
    )
    return schemas.SupplierRmasPublic(data=[schemas.SupplierRmaPublic.of(r) for r in found])


@router.post(
    "/v1/supplier-rmas/{rma_id}/credits",
    operation_id="supplier-rmas-credit",
    response_model=schemas.SupplierRmaPublic,
    summary="Record a credit received from the supplier for one supplier RMA",
)
def record_credit(
    rma_id: Id,
    body: schemas.SupplierCreditIn,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    cmd = supplier_rmas.RecordSupplierCredit(
        principal.require(*STAFF), rma_id, body.amount, body.memo
    )

    def record(uow: UnitOfWork) -> schemas.SupplierRmaPublic:
        return schemas.SupplierRmaPublic.of(supplier_rmas.record_supplier_credit(cmd, uow))

    return run_idempotent(request, container, principal, body, record)


@router.get(
    "/v1/supplier-credit",
    operation_id="supplier-credit-balances",
    response_model=schemas.SupplierBalancesPublic,
    summary="Per supplier: credit expected, received and open (reconciliation)",
)
def balances(container: ContainerDep, principal: PrincipalDep) -> schemas.SupplierBalancesPublic:
    found = supplier_rmas.supplier_balances(principal.require(*STAFF), container.reader())
    return schemas.SupplierBalancesPublic(data=[schemas.SupplierBalancePublic.of(b) for b in found])


@router.get(
    "/v1/supplier-credit/export.csv",
    operation_id="supplier-credit-export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    summary="Every supplier RMA with its expected, received and open credit, as CSV",
)
def export_credit(container: ContainerDep, principal: PrincipalDep) -> Response:
    found = supplier_rmas.supplier_balances(principal.require(*STAFF), container.reader())
    return Response(credit_csv(found), media_type="text/csv; charset=utf-8")


# -- the partner's side: only the returns routed to it ---------------------------------------


def _partner_scope(principal: Principal) -> Scope:
    seller_id = principal.require(Role.PARTNER)
    if principal.partner_id is None:
        raise InvalidInput("this key names no partner", code="partner_required")
    return Scope(seller_id, partner_id=principal.partner_id)


@router.get(
    "/v1/partner/returns",
    operation_id="partner-returns-list",
    response_model=schemas.PartnerReturnsPublic,
    summary="The returns routed to the calling partner, most recently updated first",
)
def partner_returns(
    container: ContainerDep, principal: PrincipalDep
) -> schemas.PartnerReturnsPublic:
    scope = _partner_scope(principal)
    assert scope.partner_id is not None
    found = partner_work.routed_to(scope.seller_id, scope.partner_id, container.reader())
    return schemas.PartnerReturnsPublic(
        data=[schemas.PartnerReturnPublic.of(c.ret, c.rma) for c in found]
    )


@router.get(
    "/v1/partner/returns/{ref}",
    operation_id="partner-returns-get",
    response_model=schemas.PartnerReturnPublic,
)
def partner_return(
    ref: ReturnRef, container: ContainerDep, principal: PrincipalDep
) -> schemas.PartnerReturnPublic:
    case = partner_work.partner_case(_partner_scope(principal), ref, container.reader())
    return schemas.PartnerReturnPublic.of(case.ret, case.rma)


@router.post(
    "/v1/partner/returns/{ref}/receive",
    operation_id="partner-returns-receive",
    response_model=schemas.PartnerReturnPublic,
)
def partner_receive(
    ref: ReturnRef,
    body: schemas.PartnerReceiveIn,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    receipts = [Receipt(i.item_id, i.quantity) for i in body.items]
    cmd = returns_service.ReceiveReturn(_partner_scope(principal), ref, principal.actor, receipts)

    def receive(uow: UnitOfWork) -> schemas.PartnerReturnPublic:
        return schemas.PartnerReturnPublic.of(returns_service.receive_return(cmd, uow))

    return run_idempotent(request, container, principal, body, receive)


@router.post(
    "/v1/partner/returns/{ref}/inspect",
    operation_id="partner-returns-inspect",
    response_model=schemas.PartnerReturnPublic,
)
def partner_inspect(
    ref: ReturnRef,
    body: schemas.PartnerInspectIn,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    judged = [
        Inspection(i.item_id, i.accepted, i.rejected, i.condition, i.disposition, i.note)
        for i in body.items
    ]
    cmd = inspection.InspectItems(_partner_scope(principal), ref, principal.actor, judged)

    def inspect(uow: UnitOfWork) -> schemas.PartnerReturnPublic:
        return schemas.PartnerReturnPublic.of(inspection.inspect_items(cmd, uow).ret)

    return run_idempotent(request, container, principal, body, inspect)


@router.post(
    "/v1/partner/returns/{ref}/answer",
    operation_id="partner-returns-answer",
    response_model=schemas.PartnerReturnPublic,
    summary="A supplier accepts (its RMA number and address) or refuses (a reason)",
)
def partner_answer(
    ref: ReturnRef,
    body: schemas.SupplierAnswerIn,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    scope = _partner_scope(principal)
    answer = supplier_rmas.SupplierAnswer(
        body.accept,
        body.rma_number,
        body.address.to_domain() if body.address else None,
        body.reason,
    )

    def run(uow: UnitOfWork) -> schemas.PartnerReturnPublic:
        case = partner_work.answer_as_partner(scope, ref, answer, principal.actor, uow)
        return schemas.PartnerReturnPublic.of(case.ret, case.rma)

    return run_idempotent(request, container, principal, body, run)


@router.post(
    "/v1/partner/returns/{ref}/resolve",
    operation_id="partner-returns-resolve",
    response_model=schemas.PartnerReturnPublic,
    summary="A supplier records what it did: credit to the seller, replacement, refused",
)
def partner_resolve(
    ref: ReturnRef,
    body: schemas.SupplierResolveIn,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    scope = _partner_scope(principal)

    def run(uow: UnitOfWork) -> schemas.PartnerReturnPublic:
        case = partner_work.resolve_as_partner(
            scope, ref, body.outcome, principal.actor, uow, body.credit_memo, body.note
        )
        return schemas.PartnerReturnPublic.of(case.ret, case.rma)

    return run_idempotent(request, container, principal, body, run)
