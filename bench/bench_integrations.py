"""Order intake and the broker: CSV import lines per second, broker publish events per second.

- CSV import: a file of ``RMA_BENCH_CSV_LINES`` order lines (two per order, 60,000 by
  default) imported into a fresh PostgreSQL database as ``rma orders import`` does, then
  imported again (nothing changes the second time); lines/s, CPU per 1,000 lines, peak RSS.
- Broker: ``RMA_BENCH_BROKER_EVENTS`` outbox events (20,000 by default) published to the
  machine's RabbitMQ by two worker processes, with publisher confirms, into a durable queue;
  events/s from start to the last one marked, CPU per event (the workers').

The load average is printed with each figure: the machine is shared.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pika
from sqlalchemy import func, insert, select
from tests.intake_support import csv_text, order_rows

from bench.common import migrated_container, report
from rma.adapters.broker import AmqpBroker
from rma.adapters.orm import outbox
from rma.bootstrap import bootstrap
from rma.config import Settings
from rma.domain.ids import new_id
from rma.domain.sellers import SellerKind
from rma.services.broker import publish_events
from rma.services.order_import import ImportOrders, import_orders, text_lines
from rma.services.sellers import CreateSeller, create_seller

CSV_LINES = int(os.environ.get("RMA_BENCH_CSV_LINES", "60000"))
BROKER_EVENTS = int(os.environ.get("RMA_BENCH_BROKER_EVENTS", "20000"))
AMQP_URL = os.environ.get("RMA_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
WORKERS = 2


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        csv_import(Path(folder))
        broker_publish(Path(folder))


def csv_import(folder: Path) -> None:
    container = migrated_container("rma_bench_intake", folder)
    seller = create_seller(CreateSeller("Bench", SellerKind.PROFESSIONAL), container.uow())
    path = folder / "orders.csv"
    path.write_text(csv_text(order_rows(CSV_LINES // 2)))
    figures: dict[str, object] = {"lines": CSV_LINES, "file_bytes": path.stat().st_size}
    for run in ("first", "again"):
        load = os.getloadavg()[0]
        cpu = time.process_time()
        start = time.perf_counter()
        with path.open("rb") as binary:
            done = import_orders(ImportOrders(seller.id), text_lines(binary), container.uow)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
        assert done.refused == 0
        assert done.rows == CSV_LINES
        figures[f"{run}_created"] = done.created
        figures[f"{run}_unchanged"] = done.unchanged
        figures[f"{run}_lines_per_s"] = CSV_LINES / wall
        figures[f"{run}_cpu_ms_per_1000_lines"] = 1000 * cpu / CSV_LINES * 1000
        figures[f"{run}_load_avg_1m"] = max(load, os.getloadavg()[0])
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    container.engine.dispose()
    report("integrations_csv_import", figures)


def _publisher(database_url: str, exchange: str) -> None:
    container = bootstrap(Settings(database_url=database_url, jobs_interval_seconds=0))
    broker = AmqpBroker(AMQP_URL, exchange)
    try:
        while publish_events(container.uow(), broker, 200):
            pass
    finally:
        broker.close()


def broker_publish(folder: Path) -> None:
    container = migrated_container("rma_bench_broker", folder)
    exchange = f"rma.bench.{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare(f"{exchange}.all", durable=True).method.queue
    channel.queue_bind(queue, exchange, routing_key="#")
    now = datetime.now(UTC)
    rows = [
        {
            "id": new_id("evt"),
            "seller_id": "sel_bench",
            "event_type": "return.authorized",
            "aggregate_id": f"ret_{n}",
            "payload": {"type": "return.authorized", "data": {"return_id": f"ret_{n}"}},
            "occurred_at": now,
        }
        for n in range(BROKER_EVENTS)
    ]
    with container.engine.begin() as db:
        db.execute(insert(outbox), rows)
    url = container.settings.database_url
    container.engine.dispose()
    load = os.getloadavg()[0]
    start = time.perf_counter()
    workers = [
        multiprocessing.Process(target=_publisher, args=(url, exchange)) for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    engine = bootstrap(Settings(database_url=url)).engine
    with engine.connect() as db:
        waiting = db.execute(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        ).scalar_one()
    engine.dispose()
    queued = channel.queue_declare(queue, durable=True, passive=True).method.message_count
    channel.queue_delete(queue)
    channel.exchange_delete(exchange)
    connection.close()
    report(
        "integrations_broker_publish",
        {
            "events": BROKER_EVENTS,
            "workers": WORKERS,
            "left_in_outbox": waiting,
            "messages_in_queue": queued,
            "events_per_s": BROKER_EVENTS / wall,
            "cpu_ms_per_event_workers": 1000
            * (children.ru_utime + children.ru_stime)
            / BROKER_EVENTS,
            "load_avg_1m": max(load, os.getloadavg()[0]),
        },
    )
