"""One place that turns errors into HTTP answers: ``{"error": {code, message, details}}``."""

from __future__ import annotations

import logging
from itertools import islice
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from rma.adapters.i18n import N_
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
        413: "The body is larger than this route takes (`payload_too_large`)",
        422: "The request is not valid; `details` names the fields",
        429: "Too many failed attempts or requests: wait `Retry-After` seconds",
        503: "The database is unreachable: retry after `Retry-After` seconds",
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


# Paths whose answers are JSON for programs; every other path is a page for people.
API_PREFIXES = ("/v1/", "/fba/", "/auth/", "/healthz", "/metrics", "/openapi.json", "/docs")


def wants_page(request: Request) -> bool:
    """Whether ``request`` is a person's browser on a page (not a program on the API)."""
    path = request.url.path
    return path != "/v1" and not path.startswith(API_PREFIXES)


def _page(request: Request, status: int, message: str) -> Response:
    from rma.web.rendering import error_page  # pages are drawn by the web package

    return error_page(request, status, message)


async def _on_rma_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RmaError)
    if wants_page(request):
        return _page(request, status_of(error), error.message)
    response = error_response(status_of(error), error.code, error.message, error.details)
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


async def _on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if wants_page(request):
        return _page(request, 422, INCOMPLETE_PAGE)
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


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if wants_page(request):
        if error.status_code == 404:
            return _page(request, 404, MISSING_PAGE)
        if error.status_code == 405:
            return _page(request, 405, WRONG_METHOD_PAGE)
        return _page(request, error.status_code, str(error.detail))
    if error.status_code == 400:
        # FastAPI answers 400 for a body it cannot decode (not UTF-8, say), but 422 for one
        # that is not JSON: both are malformed input, answered alike.
        return error_response(422, "invalid_input", str(error.detail), [{"field": "body"}])
    code = _CODE_BY_STATUS.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


# A lost or refused database connection: the request changed nothing, and a retry after the
# database is back will work (the pool checks connections before lending them).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
RETRY_AFTER_OUTAGE_SECONDS = 5


async def _on_database_unavailable(request: Request, error: Exception) -> Response:
    # Handled as an expected error, not in the last-resort handler: that one re-raises, and
    # the server then drops the client's keep-alive connection.
    log.warning("database unavailable: %s", type(error).__name__)
    headers = {"Retry-After": str(RETRY_AFTER_OUTAGE_SECONDS)}
    if wants_page(request):
        return HTMLResponse(_OUTAGE_PAGE, status_code=503, headers=headers)
    response = error_response(
        503, "service_unavailable", "the database is not reachable; try again shortly"
    )
    response.headers.update(headers)
    return response


async def _on_unexpected(request: Request, error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    if wants_page(request):
        return _page(request, 500, BROKEN_PAGE)
    return error_response(500, "internal_error", "something went wrong on our side")


# What the pages say (English source text of the gettext catalogues).
MISSING_PAGE = N_("There is no page at this address. Check the link, or start again from the top.")
WRONG_METHOD_PAGE = N_("This address is not used that way. Go back and use the page's buttons.")
INCOMPLETE_PAGE = N_("Some of the form was missing or not valid. Go back and fill in every field.")
BROKEN_PAGE = N_("Something went wrong on our side. Try again in a minute.")


# Plain, with no template: the pages' own rendering may need the database that is down.
_OUTAGE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Back shortly</title>
<link rel="stylesheet" href="/static/rma.css"></head><body><main>
<h1>Back in a moment</h1><p class="card" role="alert">We cannot reach our records right now.
Nothing you sent was lost or done twice: please try again in a few seconds.</p>
</main></body></html>"""


def install(app: FastAPI) -> None:
    app.add_exception_handler(RmaError, _on_rma_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
