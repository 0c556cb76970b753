"""The seller's review desk: the queue, its counts, and authorizing many returns at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rma.domain import rma_numbers
from rma.domain.authorization import Authorization, AuthorizationTerms, decide_authorization
from rma.domain.errors import ConcurrentUpdate, NotFound, RmaError
from rma.domain.returns import Actor, Return
from rma.domain.statuses import ReturnStatus
from rma.services.clock import utcnow
from rma.services.resolutions import automatic_resolution_due
from rma.services.returns import (
    AuthorizeReturn,
    Scope,
    authorization_deadline_for,
    authorize_return,
)
from rma.services.unit_of_work import Cursor, ReturnFilter, UnitOfWork

CHUNK = 500  # returns authorized per transaction: big enough to be fast, small enough to retry


@dataclass(frozen=True)
class AuthorizeReturns:
    scope: Scope
    ids: Sequence[str]
    actor: Actor


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What became of one id of a bulk call: the status and number it got, or the error."""

    id: str
    status: ReturnStatus | None = None
    rma_number: str | None = None
    error: RmaError | None = None


def list_returns(
    scope: Scope, where: ReturnFilter, uow: UnitOfWork, *, after: Cursor | None, limit: int
) -> list[Return]:
    """A page of the caller's returns, in the filter's order."""
    if scope.order_id is not None:
        where = replace(where, order_id=scope.order_id)
    with uow:
        return uow.returns.page(scope.seller_id, where, after=after, limit=limit)


def count_returns(seller_id: str, uow: UnitOfWork) -> dict[str, int]:
    """How many of the seller's returns are in each status."""
    with uow:
        return uow.returns.count_by_status(seller_id)


def authorize_returns(
    cmd: AuthorizeReturns, uow: UnitOfWork, progress: Callable[[int], None] | None = None
) -> list[BulkOutcome]:
    """Authorize every id that can be; each id gets its own outcome, in the order given.

    Ids that are unknown or another seller's answer ``not_found``; a return that cannot be
    authorized answers its error; the others are authorized with generated numbers, a
    chunk per transaction. A chunk that meets a concurrent change is retried one by one, and
    so is a return that resolves as it is authorized (``execute_due_resolutions``).
    """
    ids = list(dict.fromkeys(cmd.ids))
    outcomes: dict[str, BulkOutcome] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        try:
            done = _authorize_chunk(cmd, chunk, uow)
        except ConcurrentUpdate:
            done = {}
        outcomes.update(done)
        outcomes.update(_authorize_one_by_one(cmd, [i for i in chunk if i not in done], uow))
        if progress is not None:
            progress(len(chunk))
    return [outcomes[i] for i in cmd.ids]


def _authorize_chunk(
    cmd: AuthorizeReturns, chunk: list[str], uow: UnitOfWork
) -> dict[str, BulkOutcome]:
    """Outcomes of the ids of ``chunk`` decided here; the others are left to the single path."""
    now = utcnow()
    outcomes: dict[str, BulkOutcome] = {}
    with uow:
        seller = uow.sellers.get(cmd.scope.seller_id)
        if seller is None:
            raise NotFound(f"no seller {cmd.scope.seller_id}", code="seller_not_found")
        found = {ret.id: ret for ret in uow.returns.to_authorize(seller.id, chunk)}
        numbers = _fresh_numbers(uow, seller.id, len(found))
        address = (
            uow.return_addresses.get(seller.id, seller.default_return_address_id)
            if seller.default_return_address_id
            else None
        )
        decided = []
        for return_id in chunk:
            ret = found.get(return_id)
            if ret is None:
                error = NotFound(f"no return {return_id}", code="return_not_found")
                outcomes[return_id] = BulkOutcome(return_id, error=error)
                continue
            prices = [item.unit_price for item in ret.items]
            if automatic_resolution_due(seller, Authorization.status, ret.resolution, prices):
                continue  # resolving takes the whole aggregate: the single path does it
            terms = AuthorizationTerms(
                rma_number=numbers.pop(),
                deadline=authorization_deadline_for(seller, ret.window_closes_at, now),
                return_address_id=address.id if address else None,
                return_address=address.address if address else None,
            )
            try:
                authorization = decide_authorization(ret, terms, cmd.actor, now)
            except RmaError as error:
                outcomes[return_id] = BulkOutcome(return_id, error=error)
                continue
            decided.append(authorization)
            outcomes[return_id] = BulkOutcome(return_id, authorization.status, terms.rma_number)
        uow.returns.save_authorizations(decided)
        uow.commit()
    return outcomes


def _authorize_one_by_one(
    cmd: AuthorizeReturns, return_ids: list[str], uow: UnitOfWork
) -> dict[str, BulkOutcome]:
    outcomes = {}
    for return_id in return_ids:
        try:
            ret = authorize_return(AuthorizeReturn(cmd.scope, return_id, cmd.actor), uow)
        except RmaError as error:
            outcomes[return_id] = BulkOutcome(return_id, error=error)
        else:
            outcomes[return_id] = BulkOutcome(return_id, ret.status, ret.rma_number)
    return outcomes


def _fresh_numbers(uow: UnitOfWork, seller_id: str, count: int) -> list[str]:
    """``count`` generated RMA numbers that no return of the seller has."""
    numbers: set[str] = set()
    while len(numbers) < count:
        wanted = {rma_numbers.generate_rma_number() for _ in range(count - len(numbers))}
        numbers |= wanted - uow.returns.rma_numbers_taken(seller_id, sorted(wanted))
    return list(numbers)
