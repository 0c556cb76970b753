"""Deciding many returns at once from the desk or the API: deny or close, with one note.

Each id is decided in its own transaction (through the single-return use case), so one
return that cannot be denied or closed never holds back the others; each gets its outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rma.domain.errors import InvalidInput, RmaError
from rma.domain.returns import Actor, DenyReason, Return
from rma.services.returns import DenyReturn, FinishReturn, Scope, close_return, deny_return
from rma.services.review import BulkOutcome
from rma.services.unit_of_work import ReturnFilter, UnitOfWork

C = TypeVar("C", DenyReturn, FinishReturn)
MAX_IDS = 1000  # returns one bulk decision takes, whether chosen or matched by a filter


@dataclass(frozen=True)
class DenyReturns:
    scope: Scope
    ids: Sequence[str]
    actor: Actor
    reason: DenyReason | None  # required; None is refused with ``deny_reason_required``
    note: str = ""


@dataclass(frozen=True)
class CloseReturns:
    scope: Scope
    ids: Sequence[str]
    actor: Actor
    note: str = ""


def deny_returns(cmd: DenyReturns, uow: UnitOfWork) -> list[BulkOutcome]:
    """Deny each id with the same reason and note; each id gets its own outcome."""
    if cmd.reason is None:
        raise InvalidInput(
            "choose why the returns are denied",
            code="deny_reason_required",
            details=[{"field": "reason"}],
        )
    reason = cmd.reason
    _check_count(cmd.ids)
    return [
        _decide(i, deny_return, DenyReturn(cmd.scope, i, cmd.actor, reason, cmd.note), uow)
        for i in dict.fromkeys(cmd.ids)
    ]


def close_returns(cmd: CloseReturns, uow: UnitOfWork) -> list[BulkOutcome]:
    """Close each id with the same note; each id gets its own outcome."""
    _check_count(cmd.ids)
    return [
        _decide(i, close_return, FinishReturn(cmd.scope, i, cmd.actor, cmd.note), uow)
        for i in dict.fromkeys(cmd.ids)
    ]


def matching_ids(scope: Scope, where: ReturnFilter, uow: UnitOfWork) -> list[str]:
    """The ids of the caller's returns the filter shows (at most ``MAX_IDS``)."""
    with uow:
        return uow.returns.ids_matching(scope.seller_id, where, MAX_IDS)


def count_matching(scope: Scope, where: ReturnFilter, uow: UnitOfWork) -> int:
    """How many of the caller's returns the filter shows."""
    with uow:
        return uow.returns.count_matching(scope.seller_id, where)


def _decide(
    return_id: str, run: Callable[[C, UnitOfWork], Return], cmd: C, uow: UnitOfWork
) -> BulkOutcome:
    try:
        ret = run(cmd, uow)
    except RmaError as error:
        return BulkOutcome(return_id, error=error)
    return BulkOutcome(return_id, ret.status, ret.rma_number)


def _check_count(ids: Sequence[str]) -> None:
    if not ids:
        raise InvalidInput(
            "select at least one return", code="no_returns_selected", details=[{"field": "ids"}]
        )
    if len(ids) > MAX_IDS:
        raise InvalidInput(
            f"at most {MAX_IDS} returns at once",
            code="too_many_returns",
            details=[{"field": "ids"}],
        )
