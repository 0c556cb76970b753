"""The cost of trust: create-return throughput with the audit trail and risk rules on vs off,
and how fast a sealed audit chain verifies.

On PostgreSQL (``RMA_BENCH_POSTGRES_URL``, the local server by default) in a database of its
own per run (``rma_bench_trust_<pid>``, dropped after), and on SQLite in a temporary folder:

1. ``request_return`` is called in process, one return per order, in rounds that alternate
   *on* (every change audited, four risk rules evaluated over the customer's history) and
   *off* (no audit capture, no risk read), so both halves see the same machine load, each
   mode for a seller of its own seeded alike (whose trail is then verified whole);
   ``RMA_BENCH_TRUST_COUNT`` returns in all (default 600). Throughput, CPU per return (this
   process) and the ratio on/off are reported.
2. ``RMA_BENCH_AUDIT_ENTRIES`` sealed entries (default 200,000) are written for one seller and
   ``verify_audit`` checks them: entries per second, CPU per entry.

The load average is printed before and after: the machine is shared.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.common import drop_database, migrated_container, report
from rma.adapters import audit_log
from rma.adapters.migrate import upgrade
from rma.adapters.orm_trust import audit_entries, audit_heads
from rma.bootstrap import Container, bootstrap
from rma.config import Settings
from rma.domain.audit import GENESIS, Change, chain_hash, entry_body
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.domain.risk import Assessment
from rma.services import catalog, returns, sellers
from rma.services import risk as risk_service
from rma.services.audit import seal_audit, verify_audit
from rma.trust_wiring import audit_chains, audit_keys

COUNT = int(os.environ.get("RMA_BENCH_TRUST_COUNT", "600"))
ENTRIES = int(os.environ.get("RMA_BENCH_AUDIT_ENTRIES", "200000"))
ROUNDS = 10
# Per seller: each customer returns a dozen times over the run (serial returners).
CUSTOMERS = 25
RULES = {
    "return_count": {"params": {"window_days": 30, "max_returns": 1000}},
    "return_value": {"params": {"window_days": 30, "max_value": 100_000_000}},
    "return_rate": {"params": {"min_orders": 5, "max_percent": 100}},
    "high_value": {"params": {"min_value": 1_000_000}, "effect": "inspect_first"},
}


def _seed(container: Container, orders: int) -> str:
    seller = sellers.create_seller(sellers.CreateSeller("Bench"), container.uow())
    for code, body in RULES.items():
        cmd = risk_service.SetRiskRule(seller.id, code, body["params"], body.get("effect"))
        risk_service.set_risk_rule(cmd, container.uow())
    delivered = datetime.now(UTC) - timedelta(days=3)
    for number in range(orders):
        order = Order(
            id=new_id("ord"),
            seller_id=seller.id,
            number=f"T-{number}",
            customer_email=f"customer{number % CUSTOMERS}@example.com",
            currency="USD",
            ordered_at=delivered - timedelta(days=4),
            lines=[OrderLine("1", "TEE", 2, 2500, "Tee")],
            shipments=[
                Shipment(
                    id=new_id("shp"),
                    shipped_at=delivered - timedelta(days=2),
                    delivered_at=delivered,
                    items=[ShipmentItem("1", 2)],
                )
            ],
        )
        catalog.add_order(order, container.uow())
    return seller.id


@contextmanager
def _trust_off() -> Iterator[None]:
    """No audit capture and no risk read: the request path as it was before them."""
    saved = (audit_log.watch, audit_log.entries, returns.assess_request)
    audit_log.watch = lambda session: None  # type: ignore[assignment]
    audit_log.entries = lambda *args, **kwargs: []  # type: ignore[assignment]
    returns.assess_request = lambda *args, **kwargs: Assessment()  # type: ignore[assignment]
    try:
        yield
    finally:
        audit_log.watch, audit_log.entries, returns.assess_request = saved  # type: ignore[assignment]


def _requests(container: Container, seller_id: str, numbers: list[int]) -> tuple[float, float]:
    """Wall and CPU seconds of ``request_return`` for each order number."""
    scope = returns.Scope(seller_id)
    item = [RequestedItem("1", 1, "CR-UNWANTED_ITEM")]
    wall, cpu = time.perf_counter(), time.process_time()
    for number in numbers:
        cmd = returns.RequestReturn(scope, f"T-{number}", item, Actor("customer", "bench"))
        returns.request_return(cmd, container.uow())
    return time.perf_counter() - wall, time.process_time() - cpu


def _throughput(container: Container, label: str) -> dict[str, Any]:
    warm_up = 10
    # One seller a mode, seeded alike: the seller with the trail on keeps a whole trail,
    # which is then verified with its returns and their history.
    sellers = {mode: _seed(container, COUNT // 2 + warm_up) for mode in ("on", "off")}
    numbers = {mode: iter(range(COUNT // 2 + warm_up)) for mode in sellers}
    # Untimed: the first use of each statement compiles it, in either mode.
    _requests(container, sellers["on"], [next(numbers["on"]) for _ in range(warm_up)])
    with _trust_off():
        _requests(container, sellers["off"], [next(numbers["off"]) for _ in range(warm_up)])
    per_round = COUNT // (2 * ROUNDS)
    totals = {"on": [0.0, 0.0, 0], "off": [0.0, 0.0, 0]}
    for round_ in range(2 * ROUNDS):
        mode = "off" if round_ % 2 == 0 else "on"
        if mode == "off":
            _analyze(container)  # untimed; autovacuum may be off, and the tables grow
        batch = [next(numbers[mode]) for _ in range(per_round)]
        if mode == "off":
            with _trust_off():
                wall, cpu = _requests(container, sellers[mode], batch)
        else:
            wall, cpu = _requests(container, sellers[mode], batch)
        totals[mode][0] += wall
        totals[mode][1] += cpu
        totals[mode][2] += len(batch)
    figures: dict[str, Any] = {}
    for mode, (wall, cpu, n) in totals.items():
        figures[f"{label} create-return {mode} returns/s"] = n / wall
        figures[f"{label} create-return {mode} CPU ms/return"] = 1000 * cpu / n
    on, off = (totals[m][2] / totals[m][0] for m in ("on", "off"))
    figures[f"{label} create-return on/off ratio"] = on / off
    # CPU per return is steadier than throughput on a shared machine: compare both.
    cpu_on, cpu_off = (totals[m][1] / totals[m][2] for m in ("on", "off"))
    figures[f"{label} create-return CPU off/on ratio"] = cpu_off / cpu_on
    figures[f"{label} audit entries sealed"] = seal_audit(
        audit_chains(container), audit_keys(container)
    )
    wall, cpu = time.perf_counter(), time.process_time()
    [found] = verify_audit(audit_chains(container), audit_keys(container), sellers["on"])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert found.check.ok, found.as_dict()
    checked = found.check.entries + found.history_rows + found.returns
    figures[f"{label} verify a shop's trail, history and returns"] = (
        f"{found.check.entries} entries, {found.history_rows} history rows,"
        f" {found.returns} returns: {checked / wall:,.0f} a second,"
        f" {1e6 * cpu / checked:.2f} us of CPU each"
    )
    return figures


def _analyze(container: Container) -> None:
    with container.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def _chain(container: Container, entries: int) -> str:
    """``entries`` sealed entries of one seller, written in bulk."""
    seller_id = new_id("sel")
    previous, now = GENESIS, datetime.now(UTC)
    rows = []
    for seq in range(1, entries + 1):
        entry_id = new_id("aud")
        # A settings change: entries about returns would be held to return rows too.
        change = Change(
            seller_id,
            "sellers",
            seller_id,
            "update",
            {"transit_days": seq},
            {"transit_days": seq + 1},
        )
        body = entry_body(entry_id, change, ("seller:key_bench", "bench"), now)
        digest = chain_hash(previous, seq, seller_id, body)
        rows.append(
            {
                "id": entry_id,
                "seller_id": seller_id,
                "entity": "sellers",
                "entity_id": seller_id,
                "action": "update",
                "actor": "seller:key_bench",
                "occurred_at": now,
                "body": body,
                "seq": seq,
                "prev_hash": previous,
                "hash": digest,
            }
        )
        previous = digest
    with container.engine.begin() as connection:
        for start in range(0, entries, 10_000):
            connection.execute(insert(audit_entries), rows[start : start + 10_000])
        connection.execute(
            insert(audit_heads).values(
                seller_id=seller_id, seq=entries, hash=previous, sealed_at=now
            )
        )
    return seller_id


def _verification(container: Container, label: str) -> dict[str, Any]:
    seller_id = _chain(container, ENTRIES)
    wall, cpu = time.perf_counter(), time.process_time()
    [found] = verify_audit(audit_chains(container), audit_keys(container), seller_id)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert found.check.ok, found.as_dict()
    assert found.check.entries == ENTRIES, found.as_dict()
    return {
        f"{label} verify entries": ENTRIES,
        f"{label} verify entries/s": ENTRIES / wall,
        f"{label} verify CPU us/entry": 1e6 * cpu / ENTRIES,
    }


def main() -> None:
    figures: dict[str, Any] = {"load average before": os.getloadavg(), "cpus": os.cpu_count()}
    database = f"rma_bench_trust_{os.getpid()}"  # one of its own per run, dropped after
    with tempfile.TemporaryDirectory() as folder:
        postgres = migrated_container(database, Path(folder) / "pg")
        try:
            figures |= _throughput(postgres, "postgresql")
            figures |= _verification(postgres, "postgresql")
        finally:
            postgres.engine.dispose()
            drop_database(database)
        sqlite = bootstrap(
            Settings(
                database_url=f"sqlite:///{folder}/bench.db",
                data_dir=Path(folder) / "sqlite",
                jobs_interval_seconds=0,
            )
        )
        upgrade(sqlite.engine)
        figures |= _throughput(sqlite, "sqlite")
        figures |= _verification(sqlite, "sqlite")
        sqlite.engine.dispose()
    figures["load average after"] = os.getloadavg()
    report(f"trust-{datetime.now(UTC):%Y%m%dT%H%M%S}", figures)


if __name__ == "__main__":
    main()
