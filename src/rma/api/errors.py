"""One place that turns errors into HTTP answers: ``{"error": {code, message, details}}``."""

from __future__ import annotations

import logging
from itertools import islice
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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

MAX_LISTED_ISSUES = 20  # a body with a million bad keys answers 20 of them, not 94 MB

STATUS_BY_FAMILY: tuple[tuple[type[RmaError], int], ...] = (
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (TooManyAttempts, 429),
)

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def documented_errors() -> dict[int | str, dict[str, Any]]:
    """The error answers every API route may give, for the OpenAPI document."""
    from rma.api.schemas import ErrorPublic

    described = {
        401: "No valid API key or customer token",
        403: "The caller's role may not do this",
        404: "Absent, or another seller's",
        409: "Clashes with the current state (illegal transition, duplicate, concurrent update)",
        422: "The request is not valid; `details` names the fields",
        429: "Too many failed attempts or requests: wait `Retry-After` seconds",
    }
    return {
        status: {"model": ErrorPublic, "description": text} for status, text in described.items()
    }


def error_response(
    status: int, code: str, message: str, details: list[Any] | None = None
) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(error: RmaError) -> int:
    return next((status for family, status in STATUS_BY_FAMILY if isinstance(error, family)), 400)


async def _on_rma_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RmaError)
    response = error_response(status_of(error), error.code, error.message, error.details)
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


async def _on_validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    issues = error.errors()
    details = [
        {
            "field": ".".join(str(part) for part in issue["loc"]),
            "issue": issue["type"],
            "message": issue["msg"],
        }
        for issue in islice(issues, MAX_LISTED_ISSUES)
    ]
    message = "the request is not valid"
    if len(issues) > MAX_LISTED_ISSUES:
        message += f"; the first {MAX_LISTED_ISSUES} of {len(issues)} problems are listed"
    return error_response(422, "invalid_input", message, details)


async def _on_http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    if error.status_code == 400:
        # FastAPI answers 400 for a body it cannot decode (not UTF-8, say), but 422 for one
        # that is not JSON: both are malformed input, answered alike.
        return error_response(422, "invalid_input", str(error.detail), [{"field": "body"}])
    code = _CODE_BY_STATUS.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


async def _on_unexpected(_request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=error)
    return error_response(500, "internal_error", "something went wrong on our side")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RmaError, _on_rma_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
