"""Returns: request, list, read, and every decision and step of their life."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from rma.adapters.i18n import choose_language
from rma.api import schemas
from rma.api.cursors import decode_cursor, encode_cursor
from rma.api.deps import ANYONE, STAFF, WAREHOUSE, ContainerDep, PrincipalDep, scope_of
from rma.api.idempotency import IDEMPOTENT, run_idempotent
from rma.domain.access import Principal, Role
from rma.domain.policy import RequestedItem
from rma.domain.returns import Inspection, Receipt, Return
from rma.domain.statuses import ReturnStatus
from rma.services import bulk_decisions, inspection, review
from rma.services import returns as service
from rma.services.resolutions import ExchangeChoice
from rma.services.unit_of_work import ReturnFilter, ReturnSort, UnitOfWork

router = APIRouter(prefix="/v1/returns", tags=["returns"])

ReturnRef = Annotated[str, Path(min_length=1, max_length=64, description="Return id or RMA number")]
CursorParam = Annotated[
    str | None, Query(max_length=200, description="`next_cursor` of the previous page")
]


@router.post(
    "",
    operation_id="returns-create",
    status_code=201,
    response_model=schemas.ReturnCreated,
    summary="Request a return of items of an order",
    dependencies=IDEMPOTENT,
)
def create_return(
    body: schemas.ReturnCreate, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    cmd = service.RequestReturn(
        scope=scope_of(principal, Role.SELLER, Role.ADMIN, Role.CUSTOMER),
        order_number=body.order_number,
        items=[
            RequestedItem(i.line_id, i.quantity, i.reason_code, i.comment, i.exchange_sku or "")
            for i in body.items
        ],
        actor=principal.actor,
        resolution=body.resolution,
        # The customer's emails follow the language their client asks for, if rma has it.
        language=_language(request),
        ship_from=body.ship_from.to_domain() if body.ship_from else None,
    )

    def request_it(uow: UnitOfWork) -> schemas.ReturnCreated:
        outcome = service.request_return(cmd, uow)
        public = schemas.ReturnPublic.of(outcome.ret)
        invalid = [
            schemas.InvalidItemPublic(
                line_id=v.item.line_id,
                quantity=v.item.quantity,
                returnable_quantity=v.returnable_quantity,
                violations=[schemas.ViolationPublic(**x.as_dict()) for x in v.violations],
            )
            for v in outcome.decision.invalid_items
        ]
        split = [schemas.ReturnPublic.of(other) for other in outcome.others]
        return schemas.ReturnCreated(**public.model_dump(), invalid_items=invalid, split=split)

    return run_idempotent(request, container, principal, body, request_it, status_code=201)


@router.get("", operation_id="returns-list", response_model=schemas.ReturnsPublic)
def list_returns(
    container: ContainerDep,
    principal: PrincipalDep,
    status: Annotated[list[ReturnStatus] | None, Query()] = None,
    order_number: Annotated[str | None, Query(max_length=100)] = None,
    customer_email: Annotated[str | None, Query(max_length=320)] = None,
    in_policy: bool | None = None,
    violation: Annotated[
        str | None, Query(max_length=64, description="A violation code, e.g. return_window_ended")
    ] = None,
    reason_code: Annotated[str | None, Query(max_length=64)] = None,
    sku: Annotated[str | None, Query(max_length=100)] = None,
    created_from: schemas.AwareDatetime | None = None,
    created_to: schemas.AwareDatetime | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Part of the RMA, order or tracking number, or of the customer's "
            "email or name, in any case",
        ),
    ] = None,
    sort: ReturnSort = ReturnSort.NEWEST,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.ReturnsPublic:
    where = ReturnFilter(
        status=tuple(status or ()),
        order_number=order_number,
        customer_email=customer_email,
        in_policy=in_policy,
        violation=violation,
        reason_code=reason_code,
        sku=sku,
        created_from=created_from,
        created_to=created_to,
        search=q,
        sort=sort,
    )
    after = decode_cursor(cursor) if cursor else None
    # The replica when one is set; a lookup alone either way, in no transaction.
    page = review.list_returns(
        scope_of(principal, *ANYONE), where, container.replica(), after=after, limit=limit + 1
    )
    more = len(page) > limit
    page = page[:limit]
    return schemas.ReturnsPublic(
        data=[schemas.ReturnPublic.of(r) for r in page],
        next_cursor=encode_cursor(page[-1], sort) if more else None,
    )


@router.get("/counts", operation_id="returns-counts", response_model=schemas.ReturnCountsPublic)
def count_returns(container: ContainerDep, principal: PrincipalDep) -> schemas.ReturnCountsPublic:
    counts = review.count_returns(principal.require(*WAREHOUSE), container.replica())
    return schemas.ReturnCountsPublic.of(counts)


@router.post(
    "/authorize",
    operation_id="returns-authorize-bulk",
    response_model=schemas.BulkAuthorizePublic,
    summary="Authorize many returns at once; each id gets its own result",
    dependencies=IDEMPOTENT,
)
def authorize_returns(
    body: schemas.BulkAuthorizeIn,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    cmd = review.AuthorizeReturns(scope_of(principal, *STAFF), body.ids, principal.actor)
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: schemas.BulkAuthorizePublic.of(review.authorize_returns(cmd, uow)),
    )


@router.post(
    "/deny",
    operation_id="returns-deny-bulk",
    response_model=schemas.BulkDecisionPublic,
    summary="Deny many returns with one reason and note; each id gets its own result",
)
def deny_returns(
    body: schemas.BulkDenyIn, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    cmd = bulk_decisions.DenyReturns(
        scope_of(principal, *STAFF), body.ids, principal.actor, body.reason, body.note
    )
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: schemas.BulkDecisionPublic.of(bulk_decisions.deny_returns(cmd, uow)),
    )


@router.post(
    "/close",
    operation_id="returns-close-bulk",
    response_model=schemas.BulkDecisionPublic,
    summary="Close many returns with one note; each id gets its own result",
)
def close_returns(
    body: schemas.BulkCloseIn, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    cmd = bulk_decisions.CloseReturns(
        scope_of(principal, *STAFF), body.ids, principal.actor, body.note
    )
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: schemas.BulkDecisionPublic.of(bulk_decisions.close_returns(cmd, uow)),
    )


@router.get("/{ref}", operation_id="returns-get", response_model=schemas.ReturnPublic)
def get_return(
    ref: ReturnRef, container: ContainerDep, principal: PrincipalDep
) -> schemas.ReturnPublic:
    # A lookup (no transaction): its three statements are no more consistent inside one at
    # READ COMMITTED, and BEGIN and ROLLBACK were two of its five round trips.
    ret = service.get_return(scope_of(principal, *ANYONE), ref, container.reader())
    return schemas.ReturnPublic.of(ret)


def _step(
    request: Request,
    container: ContainerDep,
    principal: Principal,
    body: BaseModel | None,
    run: Callable[[UnitOfWork], Return],
) -> Response:
    return run_idempotent(
        request, container, principal, body, lambda uow: schemas.ReturnPublic.of(run(uow))
    )


@router.post(
    "/{ref}/authorize",
    operation_id="returns-authorize",
    response_model=schemas.ReturnPublic,
    dependencies=IDEMPOTENT,
)
def authorize_return(
    ref: ReturnRef,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[schemas.AuthorizeIn, Body(default_factory=schemas.AuthorizeIn)],
) -> Response:
    new_address = body.return_address
    cmd = service.AuthorizeReturn(
        scope_of(principal, *STAFF),
        ref,
        principal.actor,
        body.rma_number,
        body.quantities,
        body.return_address_id,
        service.NewReturnAddress(
            new_address.label, new_address.address.to_domain(), new_address.make_default
        )
        if new_address
        else None,
    )
    return _step(
        request, container, principal, body, lambda uow: service.authorize_return(cmd, uow)
    )


@router.post(
    "/{ref}/deny",
    operation_id="returns-deny",
    response_model=schemas.ReturnPublic,
    dependencies=IDEMPOTENT,
)
def deny_return(
    ref: ReturnRef,
    body: schemas.DenyIn,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    cmd = service.DenyReturn(
        scope_of(principal, *STAFF), ref, principal.actor, body.reason, body.note
    )
    return _step(request, container, principal, body, lambda uow: service.deny_return(cmd, uow))


@router.post(
    "/{ref}/cancel",
    operation_id="returns-cancel",
    response_model=schemas.ReturnPublic,
    dependencies=IDEMPOTENT,
)
def cancel_return(
    ref: ReturnRef,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[schemas.NoteIn, Body(default_factory=schemas.NoteIn)],
) -> Response:
    scope = scope_of(principal, Role.SELLER, Role.ADMIN, Role.CUSTOMER)
    cmd = service.FinishReturn(scope, ref, principal.actor, body.note)
    return _step(request, container, principal, body, lambda uow: service.cancel_return(cmd, uow))


@router.post(
    "/{ref}/close",
    operation_id="returns-close",
    response_model=schemas.ReturnPublic,
    dependencies=IDEMPOTENT,
)
def close_return(
    ref: ReturnRef,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[schemas.NoteIn, Body(default_factory=schemas.NoteIn)],
) -> Response:
    cmd = service.FinishReturn(scope_of(principal, *STAFF), ref, principal.actor, body.note)
    return _step(request, container, principal, body, lambda uow: service.close_return(cmd, uow))


@router.post(
    "/{ref}/reopen",
    operation_id="returns-reopen",
    response_model=schemas.ReturnPublic,
    dependencies=IDEMPOTENT,
)
def reopen_return(
    ref: ReturnRef,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[schemas.NoteIn, Body(default_factory=schemas.NoteIn)],
) -> Response:
    cmd = service.FinishReturn(scope_of(principal, *STAFF), ref, principal.actor, body.note)
    return _step(request, container, principal, body, lambda uow: service.reopen_return(cmd, uow))


@router.post(
    "/{ref}/receive",
    operation_id="returns-receive",
    response_model=schemas.ReturnPublic,
    dependencies=IDEMPOTENT,
)
def receive_return(
    ref: ReturnRef,
    body: schemas.ReceiveIn,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    receipts = [Receipt(i.item_id, i.quantity) for i in body.items]
    cmd = service.ReceiveReturn(scope_of(principal, *WAREHOUSE), ref, principal.actor, receipts)
    return _step(request, container, principal, body, lambda uow: service.receive_return(cmd, uow))


@router.post(
    "/{ref}/inspect",
    operation_id="returns-inspect",
    response_model=schemas.ReturnPublic,
    dependencies=IDEMPOTENT,
)
def inspect_return(
    ref: ReturnRef,
    body: schemas.InspectItemsIn,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    inspections = [
        Inspection(i.item_id, i.accepted, i.rejected, i.condition, i.disposition, i.note)
        for i in body.items
    ]
    cmd = inspection.InspectItems(
        scope_of(principal, *WAREHOUSE),
        ref,
        principal.actor,
        inspections,
        body.seen_skus,
        body.location,
    )
    return _step(
        request, container, principal, body, lambda uow: inspection.inspect_items(cmd, uow).ret
    )


def resolve_command(
    ref: str, principal: Principal, body: schemas.ResolveIn
) -> service.ResolveReturn:
    """The resolve command a body asks for (the preview reads the same one)."""
    return service.ResolveReturn(
        scope_of(principal, *STAFF),
        ref,
        principal.actor,
        resolutions={i.item_id: i.resolution for i in body.items},
        exchanges={
            i.item_id: ExchangeChoice(i.exchange_sku, i.exchange_unit_price)
            for i in body.items
            if i.exchange_sku is not None
        },
        refund_amount=body.refund_amount,
    )


@router.post(
    "/{ref}/resolve",
    operation_id="returns-resolve",
    response_model=schemas.ReturnPublic,
    dependencies=IDEMPOTENT,
)
def resolve_return(
    ref: ReturnRef,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[schemas.ResolveIn, Body(default_factory=schemas.ResolveIn)],
) -> Response:
    cmd = resolve_command(ref, principal, body)
    return _step(
        request,
        container,
        principal,
        body,
        lambda uow: service.resolve_return(cmd, uow),
    )


def _language(request: Request) -> str | None:
    asked = request.headers.get("accept-language", "")[:500]
    return choose_language(asked, "en") if asked else None
