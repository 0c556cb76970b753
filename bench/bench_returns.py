"""Create returns through HTTP with concurrent clients, beside the same SQL run by psycopg.

On PostgreSQL (``RMA_BENCH_POSTGRES_URL``, the local server by default) in its own database
``rma_bench_returns``: a seller and 2 x ``RMA_BENCH_COUNT`` shipped orders are loaded, then

1. the real server (uvicorn, ``RMA_BENCH_WORKERS`` processes) answers ``POST /v1/returns``
   from ``RMA_BENCH_CLIENTS`` threads, one return per order, ``RMA_BENCH_COUNT`` in all;
2. the same statements -- the key lookup on its own, then in one transaction the seller, the
   order locked with its lines, its shipments with their items, the reason codes asked for,
   categories, earlier returns and policies, then the inserts of the return, its items, its
   history and its outbox events -- run through psycopg, same clients, on
   the other half of the orders.

It prints returns/s and p50/p99 latency of both and their ratio, and writes the numbers to
``bench/results/returns-<time>.json``.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from fastapi import FastAPI
from psycopg.types.json import Jsonb
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rma.adapters.migrate import upgrade
from rma.api.app import create_app
from rma.bootstrap import Container, bootstrap
from rma.config import Settings
from rma.domain.access import Role, hash_secret
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.rma_numbers import generate_rma_number
from rma.services import catalog, sellers

SERVER_URL = os.environ.get(
    "RMA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "rma_bench_returns"
COUNT = int(os.environ.get("RMA_BENCH_COUNT", "2000"))
CLIENTS = int(os.environ.get("RMA_BENCH_CLIENTS", "16"))
WORKERS = int(os.environ.get("RMA_BENCH_WORKERS", "2"))
SELLER_KEY = "rma_sk_bench_seller_key"
RESULTS = Path(__file__).parent / "results"


def make_app() -> FastAPI:
    """The app the benchmark's uvicorn workers serve (``--factory``), over ``RMA_DATABASE_URL``."""
    return create_app(bootstrap())


def _database_url() -> str:
    server = make_url(SERVER_URL)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()
    return server.set(database=DATABASE).render_as_string(hide_password=False)


def _seed(container: Container, orders: int) -> str:
    """A professional seller with a known key and ``orders`` orders delivered 3 days ago."""
    seller = sellers.create_seller(sellers.CreateSeller("Bench"), container.uow())
    sellers.issue_api_key(
        sellers.IssueApiKey(Role.SELLER, seller.id, "bench", SELLER_KEY), container.uow()
    )
    delivered = datetime.now(UTC) - timedelta(days=3)
    for number in range(orders):
        lines = [OrderLine("1", "TEE", 2, 2500, "Tee"), OrderLine("2", "MUG", 1, 1200, "Mug")]
        order = Order(
            id=new_id("ord"),
            seller_id=seller.id,
            number=f"B-{number}",
            customer_email="ada@example.com",
            currency="USD",
            ordered_at=delivered - timedelta(days=4),
            lines=lines,
            shipments=[
                Shipment(
                    id=new_id("shp"),
                    shipped_at=delivered - timedelta(days=2),
                    delivered_at=delivered,
                    items=[ShipmentItem("1", 2), ShipmentItem("2", 1)],
                )
            ],
        )
        catalog.add_order(order, container.uow())
    return seller.id


def _run(clients: int, jobs: list[str], one: Callable[[Any, str], None], open_client: Any) -> dict:
    """Run ``one(client, job)`` for every job from ``clients`` threads; time each call."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    pending = iter(jobs)
    start_line = threading.Barrier(clients + 1)

    def worker() -> None:
        with open_client() as client:
            start_line.wait()
            while True:
                with lock:
                    job = next(pending, None)
                if job is None:
                    return
                began = time.perf_counter()
                try:
                    one(client, job)
                except Exception as error:  # counted and shown, the run goes on
                    with lock:
                        failures.append(f"{job}: {error}")
                    continue
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    latencies.sort()
    return {
        "returns": len(latencies),
        "failures": len(failures),
        "first_failures": failures[:3],
        "seconds": round(wall, 3),
        "returns_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2) if latencies else None,
    }


def _serve(database_url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "RMA_DATABASE_URL": database_url,
        "RMA_DATA_DIR": str(data_dir),
        "RMA_SECRET_KEY": "bench-secret",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.bench_returns:make_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).parent.parent)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the benchmark server did not start")


def _http_run(url: str, numbers: list[str]) -> dict:
    headers = {"Authorization": f"Bearer {SELLER_KEY}"}

    def one(client: httpx.Client, number: str) -> None:
        body = {
            "order_number": number,
            "items": [
                {"line_id": "1", "quantity": 1, "reason_code": "CR-DEFECTIVE"},
                {"line_id": "2", "quantity": 1, "reason_code": "CR-DEFECTIVE"},
            ],
        }
        response = client.post("/v1/returns", json=body, headers=headers)
        if response.status_code != 201:
            raise RuntimeError(f"{response.status_code} {response.text[:200]}")

    return _run(CLIENTS, numbers, one, lambda: httpx.Client(base_url=url, timeout=60))


# The statements creating a return runs, in its order (see rma.services.returns).
_READS = (
    "SELECT id, seller_id, role, revoked_at FROM api_keys WHERE secret_hash = %s",
    "SELECT * FROM sellers WHERE id = %s",
    "SELECT * FROM orders LEFT JOIN order_lines l ON l.seller_id = orders.seller_id"
    " AND l.order_id = orders.id WHERE orders.seller_id = %s AND orders.number = %s"
    " ORDER BY l.pk FOR UPDATE OF orders",
)


def _sql_run(database_url: str, seller_id: str, numbers: list[str]) -> dict:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    key_hash = hash_secret(SELLER_KEY)

    def one(connection: psycopg.Connection[Any], number: str) -> None:
        now = datetime.now(UTC)
        connection.execute(_READS[0], (key_hash,)).fetchone()  # a lookup, in no transaction
        with connection.transaction():
            connection.execute(_READS[1], (seller_id,)).fetchone()
            order = connection.execute(_READS[2], (seller_id, number)).fetchall()
            assert order
            order_id = order[0][0]
            connection.execute(
                "SELECT * FROM shipments s LEFT JOIN shipment_items i"
                " ON i.seller_id = s.seller_id AND i.shipment_id = s.id"
                " WHERE s.seller_id = %s AND s.order_id = %s ORDER BY s.shipped_at, i.pk",
                (seller_id, order_id),
            ).fetchall()
            connection.execute(
                "SELECT * FROM reason_codes WHERE seller_id = %s AND code = ANY(%s)",
                (seller_id, ["CR-DEFECTIVE"]),
            ).fetchall()
            categories = connection.execute(
                "SELECT sku, category FROM products WHERE seller_id = %s AND sku = ANY(%s)",
                (seller_id, ["TEE", "MUG"]),
            ).fetchall()
            earlier = connection.execute(
                "SELECT * FROM returns WHERE seller_id = %s AND order_id = %s",
                (seller_id, order_id),
            ).fetchall()
            if earlier:
                ids = [r[0] for r in earlier]
                connection.execute(
                    "SELECT * FROM return_items WHERE seller_id = %s AND return_id = ANY(%s)",
                    (seller_id, ids),
                ).fetchall()
            if any(category for _, category in categories):
                connection.execute(
                    "SELECT * FROM category_policies WHERE seller_id = %s AND category = ANY(%s)",
                    (seller_id, [category for _, category in categories if category]),
                ).fetchall()
            connection.execute(
                "SELECT * FROM sku_policies WHERE seller_id = %s AND sku = ANY(%s)",
                (seller_id, ["TEE", "MUG"]),
            ).fetchall()
            rma = generate_rma_number()
            connection.execute(
                "SELECT id FROM returns WHERE seller_id = %s AND rma_number = %s", (seller_id, rma)
            ).fetchone()
            return_id = new_id("ret")
            closes = now + timedelta(days=27)
            connection.execute(
                "INSERT INTO returns (id, seller_id, order_id, order_number, customer_email,"
                " currency, status, resolution, rma_number, in_policy, violations,"
                " violation_codes, window_closes_at, deadline, customer_note, label_cost,"
                " label_paid_by, created_at, updated_at, version)"
                " VALUES (%s, %s, %s, %s, %s, 'USD', 'authorized', 'refund', %s, true,"
                " '[]', '', %s, %s, '', 0, 'seller', %s, %s, 1)",
                (return_id, seller_id, order_id, number, "ada@example.com", rma, closes,
                 closes + timedelta(days=15), now, now),
            )  # fmt: skip
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO return_items (id, seller_id, return_id, line_id, sku, unit_price,"
                    " requested_quantity, authorized_quantity, received_quantity,"
                    " accepted_quantity, rejected_quantity, reason_code, comment,"
                    " inspection_note) VALUES (%s, %s, %s, %s, %s, %s, 1, 1, 0, 0, 0,"
                    " 'CR-DEFECTIVE', '', '')",
                    [
                        (new_id("itm"), seller_id, return_id, "1", "TEE", 2500),
                        (new_id("itm"), seller_id, return_id, "2", "MUG", 1200),
                    ],
                )
                cursor.executemany(
                    "INSERT INTO return_history (seller_id, return_id, at, actor, action,"
                    " from_status, to_status, note) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (seller_id, return_id, now, "seller:k", "request", None, "requested", ""),
                        (seller_id, return_id, now, "system:rma", "authorize", "requested",
                         "authorized", f"RMA {rma}"),
                    ],
                )  # fmt: skip
                cursor.executemany(
                    "INSERT INTO outbox (id, seller_id, event_type, aggregate_id, payload,"
                    " occurred_at) VALUES (%s, %s, %s, %s, %s, %s)",
                    [
                        (new_id("evt"), seller_id, kind, return_id, Jsonb({"type": kind}), now)
                        for kind in ("return.requested", "return.authorized")
                    ],
                )

    return _run(CLIENTS, numbers, one, lambda: psycopg.connect(dsn, autocommit=True))


def main() -> None:
    database_url = _database_url()
    data_dir = RESULTS / "var"
    container = bootstrap(Settings(database_url=database_url, data_dir=data_dir))
    upgrade(container.engine)
    print(f"loading {2 * COUNT} orders into {DATABASE} ...", flush=True)
    seller_id = _seed(container, 2 * COUNT)
    container.engine.dispose()
    numbers = [f"B-{n}" for n in range(2 * COUNT)]

    process, url = _serve(database_url, data_dir)
    try:
        http = _http_run(url, numbers[:COUNT])
    finally:
        process.terminate()
        process.wait(timeout=30)
    sql = _sql_run(database_url, seller_id, numbers[COUNT:])
    ratio = round(http["returns_per_second"] / sql["returns_per_second"], 3)

    result = {
        "benchmark": "returns",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "count": COUNT,
        "clients": CLIENTS,
        "server_workers": WORKERS,
        "cpus": os.cpu_count(),
        "http": http,
        "raw_sql": sql,
        "ratio": ratio,
    }
    for name, run in (("HTTP service", http), ("raw SQL (psycopg)", sql)):
        print(
            f"{name:<18} {run['returns_per_second']:>8} returns/s   p50 {run['p50_ms']} ms"
            f"   p99 {run['p99_ms']} ms   ({run['returns']} ok, {run['failures']} failed)"
        )
    print(f"ratio HTTP / raw SQL: {ratio} (goal >= 0.2)")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"returns-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"written to {path}")
