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
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from rma.adapters import i18n
from rma.adapters.page_links import LinkExpired
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
i18n.install(env)
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
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    language: str = "en",
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` with ``context``, a CSRF token for its forms, and safe headers.

    Customer pages pass ``language`` (see ``page_language``); staff pages are in English.
    """
    cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    container: Container = request.app.state.container
    with i18n.speaking(language) as spoken:
        html = env.get_template(template).render(
            request=request,
            csrf=_csrf_token(container, cookie),
            static="/static",
            lang=spoken,
            **context,
        )
    response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
    if CSRF_COOKIE not in request.cookies:
        response.set_cookie(
            CSRF_COOKIE, cookie, httponly=True, samesite="strict", secure=_secure(container)
        )
    return response


def page_language(request: Request, default: str = "en") -> str:
    """The language of a customer page: the browser's choice if rma has it, else ``default``."""
    return i18n.choose_language(request.headers.get("accept-language", "")[:500], default)


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


async def posted_form(request: Request) -> FormData:
    """The posted form, read on the event loop, for a page's route that runs in a thread.

    Such routes are plain ``def``s, which FastAPI runs in its threads: an ``async`` route
    runs its use case on the loop, and on PostgreSQL every request the process serves there
    (``rma.adapters.lane``) waits for as long as its statements do.
    """
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


class PageRoute(APIRoute):
    """A route whose errors are pages: not found, sign in, or what went wrong."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            if request.method == "POST" and await _form_holds_nul(request):
                return error_page(
                    request,
                    422,
                    "A field holds a character that cannot be stored (NUL). "
                    "Remove it and send the form again.",
                )
            try:
                return await handler(request)
            except LoginRequired as needed:
                return redirect(f"{needed.login_path}?next={request.url.path}")
            except CsrfFailed:
                return error_page(request, 403, EXPIRED)
            except LinkExpired:
                return error_page(request, 410, LINK_EXPIRED)
            except (NotFound, Unauthenticated):
                return error_page(request, 404, NOT_HERE)
            except Forbidden as error:
                return error_page(request, 403, error.message)
            except InvalidInput as error:
                return error_page(request, 422, error.message)
            except RmaError as error:
                return error_page(request, 409, error.message)
            except RequestValidationError:
                return error_page(request, 422, INCOMPLETE)

        return page_handler


async def _form_holds_nul(request: Request) -> bool:
    """Whether a text field of the posted form holds NUL (the database cannot store it).

    The body and the parsed form are kept by the request, so the route reads them again free.
    """
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        body = await request.body()
        return b"%00" in body or b"\x00" in body
    if kind.startswith("multipart/form-data"):
        form = await request.form()
        return any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items())
    return False


# What a page says when it cannot do what was asked (translated when shown).
EXPIRED = i18n.N_("This form has expired. Go back, reload the page and try again.")
NOT_HERE = i18n.N_("There is nothing here, or it is not yours.")
INCOMPLETE = i18n.N_("Some of the form was missing or not valid. Go back and fill in every field.")
LINK_EXPIRED = (
    "This link has expired. Find your order on the returns page to open your return again, "
    "or ask the shop for a new link."
)
BROKEN = i18n.N_("Something went wrong on our side. Try again in a minute.")


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A styled page saying what went wrong and what to do next; never the API's JSON."""
    return render(
        request,
        "error.html",
        status_code=status,
        language=page_language(request),
        status=status,
        message=message,
    )


def _csrf_token(container: Container, cookie: str) -> str:
    return container.signer.mac("csrf", cookie)


def _secure(container: Container) -> bool:
    return container.settings.base_url.startswith("https://")
