"""Bulk authorization: 10,000 pending returns authorized in one call, on PostgreSQL.

Goal: at most 2 s for the call. Measured twice: through the service function, and through
HTTP (`POST /v1/returns/authorize`) against a real server, each on its own 10,000 returns.
Each figure has its CPU time beside it (this process: the service, or the server thread and
the client; not PostgreSQL's), steadier than the wall clock on a shared machine.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import text

from bench.common import migrated_container, report
from rma.api.app import create_app
from rma.bootstrap import Container
from rma.domain.access import Role
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.services import catalog, returns, review, sellers
from rma.services.clock import utcnow

COUNT = 10_000


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        container = migrated_container("rma_bench_desk", Path(data_dir))
        seller_id, key = _seller(container)
        figures: dict[str, float | int] = {"returns_per_call": COUNT}

        ids = _pending_returns(container, seller_id, COUNT, "S")
        _analyze(container)
        started, cpu = time.perf_counter(), time.process_time()
        outcomes = review.authorize_returns(
            review.AuthorizeReturns(returns.Scope(seller_id), ids, Actor("bench", "service")),
            container.uow(),
        )
        figures["service_seconds"] = time.perf_counter() - started
        figures["service_cpu_seconds"] = time.process_time() - cpu
        assert all(o.error is None for o in outcomes), "every return should be authorized"

        ids = _pending_returns(container, seller_id, COUNT, "H")
        _analyze(container)
        with _Served(container) as base_url, httpx.Client(base_url=base_url, timeout=120) as http:
            started, cpu = time.perf_counter(), time.process_time()
            answer = http.post(
                "/v1/returns/authorize",
                json={"ids": ids},
                headers={"Authorization": f"Bearer {key}"},
            )
            figures["http_seconds"] = time.perf_counter() - started
            figures["http_cpu_seconds"] = time.process_time() - cpu
        answer.raise_for_status()
        assert answer.json()["authorized"] == COUNT
        figures["goal_seconds"] = 2.0
        report("desk", figures)
        container.engine.dispose()


def _analyze(container: Container) -> None:
    # Freshly loaded tables have no statistics until autovacuum runs; a live database has
    # them, and without them the planner scans instead of using the primary keys.
    with container.engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def _seller(container: Container) -> tuple[str, str]:
    seller = sellers.create_seller(sellers.CreateSeller("Bench"), container.uow())
    issued = sellers.issue_api_key(sellers.IssueApiKey(Role.SELLER, seller.id), container.uow())
    return seller.id, issued.secret


def _pending_returns(container: Container, seller_id: str, count: int, tag: str) -> list[str]:
    """``count`` returns waiting for review (delivered 40 days ago: out of policy)."""
    delivered = utcnow() - timedelta(days=40)
    ids = []
    for n in range(count):
        lines = [OrderLine("1", "TEE", 1, 2500, "Tee")]
        order = Order(
            id=new_id("ord"),
            seller_id=seller_id,
            number=f"{tag}-{n}",
            customer_email="bench@example.com",
            currency="USD",
            ordered_at=delivered - timedelta(days=2),
            lines=lines,
            shipments=[
                Shipment(
                    new_id("shp"),
                    delivered - timedelta(days=1),
                    delivered,
                    items=[ShipmentItem("1", 1)],
                )
            ],
        )
        catalog.add_order(order, container.uow())
        cmd = returns.RequestReturn(
            returns.Scope(seller_id),
            order.number,
            [RequestedItem("1", 1, "CR-UNWANTED_ITEM")],
            Actor("customer", "bench"),
        )
        ids.append(returns.request_return(cmd, container.uow()).ret.id)
    return ids


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass


class _Served:
    """A real server over ``container`` on a free loopback port, for a ``with`` block."""

    def __init__(self, container: Container):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(
            create_app(container), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = _Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
