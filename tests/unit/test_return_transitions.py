"""Every move of a return, allowed or not, over every pair of statuses."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from itertools import product

import pytest

from rma.domain.errors import IllegalTransition
from rma.domain.returns import (
    Condition,
    DenyReason,
    Disposition,
    Inspection,
    Receipt,
    Resolution,
    Return,
)
from rma.domain.sellers import ResolutionTrigger
from rma.domain.statuses import TERMINAL, TRANSITIONS, ReturnStatus, check_transition
from tests.unit.factories import NOW, STAFF, return_in

S = ReturnStatus
LATER = NOW + timedelta(hours=1)

# How a return is moved to each target status, the history action and the event it causes.
Move = Callable[[Return], None]
MOVES: dict[ReturnStatus, tuple[Move, str, str]] = {
    S.PENDING_REVIEW: (
        lambda r: r.send_to_review(LATER),
        "send_to_review",
        "return.pending_review",
    ),
    S.AUTHORIZED: (
        lambda r: r.authorize(
            rma_number="K7QX-M4TP-HW", deadline=LATER + timedelta(days=45), actor=STAFF, now=LATER
        ),
        "authorize",
        "return.authorized",
    ),
    S.DENIED: (
        lambda r: r.deny(reason=DenyReason.OTHER, note="no", actor=STAFF, now=LATER),
        "deny",
        "return.denied",
    ),
    S.CANCELLED: (lambda r: r.cancel(actor=STAFF, now=LATER), "cancel", "return.cancelled"),
    S.CLOSED: (lambda r: r.close(actor=STAFF, now=LATER, note="done"), "close", "return.closed"),
    S.EXPIRED: (lambda r: r.expire(LATER), "expire", "return.expired"),
    S.IN_TRANSIT: (
        lambda r: r.mark_in_transit(actor=STAFF, now=LATER),
        "ship",
        "return.in_transit",
    ),
    S.PARTIALLY_RECEIVED: (
        lambda r: r.receive([Receipt("itm_1", 0)], actor=STAFF, now=LATER),
        "receive",
        "return.received",
    ),
    S.RECEIVED: (
        lambda r: r.receive(
            [Receipt("itm_1", r.items[0].authorized_quantity - r.items[0].received_quantity)],
            actor=STAFF,
            now=LATER,
        ),
        "receive",
        "return.received",
    ),
    S.INSPECTED: (
        lambda r: r.inspect(
            [
                Inspection(
                    "itm_1",
                    r.items[0].received_quantity,
                    0,
                    Condition.SELLABLE,
                    Disposition.RESTOCK,
                )
            ],
            actor=STAFF,
            now=LATER,
        ),
        "inspect",
        "return.inspected",
    ),
    # The earliest trigger, so every status the table lets resolve is due; an authorized
    # return with nothing shipped resolves only when the customer keeps the item.
    S.RESOLVED: (
        lambda r: r.resolve(
            {"itm_1": Resolution.KEEP_ITEM} if r.status is S.AUTHORIZED else {},
            actor=STAFF,
            now=LATER,
            trigger=ResolutionTrigger.FIRST_SCAN,
        ),
        "resolve",
        "return.resolved",
    ),
}

# A seller who resolves on first scan or receipt has paid before the package arrives: it is
# still received and inspected, which history notes while the return stays resolved.
NOTED_AFTER_RESOLUTION = {
    (S.RESOLVED, S.PARTIALLY_RECEIVED),
    (S.RESOLVED, S.RECEIVED),
    (S.RESOLVED, S.INSPECTED),
}

ALLOWED = [(a, b) for a in S for b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in product(S, S) if b not in TRANSITIONS[a]]


def _id(pair: tuple[ReturnStatus, ReturnStatus]) -> str:
    return f"{pair[0]}->{pair[1]}"


def _snapshot(ret: Return) -> str:
    """Everything about the return, nested items and history included, as text."""
    return repr(copy.deepcopy(ret)) + repr([vars(i) for i in ret.items])


def test_every_status_has_a_row_and_every_move_target_a_way_in() -> None:
    assert set(TRANSITIONS) == set(S)
    targets = {b for a in S for b in TRANSITIONS[a]}
    assert targets <= set(MOVES), "a status can be reached that no aggregate method moves to"
    assert S.REQUESTED not in targets  # only a new request starts there


def test_terminal_statuses_go_nowhere_and_open_ones_can_be_closed() -> None:
    for status in S:
        if status in TERMINAL:
            assert not TRANSITIONS[status]
            assert not status.is_open
        elif status is not S.CLOSED:
            assert S.CLOSED in TRANSITIONS[status]
            assert status.is_open


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=map(_id, ALLOWED))
def test_allowed_move_is_recorded_in_history_and_as_an_event(
    current: ReturnStatus, target: ReturnStatus
) -> None:
    check_transition(current, target)
    ret = return_in(current)
    history_before = len(ret.history)
    move, action, event = MOVES[target]

    move(ret)

    assert ret.status is target
    assert ret.updated_at == LATER
    assert len(ret.history) == history_before + 1
    entry = ret.history[-1]
    assert (entry.from_status, entry.to_status, entry.action, entry.at) == (
        current,
        target,
        action,
        LATER,
    )
    assert entry.actor in {str(STAFF), "system:rma"}
    assert [e.type for e in ret.events] == [event]
    assert ret.events[0].return_id == ret.id
    assert ret.events[0].seller_id == ret.seller_id
    assert ret.events[0].payload()["occurred_at"] == LATER.isoformat()


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=map(_id, ILLEGAL))
def test_illegal_move_raises_a_stable_code_and_changes_nothing(
    current: ReturnStatus, target: ReturnStatus
) -> None:
    with pytest.raises(IllegalTransition) as raised:
        check_transition(current, target)
    assert raised.value.code == "illegal_transition"
    assert raised.value.details == [{"status": str(current), "requested": str(target)}]
    if target not in MOVES:
        return
    ret = return_in(current)
    before = _snapshot(ret)
    if (current, target) in NOTED_AFTER_RESOLUTION:
        MOVES[target][0](ret)
        assert ret.status is S.RESOLVED
        entry = ret.history[-1]
        assert (entry.from_status, entry.to_status, entry.action) == (
            S.RESOLVED,
            S.RESOLVED,
            MOVES[target][1],
        )
        assert entry.note.startswith("after ")
        return

    with pytest.raises(IllegalTransition):
        MOVES[target][0](ret)

    assert _snapshot(ret) == before
