"""The physical flow on PostgreSQL with 1,000,000 returns: scan-to-match latency, scan ingestion.

Loads its own database ``rma_bench_physical`` (kept between runs; ``RMA_BENCH_RELOAD=1``
loads it again): sellers and orders with ``INSERT ... SELECT generate_series``, returns with
``COPY`` (their generated RMA numbers carry real check characters), items from the returns.
Then it measures, through the service functions:

- scan-to-match: ``receiving.match_scan`` for random RMA numbers, tracking numbers and slip
  codes, p50 and p99;
- carrier event ingestion: ``tracking.ingest_carrier_events`` with signed deliveries in
  rma's batch format and in EasyPost's one-tracker format, where every delivery resends the
  history so far (duplicates mixed in), events per second.
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rma.adapters.migrate import upgrade
from rma.bootstrap import Container, bootstrap
from rma.config import Settings
from rma.domain import rma_numbers
from rma.domain.tracking import SourceKind, sign
from rma.services import receiving, tracking

SERVER = os.environ.get(
    "RMA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "rma_bench_physical"
RETURNS = int(os.environ.get("RMA_BENCH_RETURNS", "1000000"))
SELLERS = 20
RETURNS_PER_ORDER = 4
SECRET = "bench-carrier-secret-0123456789"


def main() -> None:
    container = _container()
    rmas = _load(container)
    _scan_to_match(container, rmas)
    _ingestion(container, rmas)
    container.engine.dispose()


def _container() -> Container:
    server = make_url(SERVER)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    reload = os.environ.get("RMA_BENCH_RELOAD") == "1"
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DATABASE}
        ).first()
        if reload and exists:
            connection.execute(text(f"DROP DATABASE {DATABASE} WITH (FORCE)"))
        if reload or not exists:
            connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()
    url = server.set(database=DATABASE).render_as_string(hide_password=False)
    settings = Settings(database_url=url, data_dir=_data_dir(), jobs_interval_seconds=0)
    container = bootstrap(settings)
    upgrade(container.engine)
    return container


def _data_dir() -> os.PathLike[str]:
    from pathlib import Path

    path = Path("var/bench")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _rma(rng: random.Random) -> str:
    body = "".join(rng.choice(rma_numbers.ALPHABET) for _ in range(9))
    raw = body + rma_numbers.check_character(body)
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _load(container: Container) -> list[tuple[str, str, str, str]]:
    """(seller, return id, RMA number, tracking number) of every return, loading if needed."""
    rng = random.Random(7)
    orders = RETURNS // RETURNS_PER_ORDER
    rows = []
    seen: set[str] = set()
    for n in range(RETURNS):
        rma = _rma(rng)
        while rma in seen:
            rma = _rma(rng)
        seen.add(rma)
        order = n // RETURNS_PER_ORDER
        rows.append((f"sel_{order % SELLERS:02d}", f"ret_{n:026d}", rma, f"BT{n:012d}"))
    with container.engine.connect() as connection:
        have = connection.execute(text("SELECT count(*) FROM returns")).scalar_one()
    if have == RETURNS:
        print(f"   {have:,} returns already loaded", flush=True)
        return rows
    started = time.perf_counter()
    now = datetime.now(UTC)
    with container.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sellers (id, name, kind, authorization_mode, out_of_policy,"
                " window_days, transit_days, timezone, label_default, created_at)"
                " SELECT 'sel_' || lpad(s::text, 2, '0'), 'Seller ' || s, 'professional',"
                " 'automatic', 'review', 30, 15, 'UTC', 'unpaid', :now"
                " FROM generate_series(0, :n - 1) s"
            ),
            {"now": now, "n": SELLERS},
        )
        connection.execute(
            text(
                "INSERT INTO orders (id, seller_id, number, customer_email, customer_name,"
                " currency, ordered_at)"
                " SELECT 'ord_' || lpad(o::text, 26, '0'),"
                " 'sel_' || lpad((o % :sellers)::text, 2, '0'), 'B-' || o,"
                " 'c' || o || '@example.com', 'Customer ' || o, 'USD', :now"
                " FROM generate_series(0, :n - 1) o"
            ),
            {"now": now, "n": orders, "sellers": SELLERS},
        )
        _copy_returns(connection, rows, now)
        connection.execute(
            text(
                "INSERT INTO return_items (id, seller_id, return_id, line_id, sku, unit_price,"
                " requested_quantity, authorized_quantity, received_quantity, accepted_quantity,"
                " rejected_quantity, reason_code, comment, inspection_note)"
                " SELECT 'itm_' || substr(id, 5), seller_id, id, '1', 'SKU-' || (length(id) % 50),"
                " 2500, 1, 1, 0, 0, 0, 'CR-UNWANTED_ITEM', '', '' FROM returns"
            )
        )
    with container.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    print(f"   loaded {RETURNS:,} returns in {time.perf_counter() - started:.0f} s", flush=True)
    return rows


def _copy_returns(connection: object, rows: list[tuple[str, str, str, str]], now: datetime) -> None:
    buffer = io.StringIO()
    stamp = now.isoformat()
    for n, (seller, ret_id, rma, tracking_number) in enumerate(rows):
        order = f"ord_{n // RETURNS_PER_ORDER:026d}"
        number = f"B-{n // RETURNS_PER_ORDER}"
        buffer.write(
            f"{ret_id}\t{seller}\t{order}\t{number}\tc@example.com\tUSD\tauthorized\trefund\t"
            f"{rma}\tt\t[]\t\tUPS\t{tracking_number}\t{stamp}\t{stamp}\t1\n"
        )
    buffer.seek(0)
    raw = connection.connection.driver_connection  # type: ignore[attr-defined]
    columns = (
        "id, seller_id, order_id, order_number, customer_email, currency, status, resolution,"
        " rma_number, in_policy, violations, customer_note, carrier, tracking_number,"
        " created_at, updated_at, version"
    )
    with raw.cursor().copy(f"COPY returns ({columns}) FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, max {ordered[-1] * 1000:.2f} ms"


def _scan_to_match(container: Container, rows: list[tuple[str, str, str, str]]) -> None:
    rng = random.Random(11)
    kinds: dict[str, Callable[[tuple[str, str, str, str]], str]] = {
        "RMA number": lambda r: r[2],
        "RMA number typed without dashes": lambda r: r[2].replace("-", "").lower(),
        "tracking number": lambda r: r[3],
        "packing-slip code": lambda r: r[1],
    }
    for label, scan_of in kinds.items():
        picks = rng.sample(rows, 1000)
        for row in picks[:50]:  # warm the pool and the caches
            receiving.match_scan(row[0], scan_of(row), container.uow())
        samples = []
        for row in picks:
            started = time.perf_counter()
            found = receiving.match_scan(row[0], scan_of(row), container.uow())
            samples.append(time.perf_counter() - started)
            assert found is not None
            assert found.id == row[1]
        print(f"   scan-to-match by {label} (1,000 scans): {_percentiles(samples)}", flush=True)


def _ingestion(container: Container, rows: list[tuple[str, str, str, str]]) -> None:
    seller = "sel_00"
    ours = [r for r in rows if r[0] == seller]
    rng = random.Random(13)
    rng.shuffle(ours)
    native = tracking.add_carrier_source(
        tracking.AddCarrierSource(seller, SourceKind.NATIVE, "bench", SECRET), container.uow()
    )
    easypost = tracking.add_carrier_source(
        tracking.AddCarrierSource(seller, SourceKind.EASYPOST, "bench", SECRET), container.uow()
    )
    base = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**6))
    steps = ("pre_transit", "in_transit", "out_for_delivery")

    # rma's batch format: 250 events a delivery; each parcel's history is resent as it grows.
    deliveries = []
    parcels = ours[:6000]
    for step in range(len(steps)):
        events = [
            {
                "event_id": f"{r[3]}-{s}",
                "tracking_number": r[3],
                "carrier": "UPS",
                "status": steps[s],
                "occurred_at": (base + timedelta(hours=s)).isoformat(),
            }
            for r in parcels
            for s in range(step + 1)
        ]
        for start in range(0, len(events), 250):
            body = json.dumps({"events": events[start : start + 250]}).encode()
            deliveries.append((native.id, SourceKind.NATIVE, body))
    _measure(container, "rma batch format (250 a delivery)", deliveries)

    # EasyPost: one tracker a delivery, its whole history each time.
    deliveries = []
    for r in ours[6000:7500]:
        for step in range(len(steps)):
            details = [
                {
                    "object": "TrackingDetail",
                    "status": steps[s],
                    "message": steps[s],
                    "datetime": (base + timedelta(hours=s)).isoformat(),
                }
                for s in range(step + 1)
            ]
            event = {
                "object": "Event",
                "description": "tracker.updated",
                "result": {
                    "object": "Tracker",
                    "tracking_code": r[3],
                    "carrier": "UPS",
                    "tracking_details": details,
                },
            }
            deliveries.append((easypost.id, SourceKind.EASYPOST, json.dumps(event).encode()))
    _measure(container, "EasyPost tracker.updated (1 tracker a delivery)", deliveries)


def _measure(
    container: Container, label: str, deliveries: list[tuple[str, SourceKind, bytes]]
) -> None:
    signed = [
        tracking.IngestCarrierEvents(source, body, sign(kind, SECRET, body, int(time.time())))
        for source, kind, body in deliveries
    ]
    total = new = duplicates = 0
    started = time.perf_counter()
    for cmd in signed:
        outcome = tracking.ingest_carrier_events(cmd, container.uow())
        total += outcome.received
        new += outcome.new
        duplicates += outcome.duplicates
    elapsed = time.perf_counter() - started
    print(
        f"   ingestion, {label}: {total:,} events ({duplicates:,} duplicates) in "
        f"{len(signed):,} deliveries, {elapsed:.1f} s: {total / elapsed:,.0f} events/s "
        f"({new / elapsed:,.0f} new/s, {len(signed) / elapsed:,.0f} deliveries/s)",
        flush=True,
    )
