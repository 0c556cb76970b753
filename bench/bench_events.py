"""Outbox to webhook receiver: events per second with two workers on PostgreSQL.

Inserts N events for one seller with one endpoint pointing at a fast local receiver (a
plain asyncio HTTP/1.1 server in its own process), runs two ``rma worker`` processes, and
reports events per second from the first claim (the first outbox row processed) to the
last delivery. ``RMA_BENCH_EVENTS`` sets N (20,000 by default); the PostgreSQL server is
``RMA_BENCH_POSTGRES_URL``.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from bench.receiver import start_receiver
from rma.adapters.migrate import upgrade
from rma.adapters.orm import outbox
from rma.adapters.orm_events import webhook_deliveries
from rma.adapters.webhooks import DestinationGuard, new_webhook_secret
from rma.bootstrap import bootstrap
from rma.config import Settings
from rma.domain.ids import new_id
from rma.services.sellers import CreateSeller, create_seller
from rma.services.webhooks import CreateWebhookEndpoint, create_webhook_endpoint

SERVER = os.environ.get(
    "RMA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "rma_bench_events"
EVENTS = int(os.environ.get("RMA_BENCH_EVENTS", "20000"))
WORKERS = 2


def main() -> None:
    server = make_url(SERVER)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()
    url = server.set(database=DATABASE).render_as_string(hide_password=False)
    data_dir = Path(tempfile.mkdtemp(prefix="rma-bench-events-"))
    container = bootstrap(Settings(database_url=url, data_dir=data_dir, secret_key="bench"))
    upgrade(container.engine)

    receiver, hook_url = start_receiver()
    seller = create_seller(CreateSeller("Bench"), container.uow())
    create_webhook_endpoint(
        CreateWebhookEndpoint(seller.id, hook_url, new_webhook_secret()),
        container.uow(),
        DestinationGuard(allow_private=True),
    )
    now = datetime.now(UTC)
    ids = sorted(new_id("evt") for _ in range(EVENTS))
    with container.engine.begin() as connection:
        connection.execute(
            insert(outbox),
            [
                {
                    "id": event_id,
                    "seller_id": seller.id,
                    "event_type": "return.received",
                    "aggregate_id": f"ret_bench_{n}",
                    "payload": {"type": "return.received", "version": 1, "data": {"n": n}},
                    "occurred_at": now,
                }
                for n, event_id in enumerate(ids)
            ],
        )

    env = {
        **os.environ,
        "RMA_DATABASE_URL": url,
        "RMA_DATA_DIR": str(data_dir),
        "RMA_SECRET_KEY": "bench",
        "RMA_WEBHOOKS_ALLOW_PRIVATE": "true",
        "RMA_WORKER_BATCH_SIZE": os.environ.get("RMA_WORKER_BATCH_SIZE", "500"),
        "RMA_WORKER_CONCURRENCY": os.environ.get("RMA_WORKER_CONCURRENCY", "4"),
        "RMA_WORKER_IDLE_SECONDS": "0.05",
    }
    rma = Path(sys.executable).parent / "rma"
    load = os.getloadavg()[0]
    workers = [
        subprocess.Popen([str(rma), "worker"], env=env, stdout=subprocess.DEVNULL)
        for _ in range(WORKERS)
    ]
    d = webhook_deliveries.c
    try:
        while True:
            with container.engine.connect() as connection:
                done = connection.execute(
                    select(func.count()).where(d.status == "succeeded")
                ).scalar_one()
            if done >= EVENTS:
                break
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
        receiver.terminate()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, once they exited
    cpu_ms = (children.ru_utime + children.ru_stime) * 1000 / EVENTS
    with container.engine.connect() as connection:
        first = connection.execute(select(func.min(outbox.c.processed_at))).scalar_one()
        last = connection.execute(select(func.max(d.delivered_at))).scalar_one()
    seconds = (last - first).total_seconds()
    print(
        f"{EVENTS} events delivered by {WORKERS} workers in {seconds:.2f} s: "
        f"{EVENTS / seconds:,.0f} events/s (first claim to last delivery); "
        f"workers used {cpu_ms:.2f} ms of CPU per event; load average {load:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    container.engine.dispose()


if __name__ == "__main__":
    main()
