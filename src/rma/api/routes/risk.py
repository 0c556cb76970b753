"""Abuse signals over HTTP: the seller's rules and lists, the held queue, profiles (staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from rma.api.deps import STAFF, ContainerDep, PrincipalDep
from rma.api.idempotency import run_idempotent
from rma.api.schemas.risk import (
    CustomerProfilePublic,
    ListEntryIn,
    ListEntryPublic,
    ListsPublic,
    ReturnRiskPublic,
    RiskDecisionPublic,
    RiskDecisionsPublic,
    RiskRuleIn,
    RiskRulePublic,
    RiskRulesPublic,
)
from rma.services import risk
from rma.services.returns import Scope, get_return

router = APIRouter(prefix="/v1", tags=["risk"])

Code = Annotated[str, Path(max_length=40)]


@router.get("/risk/rules", operation_id="risk-rules-list", response_model=RiskRulesPublic)
def list_rules(container: ContainerDep, principal: PrincipalDep) -> RiskRulesPublic:
    settings = risk.get_risk_settings(principal.require(*STAFF), container.uow())
    return RiskRulesPublic.of(settings.parsed_rules())


@router.put(
    "/risk/rules/{code}",
    operation_id="risk-rules-put",
    response_model=RiskRulePublic,
    summary="Add or replace a rule (unknown code, bad effect or negative window: 422)",
)
def put_rule(
    code: Code, body: RiskRuleIn, container: ContainerDep, principal: PrincipalDep
) -> RiskRulePublic:
    cmd = risk.SetRiskRule(principal.require(*STAFF), code, body.params, body.effect, body.enabled)
    return RiskRulePublic.of(risk.set_risk_rule(cmd, container.uow()))


@router.delete("/risk/rules/{code}", operation_id="risk-rules-delete", status_code=204)
def delete_rule(code: Code, container: ContainerDep, principal: PrincipalDep) -> Response:
    risk.remove_risk_rule(principal.require(*STAFF), code, container.uow())
    return Response(status_code=204)


@router.get("/risk/lists", operation_id="risk-lists-get", response_model=ListsPublic)
def get_lists(container: ContainerDep, principal: PrincipalDep) -> ListsPublic:
    settings = risk.get_risk_settings(principal.require(*STAFF), container.uow())
    return ListsPublic.of(settings.allow, settings.block)


@router.post(
    "/risk/lists",
    operation_id="risk-lists-add",
    status_code=201,
    response_model=ListEntryPublic,
    summary="Allow- or block-list an email or a postal address (anything else: 422)",
)
def add_list_entry(
    body: ListEntryIn, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    cmd = risk.AddListEntry(principal.require(*STAFF), body.list, body.value, body.note)
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: ListEntryPublic(**risk.add_list_entry(cmd, uow)),
        status_code=201,
    )


@router.delete("/risk/lists/{entry_id}", operation_id="risk-lists-delete", status_code=204)
def delete_list_entry(
    entry_id: Annotated[str, Path(max_length=40)], container: ContainerDep, principal: PrincipalDep
) -> Response:
    risk.remove_list_entry(principal.require(*STAFF), entry_id, container.uow())
    return Response(status_code=204)


@router.get(
    "/risk/review-queue",
    operation_id="risk-review-queue",
    response_model=RiskDecisionsPublic,
    summary="Returns a rule held that still wait for review, optionally for one reason code",
)
def review_queue(
    container: ContainerDep,
    principal: PrincipalDep,
    reason: Annotated[str | None, Query(max_length=40, description="A rule code")] = None,
) -> RiskDecisionsPublic:
    found = risk.review_queue(principal.require(*STAFF), reason, container.uow())
    return RiskDecisionsPublic(data=[RiskDecisionPublic.of(d) for d in found])


@router.get(
    "/risk/customers",
    operation_id="risk-customer-profile",
    response_model=CustomerProfilePublic,
    summary="The seller's profile of one customer, by email",
)
def customer_profile(
    container: ContainerDep,
    principal: PrincipalDep,
    email: Annotated[str, Query(min_length=3, max_length=320)],
) -> CustomerProfilePublic:
    profile = risk.customer_profile(principal.require(*STAFF), email, container.uow())
    return CustomerProfilePublic.of(profile)


@router.get(
    "/returns/{ref}/risk",
    operation_id="returns-risk",
    response_model=ReturnRiskPublic,
    summary="Why a return was held, and its customer's profile (staff only)",
)
def return_risk(
    ref: Annotated[str, Path(max_length=64)], container: ContainerDep, principal: PrincipalDep
) -> ReturnRiskPublic:
    seller_id = principal.require(*STAFF)
    ret = get_return(Scope(seller_id), ref, container.uow())
    view = risk.return_risk_view(seller_id, ret, container.uow())
    return ReturnRiskPublic(
        decision=RiskDecisionPublic.of(view.decision) if view.decision else None,
        profile=CustomerProfilePublic.of(view.profile),
    )
