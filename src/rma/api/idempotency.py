"""``Idempotency-Key``: a replay answers the first response; another body is a 409.

The key and the answer are recorded by the unit of work in the same transaction as the
change they guard, so a retry can never apply the change twice, even when two copies race,
and a request that committed always has an answer to replay, even if its process died
before sending it. (A use case that runs several transactions, such as a bulk
authorization over many chunks, records the key with the first and the answer after the
last; if the process dies between them, the key answers ``idempotency_answer_lost``.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from rma.adapters.unit_of_work import IdempotencyKeyTaken, SqlUnitOfWork
from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.errors import Conflict, IdempotencyKeyReused, InvalidInput, RmaError
from rma.services.clock import utcnow

MAX_KEY_LENGTH = 255
# A claim with no answer this old was not left by a request still running: its process
# stopped after committing the change and before recording the answer.
ANSWER_LOST_AFTER = timedelta(minutes=10)


async def _declared_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=MAX_KEY_LENGTH,
            description="A replay with the same key answers the first response; "
            "the same key with another body is a 409.",
        ),
    ] = None,
) -> None:
    """Declares the header in the OpenAPI document; ``run_idempotent`` reads it."""


# Routes that call ``run_idempotent`` list this in their ``dependencies``.
IDEMPOTENT = [Depends(_declared_key)]


class IdempotentAnswerLost(Conflict):
    """The first request with this key took effect, but its answer was never recorded."""

    code = "idempotency_answer_lost"


def run_idempotent(
    request: Request,
    container: Container,
    principal: Principal,
    body: BaseModel | None,
    action: Callable[[SqlUnitOfWork], BaseModel],
    *,
    status_code: int = 200,
) -> Response:
    """Run ``action`` once per ``Idempotency-Key`` (or every time, without one)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return _respond(status_code, action(container.uow()))
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput(
            f"Idempotency-Key is 1-{MAX_KEY_LENGTH} characters",
            details=[{"field": "Idempotency-Key"}],
        )
    scope = f"{principal.role}:{principal.subject}"
    request_hash = _fingerprint(request, body)
    replay = _replay(container, scope, key, request_hash)
    if replay is not None:
        return replay
    uow = container.uow()
    uow.claim_idempotency_key(scope, key, request_hash)
    try:
        result = action(uow)
        payload = result.model_dump(mode="json")
    except RmaError:
        uow.abandon()
        # Another copy of this request may have won the race: answer as it did. Not only a
        # clash says so: a copy that waited for the winner's lock may find its work done
        # (the units already held) and fail for that reason.
        replay = _replay(container, scope, key, request_hash)
        if replay is not None:
            return replay
        raise
    except BaseException:
        uow.abandon()
        raise
    if not uow.commit_with_answer(status_code, payload):
        with container.uow() as store:
            store.idempotency.save_response(scope, key, status_code, payload)
            store.commit()
    return JSONResponse(payload, status_code=status_code)


def _replay(container: Container, scope: str, key: str, request_hash: str) -> JSONResponse | None:
    with container.uow() as uow:
        record = uow.idempotency.get(scope, key)
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used with another request",
            details=[{"field": "Idempotency-Key"}],
        )
    if record.status_code is None:
        if utcnow() - record.created_at > ANSWER_LOST_AFTER:
            raise IdempotentAnswerLost(
                "the first request with this Idempotency-Key took effect, but the server"
                " stopped before recording its answer: read the resource to see the outcome;"
                " it is not applied again",
                details=[
                    {"field": "Idempotency-Key", "first_seen_at": record.created_at.isoformat()}
                ],
            )
        raise IdempotencyKeyTaken("the first request with this Idempotency-Key is still running")
    return JSONResponse(
        record.body, status_code=record.status_code, headers={"Idempotent-Replayed": "true"}
    )


def _fingerprint(request: Request, body: BaseModel | None) -> str:
    document: dict[str, Any] = {
        "method": request.method,
        "path": request.url.path,
        "body": body.model_dump(mode="json") if body is not None else None,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def _respond(status_code: int, result: BaseModel) -> Response:
    # Pydantic writes the JSON itself, as FastAPI does for a route's model: the same bytes as
    # JSONResponse of its dump, without the dictionary between (3% of an authorization).
    return Response(result.model_dump_json(), status_code, media_type="application/json")
