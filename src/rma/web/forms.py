"""Forms that are safe to submit twice: each carries a key, and a replay sees the first result."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from rma.adapters.unit_of_work import SqlUnitOfWork
from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.errors import Conflict


def new_form_key() -> str:
    """A fresh key for one rendering of a form."""
    return secrets.token_urlsafe(16)


def submit_once(
    container: Container,
    principal: Principal,
    form_key: str,
    what: str,
    action: Callable[[SqlUnitOfWork], str],
) -> str:
    """Run ``action`` once per form key; answer the URL to see its result.

    The key and where it led are recorded in the transaction of the change itself, so a
    double click or a reload cannot do the change twice: the second submission goes where
    the first went, even if the server stopped right after the first.
    """
    scope = f"page:{principal.role}:{principal.subject}"
    key = form_key[:100] or new_form_key()
    fingerprint = hashlib.sha256(what.encode()).hexdigest()
    seen = _seen(container, scope, key)
    if seen is not None:
        return seen
    uow = container.uow()
    uow.claim_idempotency_key(scope, key, fingerprint)  # holds the commit for the answer
    try:
        url = action(uow)
    except Conflict:
        uow.abandon()
        seen = _seen(container, scope, key)
        if seen is not None:
            return seen
        raise
    except BaseException:
        uow.abandon()
        raise
    if not uow.commit_with_answer(303, {"redirect": url}):
        with container.uow() as store:
            store.idempotency.save_response(scope, key, 303, {"redirect": url})
            store.commit()
    return url


def _seen(container: Container, scope: str, key: str) -> str | None:
    with container.uow() as uow:
        record = uow.idempotency.get(scope, key)
    if record is None or not isinstance(record.body, dict):
        return None
    url = record.body.get("redirect")
    return url if isinstance(url, str) else None
