"""Errors with stable codes that clients can branch on.

Each subclass carries a ``code``; the family it belongs to decides the HTTP status in one
place (``rma.api.errors``)::

    RmaError
    ├── InvalidInput            422  the request itself is wrong
    │   ├── InvalidRmaNumber
    │   └── NoReturnableItems
    ├── NotFound                404  absent, or owned by another seller
    ├── Conflict                409  the request clashes with the current state
    │   ├── IllegalTransition
    │   ├── ConcurrentUpdate
    │   ├── DuplicateRmaNumber
    │   └── IdempotencyKeyReused
    ├── Unauthenticated         401  no valid credential
    ├── Forbidden               403  valid credential, wrong role
    └── TooManyAttempts         429  too many failed attempts (or requests): wait and retry
"""

from __future__ import annotations

from typing import Any


class RmaError(Exception):
    """Base of every error rma raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: list[Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or []


class InvalidInput(RmaError):
    code = "invalid_input"


class InvalidRmaNumber(InvalidInput):
    code = "invalid_rma_number"


class NoReturnableItems(InvalidInput):
    code = "no_returnable_items"


class NotFound(RmaError):
    code = "not_found"


class Conflict(RmaError):
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class ConcurrentUpdate(Conflict):
    code = "concurrent_update"


class DuplicateRmaNumber(Conflict):
    code = "duplicate_rma_number"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class Unauthenticated(RmaError):
    code = "unauthenticated"


class Forbidden(RmaError):
    code = "forbidden"


class TooManyAttempts(RmaError):
    """Throttled; ``retry_after`` says in how many seconds another attempt is let through."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
