"""The write-path benchmark's world: its data, its requests, and their SQL as pgbench scripts.

Copies are numbered in one index space (``bench.dataset``). Each operation (create,
authorize) has a region: copy 0 warms the pool, copies 1 and 2 are recorded, the HTTP run
takes copies from 3 on, and each pgbench run has ``pool`` copies of its own after those.
After both regions, the professional seller's earlier returns (``HISTORY``), so that the
statistics ``ANALYZE`` takes see it as the seller it is.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench.dataset import (
    LINES,
    REASON,
    BenchSeller,
    clone_id,
    clone_orders,
    clone_returns,
    make_seller,
    order_number,
    template_order,
    template_return,
)
from bench.http_load import Poster
from bench.sql_capture import Script, pgbench_script, recording
from rma.api.app import create_app
from rma.bootstrap import Container
from rma.services.clock import utcnow

RECORDED = 3  # copies before the HTTP run's: warm-up, first and second recording
# A seller with no returns when the tables are analyzed is planned as one with none: each
# request's look at the order's earlier returns and at the RMA number then walked all the
# returns the run had made so far (by the seller's index on status), and pgbench's create
# spent 5 ms of the database a transaction, most of it there.
HISTORY = int(os.environ.get("RMA_BENCH_HISTORY", "20000"))


@dataclass(frozen=True)
class Region:
    """The copies one operation may use."""

    start: int
    http: int  # copies for the HTTP run
    pool: int  # copies for each pgbench run
    runs: int  # pgbench runs

    @property
    def size(self) -> int:
        return RECORDED + self.http + self.pool * self.runs

    def http_copies(self) -> range:
        return range(self.start + RECORDED, self.start + RECORDED + self.http)

    def pgbench_base(self, run: int) -> int:
        return self.start + RECORDED + self.http + run * self.pool


@dataclass(frozen=True)
class World:
    pro: BenchSeller  # professional: in-policy requests are authorized at once
    manual: BenchSeller  # individual, authorizing by hand: authorize has work to do
    create: Region
    authorize: Region


def load_world(container: Container, http: int, pool: int, runs: int) -> World:
    """Two sellers, orders to return for the professional one, pending returns for the other."""
    create = Region(0, http, pool, runs)
    authorize = Region(create.size, http, pool, runs)
    pro = make_seller(container, "Bench professional")
    manual = make_seller(container, "Bench manual review", manual=True)
    clone_orders(container, template_order(container, pro.id, "T-CREATE"), 0, create.size)
    order = template_order(container, manual.id, "T-AUTHORIZE")
    pending = template_return(container, manual.id, order)
    clone_orders(container, order, authorize.start, authorize.size)
    clone_returns(container, pending, authorize.start, authorize.size)
    history = authorize.start + authorize.size
    order = template_order(container, pro.id, "T-HISTORY")
    clone_orders(container, order, history, HISTORY)
    clone_returns(container, template_return(container, pro.id, order), history, HISTORY)
    return World(pro, manual, create, authorize)


def create_request(n: int) -> dict[str, Any]:
    """The body of ``POST /v1/returns`` for order copy ``n``: one of each line."""
    items = [{"line_id": line, "quantity": 1, "reason_code": REASON} for line, *_ in LINES]
    return {"order_number": order_number(n), "items": items}


def send_create(client: Poster, key: str, n: int) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    return client.post("/v1/returns", json=create_request(n), headers=headers)


def send_authorize(client: Poster, key: str, n: int) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    return client.post(f"/v1/returns/{clone_id('ret', n)}/authorize", json={}, headers=headers)


def record_scripts(container: Container, world: World) -> dict[str, Script]:
    """Each operation's pgbench script, from two real requests through the app in process."""
    sends: dict[str, tuple[Region, Callable[[httpx.Client, int], httpx.Response], int]] = {
        "create": (world.create, lambda c, n: send_create(c, world.pro.keys["seller"], n), 201),
        "authorize": (
            world.authorize,
            lambda c, n: send_authorize(c, world.manual.keys["seller"], n),
            200,
        ),
    }
    with warnings.catch_warnings():  # starlette's note that it prefers httpx2 to httpx
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    scripts = {}
    with TestClient(create_app(container)) as client:
        for name, (region, send, status) in sends.items():
            recordings, started = [], []
            for n in range(region.start, region.start + RECORDED):
                moment = utcnow()
                with recording(container.engine) as steps:
                    answer = send(client, n)
                if answer.status_code != status:
                    raise RuntimeError(f"{name} answered {answer.status_code}: {answer.text}")
                if n > region.start:  # the first only warms the pool and the caches
                    recordings.append(steps)
                    started.append(moment)
            n_pair = (region.start + 1, region.start + 2)
            scripts[name] = pgbench_script(
                recordings[0], recordings[1], n_pair, (started[0], started[1])
            )
    return scripts
