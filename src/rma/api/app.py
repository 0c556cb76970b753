"""The FastAPI application, built by ``create_app`` (never at import time)."""

from __future__ import annotations

from fastapi import FastAPI

from rma import __version__
from rma.api import errors
from rma.api.guards import RefuseNulInUrl
from rma.api.routes import admin, health, orders, places, returns, setup
from rma.bootstrap import Container

DESCRIPTION = """
Returns management: customers request returns of order items, the seller's policy decides
(or a person reviews), an RMA number is issued, the warehouse receives and inspects, and the
resolution is recorded. Send `Authorization: Bearer <api key>`; customers use the token from
`POST /v1/portal/sessions`. Errors are `{"error": {"code", "message", "details"}}`.
"""


def create_app(container: Container) -> FastAPI:
    """The app for one container (settings, engine, units of work)."""
    app = FastAPI(title="rma", version=__version__, description=DESCRIPTION)
    app.state.container = container
    errors.install(app)
    app.add_middleware(RefuseNulInUrl)
    app.include_router(health.router)
    for module in (admin, setup, places, orders, returns):
        app.include_router(module.router, responses=errors.documented_errors())
    return app
