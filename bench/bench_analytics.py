"""Returns intelligence on PostgreSQL: 1,000,000 returns and 5,000,000 shipped order lines.

One seller (zone America/New_York), 1,000 SKUs in 20 categories, a year of orders of two
lines each, every order shipped; returns of one item each from every other order, with
statuses, history, refunds and stock movements. Loaded with ``INSERT ... SELECT
generate_series`` into a database of its own per run (``rma_bench_analytics_<pid>``,
dropped at the end unless ``RMA_BENCH_KEEP=1``), then ANALYZEd.

Measured through the service functions, as the API calls them:

- building the rollups from nothing (then the due job keeps the shipped units, the
  timings and top customers' monthly counts up to date, and triggers the returned units);
- every analytics call, p50 and p95 over ``RMA_BENCH_REPEAT`` runs (goal: p95 <= 300 ms),
  with the CPU time of this process per call beside the wall clock;
- a full returns export (CSV, every row), rows per second (goal: >= 50,000) and this
  process's resident memory sampled while it streams (flat: the peak stays near the start);
- the load average before and after, since 2 cores are shared.

``RMA_BENCH_RETURNS`` and ``RMA_BENCH_LINES`` shrink the data for a quick run;
``RMA_BENCH_KEEP=1`` keeps the database and ``RMA_BENCH_REUSE=<name>`` measures it again.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import SERVER_URL, migrated_container, percentile, report
from rma.bootstrap import Container, bootstrap
from rma.config import Settings
from rma.domain.analytics import Dimension, Grain
from rma.domain.reports import ExportFormat, Report
from rma.services import analytics, reports, rollups, sellers
from rma.services.analytics import MeasureQuery
from rma.services.clock import utcnow

RETURNS = int(os.environ.get("RMA_BENCH_RETURNS", "1000000"))
LINES = int(os.environ.get("RMA_BENCH_LINES", "5000000"))
REPEAT = int(os.environ.get("RMA_BENCH_REPEAT", "10"))
FIRST_DAY = date(2025, 1, 1)
DAYS = 365
SKUS = 1000
ROLLUPS = (
    "shipped_units_daily",
    "shipped_units_monthly",
    "returned_units_daily",
    "returned_units_monthly",
    "inspected_units_daily",
    "inspected_units_monthly",
    "money_daily",
    "return_timings",
    "return_stage_times",
    "return_stage_bins",
    "customer_returns",
    "customer_months",
)


def main() -> None:
    reuse = os.environ.get("RMA_BENCH_REUSE")  # a database a KEEP=1 run left: measure again
    name = reuse or f"rma_bench_analytics_{os.getpid()}"
    figures: dict[str, Any] = {
        "returns": RETURNS,
        "order_lines": LINES,
        "load_average_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    keep = os.environ.get("RMA_BENCH_KEEP") == "1"
    # A kept database keeps its data directory (its secrets' key) beside it, for a reuse.
    kept_dir = Path(tempfile.gettempdir()) / f"{name}-data"
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = kept_dir if keep or reuse else Path(scratch)
        data_dir.mkdir(exist_ok=True)
        container = _existing(name, data_dir) if reuse else migrated_container(name, data_dir)
        try:
            if reuse:
                seller_id = _bench_seller(container)
            else:
                seller_id = _seller(container)
                _build(container, seller_id, figures)
            _measure_calls(container, seller_id, figures)
            _measure_export(container, seller_id, figures)
        finally:
            container.engine.dispose()
            if not keep and not reuse:
                _drop(name)
    figures["load_average_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    figures["goal_p95_ms"] = 300
    figures["goal_export_rows_per_second"] = 50_000
    report("analytics", figures)


def _build(container: Container, seller_id: str, figures: dict[str, Any]) -> None:
    started = time.perf_counter()
    _load(container, seller_id)
    figures["load_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    figures["customers_counted"] = _count_customers(container, seller_id)
    figures["customers_rollup_build_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    figures["job_rollup_shipment_rows_added"] = rollups.refresh_rollups(container.uow)
    figures["job_rollups_build_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with container.engine.begin() as connection:
        connection.execute(
            text("SELECT rma_rebuild_returned_units(:seller)"), {"seller": seller_id}
        )
    figures["returned_rollup_build_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with container.engine.begin() as connection:
        connection.execute(text("SELECT rma_rebuild_operations(:seller)"), {"seller": seller_id})
        connection.execute(
            text("SELECT rma_rebuild_inspected_months(:seller)"), {"seller": seller_id}
        )
    figures["operations_rollups_build_seconds"] = round(time.perf_counter() - started, 1)
    # As autovacuum would: the planner needs the rollups' statistics too.
    with container.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        for table in ROLLUPS:
            c.execute(text(f"VACUUM ANALYZE {table}"))


def _count_customers(container: Container, seller_id: str) -> int:
    """Top customers' monthly counts built from nothing, as the due job's first run does."""
    with container.uow() as uow:
        seller = uow.sellers.get(seller_id)
        assert seller is not None
        counted = uow.analytics.refresh_customers(seller_id, seller.timezone, utcnow())
        uow.commit()
    return counted


def _existing(name: str, data_dir: Path) -> Container:
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    return bootstrap(Settings(database_url=url, data_dir=data_dir, jobs_interval_seconds=0))


def _bench_seller(container: Container) -> str:
    with container.engine.connect() as connection:
        found = connection.execute(text("SELECT id FROM sellers WHERE name = 'Bench'"))
        return str(found.scalar_one())


def _seller(container: Container) -> str:
    cmd = sellers.CreateSeller("Bench", timezone="America/New_York")
    return sellers.create_seller(cmd, container.uow()).id


LOAD = [
    """
    INSERT INTO products (seller_id, sku, name, category)
    SELECT :seller, 'SKU' || g, 'Product ' || g, 'cat' || (g % 20)
    FROM generate_series(0, :skus - 1) g
    """,
    """
    INSERT INTO facilities (seller_id, code, name, address)
    VALUES (:seller, 'WH1', 'Main', '{"name": "WH", "line1": "1 Dock", "city": "X",
            "postal_code": "1", "country": "US"}')
    """,
    # Orders spread over the year; the customer is one of 200,000. Keys are zero-padded so
    # each table's keys grow in the order rows are inserted: its B-trees only append.
    """
    INSERT INTO orders (id, seller_id, number, customer_email, customer_name, currency,
                        ordered_at, shipping_amount)
    SELECT 'o' || lpad(g::text, 9, '0'), :seller, 'N' || lpad(g::text, 9, '0'),
           'c' || (g % 200000) || '@example.com', '', 'USD',
           CAST(:first AS timestamptz) + ((g * 7919) % :days) * interval '1 day'
                  + ((g * 104729) % 86400) * interval '1 second', 0
    FROM generate_series(1::bigint, :orders) g
    """,
    """
    INSERT INTO order_lines (seller_id, order_id, line_id, sku, name, quantity, unit_price,
                             tax_per_unit)
    SELECT :seller, 'o' || lpad(g::text, 9, '0'), l::text, 'SKU' || ((g * 31 + l * 17) % :skus),
           'Item', 1,
           1000 + (g % 50) * 100, 0
    FROM generate_series(1::bigint, :orders) g, generate_series(1, 2) l
    """,
    """
    INSERT INTO shipments (seller_id, id, order_id, shipped_at, carrier, facility_code)
    SELECT o.seller_id, 's' || substr(o.id, 2), o.id, o.ordered_at + interval '1 day',
           CASE WHEN right(o.id, 1)::int % 2 = 0 THEN 'UPS' ELSE 'FEDEX' END, 'WH1'
    FROM orders o WHERE o.seller_id = :seller
    """,
    """
    INSERT INTO shipment_items (seller_id, shipment_id, line_id, quantity)
    SELECT ol.seller_id, 's' || substr(ol.order_id, 2), ol.line_id, ol.quantity
    FROM order_lines ol WHERE ol.seller_id = :seller
    """,
    # One return of line 1 from every other order, requested 3 to 20 days after shipping.
    """
    INSERT INTO returns (id, seller_id, order_id, order_number, customer_email, currency,
                         status, resolution, rma_number, in_policy, violations,
                         violation_codes, customer_note, carrier, tracking_number, label_cost,
                         label_paid_by, created_at, updated_at, version)
    SELECT 'r' || lpad(g::text, 9, '0'), o.seller_id, o.id, o.number, o.customer_email, 'USD',
           (ARRAY['closed','closed','closed','closed','received','authorized','denied',
                  'inspected','resolved','pending_review'])[1 + g % 10],
           'refund', 'RMA' || lpad(g::text, 9, '0'), true, '[]', '', '',
           CASE WHEN g % 2 = 0 THEN 'UPS' ELSE 'FEDEX' END, 'T' || g, 500,
           CASE WHEN g % 3 = 0 THEN 'buyer' ELSE 'seller' END,
           o.ordered_at + interval '4 days' + (g % 17) * interval '1 day',
           o.ordered_at + interval '30 days', 1
    FROM generate_series(1, :returns) g
    JOIN orders o ON o.seller_id = :seller AND o.id = 'o' || lpad((g * 2)::text, 9, '0')
    """,
    """
    INSERT INTO return_items (id, seller_id, return_id, line_id, sku, unit_price,
                              requested_quantity, authorized_quantity, received_quantity,
                              accepted_quantity, rejected_quantity, reason_code, comment,
                              condition, disposition, inspection_note, inspected_at,
                              return_created_at)
    SELECT 'i' || substr(r.id, 2), r.seller_id, r.id, '1', ol.sku, ol.unit_price, 1, 1,
           CASE WHEN r.status IN ('received','inspected','resolved','closed') THEN 1 ELSE 0 END,
           CASE WHEN r.status IN ('inspected','resolved','closed') THEN 1 ELSE 0 END, 0,
           (ARRAY['CR-UNWANTED_ITEM','CR-DEFECTIVE','CR-DAMAGED_BY_CARRIER','AMZ-PG-BAD-DESC',
                  'CR-ORDERED_WRONG_ITEM','CR-MISSING_PARTS'])[1 + abs(hashtext(r.id)) % 6],
           '',
           CASE WHEN r.status IN ('inspected','resolved','closed')
                THEN (ARRAY['sellable','defective','carrier_damaged','customer_damaged'])
                     [1 + abs(hashtext(r.id)) % 4] END,
           CASE WHEN r.status IN ('inspected','resolved','closed')
                THEN (ARRAY['restock','return_to_vendor','dispose','liquidate'])
                     [1 + abs(hashtext(r.id)) % 4] END,
           '',
           CASE WHEN r.status IN ('inspected','resolved','closed')
                THEN r.created_at + interval '6 days' END,
           r.created_at
    FROM returns r
    JOIN order_lines ol ON ol.seller_id = r.seller_id AND ol.order_id = r.order_id
                       AND ol.line_id = '1'
    WHERE r.seller_id = :seller
    """,
    """
    INSERT INTO return_history (seller_id, return_id, at, actor, action, from_status,
                                to_status, note)
    SELECT r.seller_id, r.id, r.created_at, 'bench', 'request', NULL, 'requested', ''
    FROM returns r WHERE r.seller_id = :seller
    UNION ALL
    SELECT r.seller_id, r.id, r.created_at + (1 + abs(hashtext(r.id)) % 40) * interval '1 hour',
           'bench', 'authorize', 'requested', 'authorized', ''
    FROM returns r WHERE r.seller_id = :seller AND r.status NOT IN ('pending_review', 'denied')
    UNION ALL
    SELECT r.seller_id, r.id, r.created_at + (3 + abs(hashtext(r.id)) % 9) * interval '1 day',
           'bench', 'receive', 'authorized', 'received', ''
    FROM returns r
    WHERE r.seller_id = :seller AND r.status IN ('received','inspected','resolved','closed')
    """,
    """
    INSERT INTO refunds (id, seller_id, return_id, order_id, currency, amount, breakdown,
                         gateway, status, attempt, asks, idempotency_key, reference,
                         failure_reason, created_at, updated_at, sequence)
    SELECT 'f' || substr(r.id, 2), r.seller_id, r.id, r.order_id, 'USD', 2000,
           '{"goods": 2500, "restocking_fee": 0, "label_cost": 500, "total": 2000}',
           'manual', 'succeeded', 1, 1, 'refund-' || r.id, '', '',
           r.created_at + interval '12 days', r.created_at + interval '13 days', 1
    FROM returns r WHERE r.seller_id = :seller AND r.status IN ('resolved', 'closed')
    """,
    """
    INSERT INTO inventory_movements (seller_id, sku, location, bucket, quantity, return_id,
                                     item_id, created_at)
    SELECT ri.seller_id, ri.sku, 'WH1',
           CASE ri.disposition WHEN 'restock' THEN 'available' ELSE ri.disposition END,
           ri.accepted_quantity, ri.return_id, ri.id, ri.inspected_at
    FROM return_items ri
    WHERE ri.seller_id = :seller AND ri.inspected_at IS NOT NULL
    """,
]


def _load(container: Container, seller_id: str) -> None:
    params = {
        "seller": seller_id,
        "skus": SKUS,
        "orders": LINES // 2,
        "returns": min(RETURNS, LINES // 4),
        "first": FIRST_DAY,
        "days": DAYS,
    }
    tables = [statement.split()[2] for statement in LOAD]
    with container.engine.begin() as connection:
        # Secondary indexes are built once after the load: far cheaper than maintaining them
        # row by row through millions of inserts in random key order.
        indexes = _secondary_indexes(connection, tables)
        for name, _ in indexes:
            connection.execute(text(f"DROP INDEX {name}"))
        connection.execute(text("SET LOCAL synchronous_commit = off"))
        connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        # Bulk loading skips the rollup's row triggers; the rollups are built once after.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in LOAD:
            started = time.perf_counter()
            connection.execute(text(statement), params)
            # The next statements join what was just loaded: the planner needs its sizes.
            connection.execute(text(f"ANALYZE {statement.split()[2]}"))
            print(f"  loaded in {time.perf_counter() - started:6.1f} s: {statement.split()[2]}")
        started = time.perf_counter()
        for _, definition in indexes:
            connection.execute(text(definition))
        print(f"  {len(indexes)} indexes built in {time.perf_counter() - started:6.1f} s")
    with container.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        started = time.perf_counter()
        for table in dict.fromkeys(tables):
            c.execute(text(f"VACUUM ANALYZE {table}"))
        print(f"  vacuumed and analyzed in {time.perf_counter() - started:6.1f} s")


def _secondary_indexes(connection: Any, tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes of ``tables`` no constraint owns."""
    found = connection.execute(
        text(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = 'public' AND i.tablename = ANY(:tables)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            ORDER BY i.indexname
            """
        ),
        {"tables": tables},
    )
    return [(str(name), str(definition)) for name, definition in found]


def _calls(seller_id: str) -> dict[str, Callable[[Any], object]]:
    """Each measure over the desk's default 90 days by day, and over the whole year by month."""
    periods = {
        "90d": MeasureQuery(
            seller_id, start=date(2025, 10, 2), end=date(2025, 12, 30), group_by=Grain.DAY
        ),
        "year": MeasureQuery(
            seller_id,
            start=FIRST_DAY,
            end=FIRST_DAY + timedelta(days=DAYS - 1),
            group_by=Grain.MONTH,
        ),
    }
    calls: dict[str, Callable[[Any], object]] = {}
    for span, q in periods.items():
        whole = replace(q, group_by=None)
        calls.update(
            {
                f"return_rates_{span}": lambda uow, q=q: analytics.return_rates(q, uow),
                f"return_rates_per_sku_{span}": lambda uow, q=q: analytics.return_rates(
                    replace(q, by=Dimension.SKU), uow
                ),
                f"return_rates_per_category_{span}": lambda uow, q=q: analytics.return_rates(
                    replace(q, by=Dimension.CATEGORY), uow
                ),
                f"return_rates_one_sku_{span}": lambda uow, q=q: analytics.return_rates(
                    replace(q, sku="SKU7"), uow
                ),
                f"reasons_{span}": lambda uow, q=q: analytics.reason_breakdown(q, uow),
                f"reasons_per_sku_{span}": lambda uow, q=q: analytics.reason_breakdown(
                    replace(q, by=Dimension.SKU), uow
                ),
                f"carrier_damage_{span}": lambda uow, q=q: analytics.carrier_damage(q, uow),
                f"money_{span}": lambda uow, q=q: analytics.money_flows(q, uow),
                f"speed_{span}": lambda uow, q=q: analytics.speed(q, uow),
                f"outcomes_{span}": lambda uow, w=whole: analytics.outcomes(w, uow),
                f"customers_{span}": lambda uow, w=whole: analytics.top_customers(w, 20, uow),
            }
        )
    return calls


def _measure_calls(container: Container, seller_id: str, figures: dict[str, Any]) -> None:
    for name, call in _calls(seller_id).items():
        call(container.reader())  # warm the cache once, as a live database would be
        walls, cpus = [], []
        for _ in range(REPEAT):
            started, cpu = time.perf_counter(), time.process_time()
            call(container.reader())
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        figures[f"{name}_p50_ms"] = round(percentile(walls, 0.5), 1)
        figures[f"{name}_p95_ms"] = round(percentile(walls, 0.95), 1)
        figures[f"{name}_cpu_ms"] = round(sum(cpus) / len(cpus), 1)
        figures[f"{name}_load_average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"  {name}: p50 {figures[f'{name}_p50_ms']} ms, p95 {figures[f'{name}_p95_ms']} ms,"
            f" CPU {figures[f'{name}_cpu_ms']} ms/call, load {figures[f'{name}_load_average']}",
            flush=True,
        )


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _measure_export(container: Container, seller_id: str, figures: dict[str, Any]) -> None:
    cmd = reports.ExportReport(MeasureQuery(seller_id), Report.RETURNS, ExportFormat.CSV)
    before = _rss_kib()
    samples = [before]
    started, cpu = time.perf_counter(), time.process_time()
    export = reports.export_report(cmd, container.uow())
    size = lines = 0
    for chunk in export.chunks:
        size += len(chunk)
        lines += chunk.count(b"\r\n")
        if lines % 50_000 < 500:
            samples.append(_rss_kib())
    seconds = time.perf_counter() - started
    rows = lines - 1  # the header
    figures["export_rows"] = rows
    figures["export_megabytes"] = round(size / 1e6, 1)
    figures["export_seconds"] = round(seconds, 2)
    figures["export_cpu_seconds"] = round(time.process_time() - cpu, 2)
    figures["export_rows_per_second"] = round(rows / seconds)
    figures["export_rss_start_mib"] = round(before / 1024, 1)
    figures["export_rss_peak_mib"] = round(max(samples) / 1024, 1)
    figures["process_peak_rss_mib"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )


def _drop(name: str) -> None:
    admin = create_engine(make_url(SERVER_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()
