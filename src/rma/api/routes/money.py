"""Resolutions: a return's refund and orders, refunds, store credit, outbound and repairs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response

from rma.api import schemas
from rma.api.deps import ANYONE, STAFF, WAREHOUSE, ContainerDep, PrincipalDep, scope_of
from rma.api.idempotency import IDEMPOTENT, run_idempotent
from rma.api.routes.returns import resolve_command
from rma.domain.fulfillment import OutboundStatus, RepairStatus
from rma.domain.refunds import RefundStatus
from rma.services import fulfillment, refunds, settlement, store_credit

router = APIRouter(prefix="/v1", tags=["resolutions"])

Id = Annotated[str, Path(min_length=1, max_length=64)]
ReturnRef = Annotated[str, Path(min_length=1, max_length=64, description="Return id or RMA number")]
Cursor = Annotated[str | None, Query(max_length=64, description="`next_cursor` of the last page")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get(
    "/returns/{ref}/resolution",
    operation_id="returns-resolution",
    response_model=schemas.ResolutionPublic,
)
def get_resolution(
    ref: ReturnRef, container: ContainerDep, principal: PrincipalDep
) -> schemas.ResolutionPublic:
    scope = scope_of(principal, *ANYONE)
    found = fulfillment.get_resolution(scope, ref, container.uow())
    money = settlement.return_refunds(scope, ref, container.uow())
    return schemas.ResolutionPublic(
        return_id=found.return_id,
        refund=schemas.RefundPublic.of(found.refund) if found.refund else None,
        refunds=[schemas.RefundPublic.of(r) for r in money.refunds],
        left_to_refund=money.left,
        store_credit=(
            schemas.CreditEntryPublic.of(found.store_credit) if found.store_credit else None
        ),
        outbound_orders=[schemas.OutboundOrderPublic.of(o) for o in found.outbound_orders],
        repair_orders=[schemas.RepairOrderPublic.of(r) for r in found.repair_orders],
    )


@router.post(
    "/returns/{ref}/resolution-preview",
    operation_id="returns-resolution-preview",
    response_model=schemas.ResolutionPreviewPublic,
    summary="What resolving with these choices would refund and order; nothing is recorded",
)
def preview_resolution(
    ref: ReturnRef,
    container: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[schemas.ResolveIn, Body(default_factory=schemas.ResolveIn)],
) -> schemas.ResolutionPreviewPublic:
    cmd = resolve_command(ref, principal, body)
    plan = settlement.preview_resolution(cmd, container.uow())
    return schemas.ResolutionPreviewPublic(
        currency=plan.currency,
        label_paid_by=str(plan.label_paid_by),
        refund=plan.refund_breakdown.as_dict(),
        refund_amount=plan.refund.amount if plan.refund else 0,
        refundable=plan.refundable,
        store_credit=plan.credit.amount if plan.credit else 0,
        outbound_orders=len(plan.outbound),
        repair_orders=len(plan.repairs),
    )


@router.post(
    "/returns/{ref}/refunds",
    operation_id="returns-refunds-top-up",
    status_code=201,
    response_model=schemas.RefundPublic,
    summary="Refund more of a resolved return (after a partial refund), as its own refund",
)
def top_up_refund(
    ref: ReturnRef,
    body: schemas.RefundTopUp,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    cmd = settlement.TopUpRefund(
        scope_of(principal, *STAFF), ref, principal.actor, body.amount, body.note
    )
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: schemas.RefundPublic.of(settlement.top_up_refund(cmd, uow)),
        status_code=201,
    )


@router.get("/refunds", operation_id="refunds-list", response_model=schemas.RefundsPublic)
def list_refunds(
    container: ContainerDep,
    principal: PrincipalDep,
    status: RefundStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> schemas.RefundsPublic:
    seller_id = principal.require(*STAFF)
    page = refunds.list_refunds(
        seller_id, status, container.replica(), after=cursor, limit=limit + 1
    )
    return schemas.RefundsPublic(
        data=[schemas.RefundPublic.of(r) for r in page[:limit]],
        next_cursor=page[limit - 1].id if len(page) > limit else None,
    )


@router.get("/refunds/{refund_id}", operation_id="refunds-get", response_model=schemas.RefundPublic)
def get_refund(
    refund_id: Id, container: ContainerDep, principal: PrincipalDep
) -> schemas.RefundPublic:
    refund = refunds.get_refund(principal.require(*STAFF), refund_id, container.uow())
    return schemas.RefundPublic.of(refund)


@router.post(
    "/refunds/{refund_id}/confirm",
    operation_id="refunds-confirm",
    response_model=schemas.RefundPublic,
    summary="The seller (or its payment system) says the refund was paid or refused",
    dependencies=IDEMPOTENT,
)
def confirm_refund(
    refund_id: Id,
    body: schemas.RefundConfirm,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    cmd = refunds.ConfirmRefund(
        principal.require(*STAFF),
        refund_id,
        succeeded=body.status == "succeeded",
        reference=body.reference,
        reason=body.reason,
    )
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: schemas.RefundPublic.of(refunds.confirm_refund(cmd, uow)),
    )


@router.post(
    "/refunds/{refund_id}/retry",
    operation_id="refunds-retry",
    response_model=schemas.RefundPublic,
    dependencies=IDEMPOTENT,
)
def retry_refund(
    refund_id: Id, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    seller_id = principal.require(*STAFF)
    return run_idempotent(
        request,
        container,
        principal,
        None,
        lambda uow: schemas.RefundPublic.of(refunds.retry_refund(seller_id, refund_id, uow)),
    )


@router.get(
    "/store-credit", operation_id="store-credit-get", response_model=schemas.StoreCreditPublic
)
def get_store_credit(
    customer_email: Annotated[str, Query(min_length=3, max_length=320)],
    container: ContainerDep,
    principal: PrincipalDep,
) -> schemas.StoreCreditPublic:
    statement = store_credit.store_credit_statement(
        principal.require(*STAFF), customer_email, container.uow()
    )
    return schemas.StoreCreditPublic(
        customer_email=statement.customer_email,
        balances=[schemas.CreditBalancePublic.of(a) for a in statement.accounts],
        entries=[schemas.CreditEntryPublic.of(e) for e in statement.entries],
    )


@router.post(
    "/store-credit/redemptions",
    operation_id="store-credit-redeem",
    status_code=201,
    response_model=schemas.CreditEntryPublic,
    dependencies=IDEMPOTENT,
)
def redeem_store_credit(
    body: schemas.StoreCreditRedeem,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    cmd = store_credit.RedeemStoreCredit(
        principal.require(*STAFF), body.customer_email, body.currency, body.amount, body.note
    )
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: schemas.CreditEntryPublic.of(store_credit.redeem_store_credit(cmd, uow)),
        status_code=201,
    )


@router.get(
    "/outbound-orders",
    operation_id="outbound-orders-list",
    response_model=schemas.OutboundOrdersPublic,
)
def list_outbound_orders(
    container: ContainerDep,
    principal: PrincipalDep,
    status: Annotated[list[OutboundStatus] | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> schemas.OutboundOrdersPublic:
    page = fulfillment.list_outbound_orders(
        principal.require(*WAREHOUSE),
        status or [],
        container.replica(),
        after=cursor,
        limit=limit + 1,
    )
    return schemas.OutboundOrdersPublic(
        data=[schemas.OutboundOrderPublic.of(o) for o in page[:limit]],
        next_cursor=page[limit - 1].id if len(page) > limit else None,
    )


@router.post(
    "/outbound-orders/{order_id}/status",
    operation_id="outbound-orders-move",
    response_model=schemas.OutboundOrderPublic,
)
def move_outbound_order(
    order_id: Id, body: schemas.OutboundOrderMove, container: ContainerDep, principal: PrincipalDep
) -> schemas.OutboundOrderPublic:
    order = fulfillment.move_outbound_order(
        principal.require(*STAFF), order_id, body.status, container.uow()
    )
    return schemas.OutboundOrderPublic.of(order)


@router.get(
    "/repair-orders", operation_id="repair-orders-list", response_model=schemas.RepairOrdersPublic
)
def list_repair_orders(
    container: ContainerDep,
    principal: PrincipalDep,
    status: Annotated[list[RepairStatus] | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> schemas.RepairOrdersPublic:
    page = fulfillment.list_repair_orders(
        principal.require(*WAREHOUSE),
        status or [],
        container.replica(),
        after=cursor,
        limit=limit + 1,
    )
    return schemas.RepairOrdersPublic(
        data=[schemas.RepairOrderPublic.of(o) for o in page[:limit]],
        next_cursor=page[limit - 1].id if len(page) > limit else None,
    )


@router.post(
    "/repair-orders/{order_id}/status",
    operation_id="repair-orders-move",
    response_model=schemas.RepairOrderPublic,
)
def move_repair_order(
    order_id: Id, body: schemas.RepairOrderMove, container: ContainerDep, principal: PrincipalDep
) -> schemas.RepairOrderPublic:
    order = fulfillment.move_repair_order(
        principal.require(*STAFF), order_id, body.status, container.uow()
    )
    return schemas.RepairOrderPublic.of(order)
