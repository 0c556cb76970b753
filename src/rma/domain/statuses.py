"""Return statuses and the one table of moves between them."""

from __future__ import annotations

from enum import StrEnum

from rma.domain.errors import IllegalTransition
from rma.domain.sellers import ResolutionTrigger


class ReturnStatus(StrEnum):
    REQUESTED = "requested"  # just asked for; the policy has not decided yet
    PENDING_REVIEW = "pending_review"  # out of policy or manual mode: a person decides
    AUTHORIZED = "authorized"  # RMA number issued; the customer may ship
    DENIED = "denied"  # the seller said no, with a reason
    IN_TRANSIT = "in_transit"  # the carrier scanned the package
    PARTIALLY_RECEIVED = "partially_received"  # some of the authorized units arrived
    RECEIVED = "received"  # every authorized unit arrived
    INSPECTED = "inspected"  # every received unit was inspected
    RESOLVED = "resolved"  # every resolution was executed
    CLOSED = "closed"  # finished; nothing more happens
    EXPIRED = "expired"  # the authorization deadline passed with nothing shipped
    CANCELLED = "cancelled"  # the customer withdrew the request

    @property
    def is_open(self) -> bool:
        """Whether the return can still move (a seller may close it)."""
        return self not in TERMINAL


TERMINAL = frozenset(
    {ReturnStatus.DENIED, ReturnStatus.CLOSED, ReturnStatus.EXPIRED, ReturnStatus.CANCELLED}
)

_S = ReturnStatus

# RESOLVED is reached from INSPECTED on the default path. A seller who resolves on receipt or
# on the carrier's first scan reaches it from RECEIVED, PARTIALLY_RECEIVED or IN_TRANSIT, and
# `keep_item` (nothing is shipped back) from AUTHORIZED; whether a seller's trigger allows it
# is decided by `resolution_due` below, not by this table.

TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    _S.REQUESTED: frozenset({_S.AUTHORIZED, _S.PENDING_REVIEW, _S.CLOSED}),
    _S.PENDING_REVIEW: frozenset({_S.AUTHORIZED, _S.DENIED, _S.CANCELLED, _S.CLOSED}),
    _S.AUTHORIZED: frozenset(
        {
            _S.IN_TRANSIT,
            _S.PARTIALLY_RECEIVED,
            _S.RECEIVED,
            _S.RESOLVED,
            _S.EXPIRED,
            _S.CANCELLED,
            _S.CLOSED,
        }
    ),
    _S.IN_TRANSIT: frozenset({_S.PARTIALLY_RECEIVED, _S.RECEIVED, _S.RESOLVED, _S.CLOSED}),
    _S.PARTIALLY_RECEIVED: frozenset({_S.PARTIALLY_RECEIVED, _S.RECEIVED, _S.RESOLVED, _S.CLOSED}),
    _S.RECEIVED: frozenset({_S.INSPECTED, _S.RESOLVED, _S.CLOSED}),
    _S.INSPECTED: frozenset({_S.RESOLVED, _S.CLOSED}),
    _S.RESOLVED: frozenset({_S.CLOSED}),
    # Closed is left only by reopening, which restores the status the return was closed
    # from (Return.reopen); no ordinary move starts from it.
    _S.CLOSED: frozenset(),
    _S.DENIED: frozenset(),
    _S.EXPIRED: frozenset(),
    _S.CANCELLED: frozenset(),
}


def check_transition(current: ReturnStatus, target: ReturnStatus) -> None:
    """Raise ``IllegalTransition`` unless ``current`` may move to ``target``."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(
            f"a return that is {current} cannot become {target}",
            details=[{"status": str(current), "requested": str(target)}],
        )


_DUE_FROM = {
    ResolutionTrigger.INSPECTION: {ReturnStatus.INSPECTED},
    ResolutionTrigger.RECEIPT: {ReturnStatus.RECEIVED, ReturnStatus.INSPECTED},
    ResolutionTrigger.FIRST_SCAN: {
        ReturnStatus.IN_TRANSIT,
        ReturnStatus.PARTIALLY_RECEIVED,
        ReturnStatus.RECEIVED,
        ReturnStatus.INSPECTED,
    },
}


def resolution_due(status: ReturnStatus, trigger: ResolutionTrigger) -> bool:
    """Whether a return in ``status`` has reached the point where ``trigger`` resolves it."""
    return status in _DUE_FROM[trigger]
