"""Peak season drill: a mixed open-loop load at 10x a seller's normal day, and the outbox lag.

The normal day is ``RMA_BENCH_PEAK_NORMAL_PER_DAY`` returns (50,000) for one seller; the
drill offers ten times that for ``RMA_BENCH_PEAK_SECONDS`` (60), with ``r`` returns/s:

- customers request returns: a portal session, then ``POST /v1/returns`` (r/s);
- carriers post tracking scans, one signed event a webhook, four a parcel (4r/s), each
  parcel's scans spread over the drill as they are over days;
- the warehouse scans arriving boxes, ``POST /v1/receipts`` (r/s);
- the seller authorizes the fifth of returns that wait for review in bulk calls of 10 ids;
- one ``rma worker`` delivers the events to a webhook receiver on loopback.

Requests leave on schedule whether or not earlier ones have answered (open loop), so a
server that falls behind shows it as latency, counted from when a request was due. Five
seconds of the same mix go first, unmeasured, on rows of their own (``WARM_SECONDS``). Every
operation works on rows of its own, copied by SQL from templates (``bench.dataset``) into
a database of its own (``rma_bench_peak_<pid>``, dropped at the end).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from bench.common import (
    RESULTS,
    analyze,
    drop_database,
    load_average,
    migrated_container,
    percentile,
)
from bench.dataset import (
    BenchSeller,
    clone_id,
    clone_orders,
    clone_returns,
    customer_email,
    make_seller,
    order_number,
    template_order,
    template_return,
    tracking_number,
)
from bench.http_load import expect
from bench.outbox_lag import LAG, LagWatch, wait_drained
from bench.processes import CpuMeter, Server, descendants
from bench.receiver import start_receiver
from bench.write_path import create_request
from rma.adapters.webhooks import DestinationGuard, new_webhook_secret
from rma.bootstrap import Container
from rma.domain.tracking import SIGNATURE_HEADERS, SourceKind, sign
from rma.services import tracking, webhooks
from rma.services.returns import Scope

NORMAL_PER_DAY = int(os.environ.get("RMA_BENCH_PEAK_NORMAL_PER_DAY", "50000"))
SECONDS = float(os.environ.get("RMA_BENCH_PEAK_SECONDS", "60"))
DRAIN_SECONDS = 120.0
# Seconds of the drill's own mix sent first, unmeasured: a fresh server's first second (its
# pools' connections opened, each statement prepared on each) answered the first requests
# 1-1.8 s late on the 2-core machine, which made the p99 of an operation of 348 requests.
WARM_SECONDS = 5.0
PEAK = 10
REVIEW_SHARE, BULK = 0.2, 10
STEPS = ("pre_transit", "in_transit", "out_for_delivery", "delivered")
SECRET = "bench-carrier-secret-0123456789"


@dataclass
class Operation:
    """One kind of request: its offered rate, its prepared jobs, and what it saw."""

    name: str
    rate: float
    jobs: Iterator[Any]
    send: Callable[[httpx.Client, Any], None]
    sent: int = 0
    in_time: int = 0  # answered before the drill's end
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


STALL = re.compile(r"the event loop was held (\d+) ms")  # rma.adapters.lane.watch_stalls


def main() -> None:
    database = f"rma_bench_peak_{os.getpid()}"
    with tempfile.TemporaryDirectory() as data_dir:
        container = migrated_container(database, Path(data_dir))
        try:
            _drill(container, Path(data_dir))
        finally:
            container.engine.dispose()
            drop_database(database)


def _drill(container: Container, data_dir: Path) -> None:
    per_second = NORMAL_PER_DAY * PEAK / 86_400
    print(
        f"   normal day {NORMAL_PER_DAY:,} returns for one seller; peak x{PEAK}:"
        f" {per_second:.2f} returns/s for {SECONDS:.0f} s",
        flush=True,
    )
    receiver, hook = start_receiver()
    seller = make_seller(container, "Peak seller")
    webhooks.create_webhook_endpoint(
        webhooks.CreateWebhookEndpoint(seller.id, hook, new_webhook_secret()),
        container.uow(),
        DestinationGuard(allow_private=True),
    )
    source = tracking.add_carrier_source(
        tracking.AddCarrierSource(seller.id, SourceKind.NATIVE, "peak", SECRET), container.uow()
    )
    started = time.perf_counter()
    warm_rows = math.ceil(per_second * WARM_SECONDS * 1.2) + BULK
    loaded = _load(container, seller, math.ceil(per_second * SECONDS * 1.2) + 20 + warm_rows)
    warm = {name: rows[:warm_rows] for name, rows in loaded.items()}
    copies = {name: rows[warm_rows:] for name, rows in loaded.items()}
    analyze(container)
    print(f"   loaded in {time.perf_counter() - started:.0f} s  [{load_average()}]", flush=True)

    env = {
        "RMA_DATABASE_URL": str(container.settings.database_url),
        "RMA_DATA_DIR": str(data_dir),
        "RMA_WEBHOOKS_ALLOW_PRIVATE": "true",
        "RMA_WORKER_IDLE_SECONDS": "0.2",
    }
    server = Server(env, 2)
    rma = Path(sys.executable).parent / "rma"
    worker = subprocess.Popen(
        [str(rma), "worker"], env={**os.environ, **env}, stdout=subprocess.DEVNULL
    )
    try:
        server.wait_ready()
        wait_drained(container.engine, 60)  # the setup's own events first
        _drive(server.url, _operations(seller, source.id, warm, per_second), WARM_SECONDS)
        wait_drained(container.engine, 60)  # and the warm-up's
        operations = _operations(seller, source.id, copies, per_second)
        meters = {
            "server": CpuMeter(server.pids),
            "worker": CpuMeter(lambda: descendants(worker.pid)),
        }
        with container.engine.connect() as connection:  # the setup's and the warm-up's
            delivered_before = int(connection.execute(LAG).one()[4])
        for meter in meters.values():
            meter.start()
        lag = LagWatch(container.engine)
        lag.start()
        logged_before = len(server.written())
        _drive(server.url, operations, SECONDS)
        stalls = [int(ms) for ms in STALL.findall(server.written(logged_before))]
        at_end = lag.sample()
        drained = wait_drained(container.engine, DRAIN_SECONDS)
        lag.stop()
        cpu = {name: meter.stop() for name, meter in meters.items()}
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.stop()
        receiver.terminate()
    _report(container.engine, operations, lag, at_end, drained, cpu, delivered_before)
    _report_stalls(stalls)


def _report_stalls(stalls: list[int]) -> None:
    """The times the server's event loop was held in the drill (``RMA_LOOP_STALL_WARN_MS``,
    100 ms by default): each request of the process waited as long."""
    threshold = os.environ.get("RMA_LOOP_STALL_WARN_MS", "100")
    longest = f", longest {max(stalls)} ms, in all {sum(stalls):,} ms" if stalls else ""
    print(
        f"   event loop held {threshold} ms or more in the drill: {len(stalls)} times{longest}"
        f"  [{load_average()}]"
    )


def _load(container: Container, seller: BenchSeller, count: int) -> dict[str, range]:
    """Rows for each operation: orders to return, parcels in transit, boxes, pending returns."""
    scope = Scope(seller.id)
    order = template_order(container, seller.id, "T-ORDER")
    shipped = template_order(container, seller.id, "T-SHIPPED")
    sent = template_return(container, seller.id, shipped)
    tracking.set_tracking(tracking.SetTracking(scope, sent, "UPS", "BT-T"), container.uow())
    late = template_order(container, seller.id, "T-LATE", delivered_days_ago=40)
    waiting = template_return(container, seller.id, late)  # out of policy: waits for review
    regions = {}
    start = 0
    for name, template, ret in (
        ("customers", order, None),
        ("carriers", shipped, sent),
        ("warehouse", shipped, sent),
        ("review", late, waiting),
    ):
        clone_orders(container, template, start, count)
        if ret is not None:
            clone_returns(container, ret, start, count)
        regions[name] = range(start, start + count)
        start += count
    return regions


def _operations(
    seller: BenchSeller, source_id: str, copies: dict[str, range], per_second: float
) -> list[Operation]:
    seller_headers = {"Authorization": f"Bearer {seller.keys['seller']}"}
    warehouse_headers = {"Authorization": f"Bearer {seller.keys['warehouse']}"}

    def customer(client: httpx.Client, n: int) -> None:
        body = {"order_number": order_number(n), "email": customer_email(n)}
        token = expect(client.post("/v1/portal/sessions", json=body), 201)["token"]
        headers = {"Authorization": f"Bearer {token}"}
        expect(client.post("/v1/returns", json=create_request(n), headers=headers), 201)

    def carrier(client: httpx.Client, job: tuple[int, int]) -> None:
        n, step = job
        event = {
            "event_id": f"{tracking_number(n)}-{step}",
            "tracking_number": tracking_number(n),
            "carrier": "UPS",
            "status": STEPS[step],
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=5 - step)).isoformat(),
        }
        body = json.dumps({"events": [event]}).encode()
        signature = sign(SourceKind.NATIVE, SECRET, body, int(time.time()))
        headers = {SIGNATURE_HEADERS[SourceKind.NATIVE]: signature}
        headers["content-type"] = "application/json"
        path = f"/v1/carrier-events?source={source_id}"
        expect(client.post(path, content=body, headers=headers), 200)

    def box(client: httpx.Client, n: int) -> None:
        scan = {"scan": clone_id("ret", n)}  # the packing slip's code
        expect(client.post("/v1/receipts", json=scan, headers=warehouse_headers), 201)

    def bulk(client: httpx.Client, ns: list[int]) -> None:
        body = {"ids": [clone_id("ret", n) for n in ns]}
        answer = expect(
            client.post("/v1/returns/authorize", json=body, headers=seller_headers), 200
        )
        if answer["authorized"] != len(ns):
            raise RuntimeError(f"bulk authorize: {answer['authorized']} of {len(ns)} authorized")

    review = list(copies["review"])
    parcels = copies["carriers"][: math.ceil(per_second * SECONDS) + 1]
    return [
        Operation("customer request", per_second, iter(copies["customers"]), customer),
        Operation(
            "carrier scan",
            per_second * len(STEPS),
            # a parcel's scans are hours apart: every parcel's first, then every second...
            ((n, step) for step in range(len(STEPS)) for n in parcels),
            carrier,
        ),
        Operation("warehouse scan", per_second, iter(copies["warehouse"]), box),
        Operation(
            f"bulk authorize x{BULK}",
            per_second * REVIEW_SHARE / BULK,
            (review[i : i + BULK] for i in range(0, len(review), BULK)),
            bulk,
        ),
    ]


def _drive(url: str, operations: list[Operation], seconds: float) -> None:
    """Send each operation's jobs at its rate for ``seconds``; wait for the last answers."""
    lock = threading.Lock()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    client = httpx.Client(base_url=url, timeout=60, limits=limits)
    begin = time.monotonic() + 0.5
    end = begin + seconds

    def run(op: Operation, job: Any, due: float) -> None:
        try:
            op.send(client, job)
        except Exception as error:  # counted and shown: the goal is none
            with lock:
                op.errors[str(error)[:200]] += 1
            return
        done = time.monotonic()
        with lock:
            op.latencies.append(done - due)
            op.in_time += done <= end

    with ThreadPoolExecutor(max_workers=64) as pool:

        def schedule(op: Operation) -> None:
            while (due := begin + op.sent / op.rate) < end:
                time.sleep(max(0.0, due - time.monotonic()))
                job = next(op.jobs, None)
                if job is None:
                    op.errors["the drill ran out of prepared rows"] += 1
                    return
                op.sent += 1
                pool.submit(run, op, job, due)

        schedulers = [threading.Thread(target=schedule, args=(op,)) for op in operations]
        for thread in schedulers:
            thread.start()
        for thread in schedulers:
            thread.join()
    client.close()


def _report(
    engine: Engine,
    operations: list[Operation],
    lag: LagWatch,
    at_end: dict[str, float],
    drained: float | None,
    cpu: dict[str, float],
    delivered_before: int,
) -> None:
    load = load_average()
    figures: dict[str, Any] = {"seconds": SECONDS, "normal_per_day": NORMAL_PER_DAY, "load": load}
    requests = 0
    for op in operations:
        ordered = sorted(op.latencies)
        p99 = percentile(ordered, 0.99) * 1000 if ordered else 0.0
        achieved = op.in_time / SECONDS
        requests += len(ordered)
        figures[op.name] = {
            "offered_per_s": round(op.rate, 2),
            "achieved_per_s": round(achieved, 2),
            "sent": op.sent,
            "ok": len(ordered),
            "p99_ms": round(p99, 1),
            "errors": dict(op.errors),
        }
        print(
            f"   {op.name:<20} offered {op.rate:6.2f}/s, achieved {achieved:6.2f}/s"
            f" ({len(ordered)} of {op.sent} ok), p99 {p99:,.0f} ms from when due,"
            f" {sum(op.errors.values())} errors  [{load}]",
            flush=True,
        )
        for error, count in op.errors.most_common():
            print(f"      {count} x {error}")
    worst = lag.worst()
    figures["outbox_worst"], figures["outbox_at_end"] = worst, at_end
    figures["drained_after_s"] = drained
    print(
        f"   outbox lag during the drill (worst of {len(lag.samples)} samples): "
        f"{worst['outbox']:.0f} events not yet processed, oldest {worst['outbox_age_s']:.1f} s;"
        f" {worst['pending_deliveries']:.0f} deliveries pending, oldest"
        f" {worst['pending_age_s']:.1f} s",
        flush=True,
    )
    print(
        f"   at the end: {at_end['outbox']:.0f} events waiting (oldest"
        f" {at_end['outbox_age_s']:.1f} s), {at_end['pending_deliveries']:.0f} deliveries"
        f" pending; {at_end['delivered']:.0f} delivered so far; all delivered "
        + (f"{drained:.1f} s later" if drained is not None else f"NOT within {DRAIN_SECONDS:.0f} s")
        + f"  [{load}]",
        flush=True,
    )
    with engine.connect() as connection:
        delivered = int(connection.execute(LAG).one()[4]) - delivered_before
    figures["delivered"] = delivered
    figures["server_cpu_ms_per_request"] = cpu["server"] * 1000 / max(requests, 1)
    figures["worker_cpu_ms_per_delivery"] = cpu["worker"] * 1000 / max(delivered, 1)
    print(
        f"   CPU: server {figures['server_cpu_ms_per_request']:.2f} ms a request,"
        f" worker {figures['worker_cpu_ms_per_delivery']:.2f} ms a delivery"
        f" ({delivered} webhooks delivered in the drill)  [{load}]",
        flush=True,
    )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"peak-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(figures, indent=2, default=str))
    print(f"   figures written to {path}")
