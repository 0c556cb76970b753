"""The Selling Partner API's answer conventions, installed per route rather than app-wide.

Every answer of an SP-API route carries ``x-amzn-RequestId`` and ``x-amzn-RateLimit-Limit``,
and every error is ``{"errors": [{"code", "message", "details"}]}`` with the model's codes,
request validation included; native routes keep their own ``{"error": ...}`` shape.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from rma.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RmaError,
    TooManyAttempts,
    Unauthenticated,
)

log = logging.getLogger(__name__)

# Unknown fulfillment orders answer 400 InvalidInput, as Amazon's sandbox does.
_STATUS_AND_CODE: tuple[tuple[type[RmaError], int, str], ...] = (
    (InvalidInput, 400, "InvalidInput"),
    (NotFound, 400, "InvalidInput"),
    (Conflict, 400, "InvalidInput"),
    (Unauthenticated, 401, "Unauthorized"),
    (Forbidden, 403, "Unauthorized"),
    (TooManyAttempts, 429, "QuotaExceeded"),
)
_CODE_BY_STATUS = {400: "InvalidInput", 404: "NotFound", 405: "InvalidInput", 415: "InvalidInput"}


def errors_response(status: int, code: str, message: str, details: str = "") -> JSONResponse:
    body = {"errors": [{"code": code, "message": message, "details": details}]}
    return JSONResponse(body, status_code=status)


def _details(details: list[Any]) -> str:
    parts = []
    for detail in details:
        if isinstance(detail, dict) and "field" in detail:
            parts.append(str(detail["field"]))
        else:
            parts.append(str(detail))
    return "; ".join(parts)


def _on_rma_error(error: RmaError) -> JSONResponse:
    status, code = next(
        ((status, code) for family, status, code in _STATUS_AND_CODE if isinstance(error, family)),
        (400, "InvalidInput"),
    )
    response = errors_response(status, code, error.message, _details(error.details))
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _on_validation_error(error: RequestValidationError) -> JSONResponse:
    issues = error.errors()
    messages = []
    for issue in issues:
        loc = [str(part) for part in issue["loc"]]
        where, name = (loc[0], ".".join(loc[1:])) if len(loc) > 1 else ("body", ".".join(loc))
        if issue["type"] == "missing" and where in {"query", "path", "header"}:
            messages.append(f"The request must contain the parameter {name}.")
        elif issue["type"] == "missing":
            messages.append(f"The request body must contain {name}.")
        else:
            messages.append(f"{name or where}: {issue['msg']}")
    return errors_response(400, "InvalidInput", " ".join(messages) or "The request is not valid.")


class SpApiRoute(APIRoute):
    """A route answering in the Selling Partner API's envelope, with its headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await handle(request)
            except RmaError as error:
                response = _on_rma_error(error)
            except RequestValidationError as error:
                response = _on_validation_error(error)
            except HTTPException as error:
                code = _CODE_BY_STATUS.get(error.status_code, "InvalidInput")
                response = errors_response(error.status_code, code, str(error.detail))
            except Exception as error:
                log.exception("unhandled error", exc_info=error)
                response = errors_response(
                    500, "InternalFailure", "We encountered an internal error. Please try again."
                )
            stamp(request, response)
            return response

        return handler


def stamp(request: Request, response: Response) -> None:
    """Add the request id and the announced rate limit to an SP-API answer."""
    rate = request.app.state.container.settings.amazon_rate_limit
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    response.headers["x-amzn-RateLimit-Limit"] = str(rate)
