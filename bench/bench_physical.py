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

import gc
import io
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
    # The million rows above are the bench's own bookkeeping, not the service's: frozen, the
    # collector stops walking them, and a full collection (over 100 ms with them) no longer
    # lands in a scan's latency.
    gc.freeze()
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
                " window_days, transit_days, timezone, label_default, resolution_trigger,"
                " keep_item_max_value, store_credit_bonus_percent, payment_gateway,"
                " payment_webhook_secret, email_preferences, created_at)"
                " SELECT 'sel_' || lpad(s::text, 2, '0'), 'Seller ' || s, 'professional',"
                " 'automatic', 'review', 30, 15, 'UTC', 'unpaid', 'inspection', 0, 0, 'manual',"
                " '', '[]', :now"
                " FROM generate_series(0, :n - 1) s"
            ),
            {"now": now, "n": SELLERS},
        )
        connection.execute(
            text(
                "INSERT INTO orders (id, seller_id, number, customer_email, customer_name,"
                " currency, shipping_amount, ordered_at)"
                " SELECT 'ord_' || lpad(o::text, 26, '0'),"
                " 'sel_' || lpad((o % :sellers)::text, 2, '0'), 'B-' || o,"
                " 'c' || o || '@example.com', 'Customer ' || o, 'USD', 0, :now"
                " FROM generate_series(0, :n - 1) o"
            ),
            {"now": now, "n": orders, "sellers": SELLERS},
        )
        _copy_returns(connection, rows, now)
        connection.execute(
            text(
                "INSERT INTO return_items (id, seller_id, return_id, line_id, sku, unit_price,"
                " requested_quantity, authorized_quantity, received_quantity, accepted_quantity,"
                " rejected_quantity, reason_code, comment, inspection_note, return_created_at)"
                " SELECT 'itm_' || substr(id, 5), seller_id, id, '1', 'SKU-' || (length(id) % 50),"
                " 2500, 1, 1, 0, 0, 0, 'CR-UNWANTED_ITEM', '', '', created_at FROM returns"
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
            f"{rma}\tt\t[]\t\t\t0\tseller\tUPS\t{tracking_number}\t{stamp}\t{stamp}\t1\n"
        )
    buffer.seek(0)
    raw = connection.connection.driver_connection  # type: ignore[attr-defined]
    columns = (
        "id, seller_id, order_id, order_number, customer_email, currency, status, resolution,"
        " rma_number, in_policy, violations, violation_codes, customer_note, label_cost,"
        " label_paid_by, carrier, tracking_number,"
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
        for _round in range(3):  # three rounds, so the noise of a shared machine shows
            picks = rng.sample(rows, 1050)
            for row in picks[:50]:  # warm the pool, the caches and the prepared statements
                receiving.match_scan(row[0], scan_of(row), container.reader())
            samples = []
            for row in picks[50:]:
                started = time.perf_counter()
                found = receiving.match_scan(row[0], scan_of(row), container.reader())
                samples.append(time.perf_counter() - started)
                assert found is not None
                assert found.id == row[1]
            print(
                f"   scan-to-match by {label} (1,000 scans): {_percentiles(samples)}"
                f"  [load average {os.getloadavg()[0]:.1f}]",
                flush=True,
            )


def _ingestion(container: Container, rows: list[tuple[str, str, str, str]]) -> None:
    del rows  # parcels are taken among returns no run has moved yet
    with container.engine.connect() as connection:
        seller = connection.execute(
            text(
                "SELECT seller_id FROM returns WHERE status = 'authorized'"
                " GROUP BY seller_id ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
    base = datetime(2026, 11, 1, tzinfo=UTC)
    for workers in (1, 4):
        native = tracking.add_carrier_source(
            tracking.AddCarrierSource(seller, SourceKind.NATIVE, "bench", SECRET), container.uow()
        )
        lanes = [
            _batch_deliveries(native.id, lane, base)
            for lane in _parcels(container, seller, 6000, workers)
        ]
        _measure(container, f"rma batch format, 250 a delivery, {workers} sender(s)", lanes)
        easypost = tracking.add_carrier_source(
            tracking.AddCarrierSource(seller, SourceKind.EASYPOST, "bench", SECRET), container.uow()
        )
        lanes = [
            _easypost_deliveries(easypost.id, lane, base)
            for lane in _parcels(container, seller, 1500, workers)
        ]
        _measure(container, f"EasyPost, 1 tracker a delivery, {workers} sender(s)", lanes)


STEPS = ("pre_transit", "in_transit", "out_for_delivery")


def _parcels(container: Container, seller: str, count: int, lanes: int) -> list[list[str]]:
    """Tracking numbers of authorized returns, split so no two senders share a parcel."""
    with container.engine.connect() as connection:
        numbers = list(
            connection.execute(
                text(
                    "SELECT tracking_number FROM returns WHERE seller_id = :s"
                    " AND status = 'authorized' ORDER BY id LIMIT :n"
                ),
                {"s": seller, "n": count},
            ).scalars()
        )
    return [numbers[lane::lanes] for lane in range(lanes)]


def _batch_deliveries(
    source_id: str, parcels: list[str], base: datetime
) -> list[tuple[str, SourceKind, bytes]]:
    """Each parcel's history resent as it grows (duplicates mixed in), 250 events a delivery."""
    deliveries = []
    for step in range(len(STEPS)):
        events = [
            {
                "event_id": f"{number}-{s}",
                "tracking_number": number,
                "carrier": "UPS",
                "status": STEPS[s],
                "occurred_at": (base + timedelta(hours=s)).isoformat(),
            }
            for number in parcels
            for s in range(step + 1)
        ]
        for start in range(0, len(events), 250):
            body = json.dumps({"events": events[start : start + 250]}).encode()
            deliveries.append((source_id, SourceKind.NATIVE, body))
    return deliveries


def _easypost_deliveries(
    source_id: str, parcels: list[str], base: datetime
) -> list[tuple[str, SourceKind, bytes]]:
    """One tracker a delivery, its whole history each time, as EasyPost sends it."""
    deliveries = []
    for number in parcels:
        for step in range(len(STEPS)):
            details = [
                {
                    "object": "TrackingDetail",
                    "status": STEPS[s],
                    "message": STEPS[s],
                    "datetime": (base + timedelta(hours=s)).isoformat(),
                }
                for s in range(step + 1)
            ]
            event = {
                "object": "Event",
                "description": "tracker.updated",
                "result": {
                    "object": "Tracker",
                    "tracking_code": number,
                    "carrier": "UPS",
                    "tracking_details": details,
                },
            }
            deliveries.append((source_id, SourceKind.EASYPOST, json.dumps(event).encode()))
    return deliveries


def _measure(
    container: Container, label: str, lanes: list[list[tuple[str, SourceKind, bytes]]]
) -> None:
    """Send each lane's deliveries in order, the lanes side by side; print the rate."""
    signed = [
        [
            tracking.IngestCarrierEvents(source, body, sign(kind, SECRET, body, int(time.time())))
            for source, kind, body in lane
        ]
        for lane in lanes
    ]

    def send(lane: list[tracking.IngestCarrierEvents]) -> tuple[int, int, int]:
        total = new = duplicates = 0
        for cmd in lane:
            outcome = tracking.ingest_carrier_events(cmd, container.uow())
            total += outcome.received
            new += outcome.new
            duplicates += outcome.duplicates
        return total, new, duplicates

    started = time.perf_counter()
    with ThreadPoolExecutor(len(signed)) as pool:
        counts = list(pool.map(send, signed))
    elapsed = time.perf_counter() - started
    total, new, duplicates = (sum(c[i] for c in counts) for i in range(3))
    deliveries = sum(len(lane) for lane in signed)
    print(
        f"   [load average {os.getloadavg()[0]:.1f}] "
        f"ingestion, {label}: {total:,} events ({duplicates:,} duplicates) in "
        f"{deliveries:,} deliveries, {elapsed:.1f} s: {total / elapsed:,.0f} events/s "
        f"({new / elapsed:,.0f} new/s, {deliveries / elapsed:,.0f} deliveries/s)",
        flush=True,
    )
