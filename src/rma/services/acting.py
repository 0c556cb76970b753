"""Who is acting in this request or command, for the audit trail.

A request starts a box (``begin``); signing in fills it (``note_actor``). A box rather than a
plain context variable, because FastAPI runs dependencies in a copy of the request's context:
a value set there would be lost, while a change to a shared box is seen by the route and by
the unit of work it opens. Outside a request (worker, due jobs, CLI) the actor is the system.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

SYSTEM_ACTOR = "system:rma"

_acting: ContextVar[list[str] | None] = ContextVar("rma_acting", default=None)


def begin() -> Token[list[str] | None]:
    """Start a fresh box for one request; hand the token to ``end``."""
    return _acting.set([SYSTEM_ACTOR, ""])


def end(token: Token[list[str] | None]) -> None:
    _acting.reset(token)


def note_actor(actor: str, name: str = "") -> None:
    """Say who acts from here on (``role:key id``, ``customer:order id``), and their name."""
    box = _acting.get()
    if box is None:
        _acting.set([actor, name])
    else:
        box[:] = [actor, name]


def current_actor() -> tuple[str, str]:
    """Who acts here, and the name they go by (a key's name), or the system."""
    box = _acting.get()
    return (box[0], box[1]) if box else (SYSTEM_ACTOR, "")
