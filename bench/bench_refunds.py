"""Refund amounts per second, and resolutions (refund recorded) per second on a database.

``python -m bench refunds`` uses a scratch SQLite file; set ``RMA_BENCH_DATABASE_URL`` to an
empty PostgreSQL database to measure that instead (it is migrated, and written to).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rma.adapters.migrate import upgrade
from rma.bootstrap import Container, bootstrap
from rma.config import Settings
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.policy import RequestedItem
from rma.domain.refunds import OrderedLine, RefundLine, compute_refund
from rma.domain.returns import Actor, Condition, Disposition, Inspection, Receipt
from rma.domain.sellers import Fault
from rma.services import catalog, returns, sellers
from rma.services.clock import utcnow

RETURNS = 200


def amounts() -> None:
    ordered = [OrderedLine(str(i), 3, 1000 + i, 80) for i in range(20)]
    faults = (Fault.BUYER, Fault.SELLER)
    returned = [RefundLine(f"itm_{i}", str(i), 2, faults[i % 2], 15) for i in range(20)]
    calls = 20_000
    started = time.perf_counter()
    for _ in range(calls):
        compute_refund(returned, ordered, shipping_amount=1999, label_cost=500)
    per_call = (time.perf_counter() - started) / calls
    print(f"compute_refund, 20 lines: {per_call * 1e6:.1f} us per refund")


def resolutions(container: Container) -> None:
    seller = sellers.create_seller(sellers.CreateSeller("Bench"), container.uow())
    scope = returns.Scope(seller.id)
    warehouse, staff = Actor("warehouse", "bench"), Actor("seller", "bench")
    ids = []
    for n in range(RETURNS):
        delivered = utcnow() - timedelta(days=2)
        order = Order(
            new_id("ord"), seller.id, f"B-{n}", "ada@example.com", "USD", delivered,
            shipping_amount=999,
            lines=[OrderLine("1", "TEE", 2, 2500, tax_per_unit=200)],
            shipments=[Shipment(new_id("shp"), delivered, delivered, items=[ShipmentItem("1", 2)])],
        )  # fmt: skip
        catalog.add_order(order, container.uow())
        cmd = returns.RequestReturn(
            scope, order.number, [RequestedItem("1", 2, "CR-DEFECTIVE")], staff
        )
        ret = returns.request_return(cmd, container.uow()).ret
        item = ret.items[0].id
        receipt = returns.ReceiveReturn(scope, ret.id, warehouse, [Receipt(item, 2)])
        returns.receive_return(receipt, container.uow())
        judged = [Inspection(item, 2, 0, Condition.DEFECTIVE, Disposition.RETURN_TO_VENDOR)]
        inspection = returns.InspectReturn(scope, ret.id, warehouse, judged)
        returns.inspect_return(inspection, container.uow())
        ids.append(ret.id)
    timings = []
    started = time.perf_counter()
    for ret_id in ids:
        one = time.perf_counter()
        returns.resolve_return(returns.ResolveReturn(scope, ret_id, staff), container.uow())
        timings.append(time.perf_counter() - one)
    total = time.perf_counter() - started
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(
        f"resolve with refund recorded ({container.engine.dialect.name}): "
        f"{RETURNS / total:.0f}/s, p50 {statistics.median(timings) * 1e3:.1f} ms, "
        f"p95 {p95 * 1e3:.1f} ms over {RETURNS}"
    )


def main() -> None:
    amounts()
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("RMA_BENCH_DATABASE_URL", f"sqlite:///{scratch}/bench.db")
        container = bootstrap(
            Settings(database_url=url, data_dir=Path(scratch), jobs_interval_seconds=0)
        )
        upgrade(container.engine)
        resolutions(container)
        container.engine.dispose()
