"""Rendering pages: one Jinja2 environment (autoescaped), CSRF tokens, HTML error pages.

Page routes use ``PageRoute``: an error a use case raises becomes an HTML page (404 for
what is absent or another's, a redirect to sign in when no session), never the API's JSON.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from rma.bootstrap import Container
from rma.domain.errors import Forbidden, InvalidInput, NotFound, RmaError, Unauthenticated
from rma.domain.money import format_amount

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
CSRF_COOKIE = "rma_csrf"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["words"] = lambda value: str(value).replace("_", " ")
env.filters["money"] = format_amount  # "$90.00", "90,00 €": never cents, never "9000 USD"
env.filters["when"] = lambda at: at.strftime("%Y-%m-%d %H:%M") if isinstance(at, datetime) else ""

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
}


class LoginRequired(Exception):
    """The page needs a signed-in desk or warehouse session."""

    def __init__(self, login_path: str):
        self.login_path = login_path


class CsrfFailed(Exception):
    """A form came back without the token this browser was given."""


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The page ``template`` with ``context``, a CSRF token for its forms, and safe headers."""
    cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    container: Container = request.app.state.container
    html = env.get_template(template).render(
        request=request, csrf=_csrf_token(container, cookie), static="/static", **context
    )
    response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
    if CSRF_COOKIE not in request.cookies:
        response.set_cookie(
            CSRF_COOKIE, cookie, httponly=True, samesite="strict", secure=_secure(container)
        )
    return response


def check_csrf(request: Request, token: str) -> None:
    """Refuse a form whose token was not made for this browser's CSRF cookie."""
    container: Container = request.app.state.container
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not hmac.compare_digest(token, _csrf_token(container, cookie)):
        raise CsrfFailed


def redirect(url: str) -> RedirectResponse:
    """After a form: see the result with a GET (so a reload does not post again)."""
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def field_errors(error: InvalidInput) -> dict[str, str]:
    """Messages by form field, from the ``details`` of an input error."""
    errors: dict[str, str] = {}
    for detail in error.details:
        if isinstance(detail, dict) and "field" in detail:
            errors[str(detail["field"])] = error.message
    return errors or {"form": error.message}


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    container: Container = request.app.state.container
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=_secure(container),
    )


class PageRoute(APIRoute):
    """A route whose errors are pages: not found, sign in, or what went wrong."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as needed:
                return redirect(f"{needed.login_path}?next={request.url.path}")
            except CsrfFailed:
                return _error_page(request, 403, "This form has expired. Go back and try again.")
            except (NotFound, Unauthenticated):
                return _error_page(request, 404, "There is nothing here, or it is not yours.")
            except Forbidden as error:
                return _error_page(request, 403, error.message)
            except RmaError as error:
                return _error_page(request, 409, error.message)

        return page_handler


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status_code=status, status=status, message=message)


def _csrf_token(container: Container, cookie: str) -> str:
    return container.signer.mac("csrf", cookie)


def _secure(container: Container) -> bool:
    return container.settings.base_url.startswith("https://")
