"""The front page, and signing in and out of the seller desk and warehouse station."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from rma.domain.access import Role
from rma.domain.errors import TooManyAttempts, Unauthenticated
from rma.web.auth import sign_in_staff, sign_out
from rma.web.rendering import PageRoute, check_csrf, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

AREAS = {"desk": "Seller desk", "warehouse": "Warehouse station", "partner": "Partner station"}


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "home.html")


@router.get("/{area}/login")
def login_page(request: Request, area: str, next: str = "") -> Response:
    if area not in AREAS:
        return render(request, "error.html", status_code=404, status=404, message="No such page.")
    return render(
        request, "staff/login.html", area=area, title=AREAS[area], next=_local(next), error=""
    )


@router.post("/{area}/login")
def login(
    request: Request,
    area: str,
    csrf: Annotated[str, Form(max_length=200)],
    api_key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    check_csrf(request, csrf)
    if area not in AREAS:
        return render(request, "error.html", status_code=404, status=404, message="No such page.")
    response = redirect(_local(next) or f"/{area}")
    try:
        principal = sign_in_staff(request, response, api_key.strip())
    except TooManyAttempts as error:
        page = render(
            request,
            "staff/login.html",
            status_code=429,
            area=area,
            title=AREAS[area],
            next=_local(next),
            error=f"Too many tries. Please wait {error.retry_after} seconds.",
        )
        page.headers["Retry-After"] = str(error.retry_after)
        return page
    except Unauthenticated:
        return render(
            request,
            "staff/login.html",
            status_code=401,
            area=area,
            title=AREAS[area],
            next=_local(next),
            error="That key is not valid here. Use a seller, admin, warehouse or partner key.",
        )
    if area == "desk" and principal.role is Role.WAREHOUSE:
        response.headers["location"] = "/warehouse"
    if principal.role is Role.PARTNER:  # a partner has one place: its own returns
        response.headers["location"] = "/partner"
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)]) -> Response:
    check_csrf(request, csrf)
    response = redirect("/")
    sign_out(request, response)
    return response


def _local(path: str) -> str:
    """Only paths of this site are followed after signing in (no open redirect)."""
    return path if path.startswith("/") and not path.startswith("//") else ""
