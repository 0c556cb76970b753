"""The FastAPI application, built by ``create_app`` (never at import time)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from rma import __version__
from rma.adapters import lane
from rma.api import errors
from rma.api.acting import ActingScope
from rma.api.amazon import auth as amazon_auth
from rma.api.amazon import routes as amazon_routes
from rma.api.direct_routes import DirectRoutes
from rma.api.guards import BodyLimits, LimitRequestBodies, RefuseNulInUrl
from rma.api.replica_reads import ReadsAfterWrites
from rma.api.routes import (
    actions,
    admin,
    analytics,
    audit,
    health,
    intake,
    labels,
    money,
    orders,
    partners,
    places,
    reports,
    returns,
    risk,
    setup,
    storefront,
    stores,
    tracking,
    warehouse,
    webhooks,
)
from rma.bootstrap import Container, bootstrap, settle_collector
from rma.web import (
    desk,
    desk_analytics,
    pages,
    partner_station,
    portal,
    portal_returns,
    staff,
    supplier_links,
)
from rma.web import warehouse as station
from rma.web.rendering import STATIC

DESCRIPTION = """
Returns management: customers request returns of order items, the seller's policy decides
(or a person reviews), an RMA number is issued, the warehouse receives and inspects, and the
resolution is recorded. Send `Authorization: Bearer <api key>`; customers use the token from
`POST /v1/portal/sessions`. Errors are `{"error": {"code", "message", "details"}}`.
"""

# The busiest requests, served by ``DirectRoutes``: the list of returns, reading one, and each
# step of its life.
DIRECT_ROUTES = (
    returns.list_returns,
    returns.get_return,
    returns.create_return,
    returns.authorize_return,
    returns.deny_return,
    returns.cancel_return,
    returns.close_return,
    returns.reopen_return,
    warehouse.create_receipt,
    returns.receive_return,
    returns.inspect_return,
    returns.resolve_return,
)


@asynccontextmanager
async def _settle_startup_objects(app: FastAPI) -> AsyncIterator[None]:
    """Once started, keep the collector off what the process made to start (see bootstrap),
    and watch the event loop for stalls (``lane.watch_stalls``)."""
    settle_collector()
    threshold = app.state.container.settings.loop_stall_warn_ms / 1000
    watching = asyncio.create_task(lane.watch_stalls(threshold)) if threshold > 0 else None
    yield
    if watching is not None:
        watching.cancel()


def create_app_from_settings() -> FastAPI:
    """The app for the settings in the environment (each process of `rma serve --workers`)."""
    return create_app(bootstrap())


def create_app(container: Container) -> FastAPI:
    """The app for one container (settings, engine, units of work)."""
    app = FastAPI(
        title="rma", version=__version__, description=DESCRIPTION, lifespan=_settle_startup_objects
    )
    app.state.container = container
    errors.install(app)
    settings = container.settings
    limits = BodyLimits(
        public=settings.public_body_max_bytes,
        api=settings.body_max_bytes,
        upload=settings.upload_body_max_bytes,
        carrier=settings.carrier_body_max_bytes,
        bulk=settings.import_body_max_bytes,
    )
    # Innermost: the guards below check what these routes receive, as they do every route's.
    app.add_middleware(DirectRoutes, fastapi=app, endpoints=DIRECT_ROUTES)
    app.add_middleware(LimitRequestBodies, limits=limits)
    app.add_middleware(RefuseNulInUrl)
    app.add_middleware(ActingScope)
    if container.replica_engine is not None:
        secure = settings.base_url.startswith("https://")
        sticky = settings.database_replica_sticky_seconds
        app.add_middleware(ReadsAfterWrites, sticky_seconds=sticky, secure=secure)
    app.include_router(health.router)
    for module in (
        admin,
        setup,
        places,
        intake,
        orders,
        returns,
        tracking,
        warehouse,
        labels,
        money,
        webhooks,
        stores,
        actions,
        storefront,
        partners,
        analytics,
        reports,
        audit,
        risk,
    ):
        app.include_router(module.router, responses=errors.documented_errors())
    app.include_router(reports.links, responses=errors.documented_errors())
    app.include_router(amazon_auth.router)
    app.include_router(amazon_routes.router)
    app.include_router(pages.router)
    app.include_router(portal.router)
    app.include_router(portal_returns.router)
    app.include_router(station.router)
    app.include_router(desk.router)
    app.include_router(desk_analytics.router)
    app.include_router(staff.router)
    app.include_router(supplier_links.router)
    app.include_router(partner_station.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
