"""Reads at scale on PostgreSQL: one seller with 1,000,000 returns, three others beside it.

The data (see ``bench.reads_data``) is loaded on the server into a database of its own per
run (``rma_bench_reads_<pid>``, dropped at the end unless ``RMA_BENCH_KEEP=1``) migrated up
to just before ``0011_read_indexes``; the timed upgrade to head then builds the read indexes
over the loaded rows, and everything is VACUUM ANALYZEd. Before measuring, every table and
index of the database is read once into the operating system's cache (``pg_prewarm`` in
``read`` mode), as a server that has been answering for a while holds them: straight after
the load a page of a SKU read most of its blocks from disk (289 reads, 23 ms of its 28).

Each read runs ``RMA_BENCH_READS_SAMPLES`` times (default 300) with parameters drawn from
the data, through the service function as the API calls it and through real HTTP against a
uvicorn server in a process of its own. Printed per read: p50, p95 and p99 wall-clock
milliseconds; CPU milliseconds per call of this process (service calls) or of the server
process (HTTP); the load average after it. Goals: one return p95 <= 5 ms, the filtered
queue p95 <= 20 ms, search p95 <= 50 ms.

``RMA_BENCH_READS_COUNT`` sets the big seller's returns (default 1,000,000).
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bench.common import SERVER_URL, fresh_database, percentile, report
from bench.reads_data import DOMAINS, drop_secondary_indexes, load_seller
from rma.adapters.migrate import alembic_config, upgrade
from rma.api.app import create_app
from rma.api.cursors import encode_cursor
from rma.bootstrap import Container, bootstrap
from rma.config import Settings
from rma.domain.access import Role
from rma.domain.statuses import ReturnStatus
from rma.services import desk, review, sellers
from rma.services import returns as service
from rma.services.unit_of_work import ReturnFilter, ReturnSort

COUNT = int(os.environ.get("RMA_BENCH_READS_COUNT", "1000000"))
SAMPLES = int(os.environ.get("RMA_BENCH_READS_SAMPLES", "300"))
OTHER_SELLERS = 3
PAGE = 50  # the API's default page
FIRST_DAY = datetime.now(UTC).replace(microsecond=0) - timedelta(days=365)
ENCRYPTION_KEY = "cmVhZHMtYmVuY2gtb25seS1ub3QtYS1yZWFsLWtleSE="  # a bench's own, not secret
GOALS_MS = {"get": 5.0, "queue": 20.0, "search": 50.0}


def make_app() -> FastAPI:
    """The app the benchmark's server serves (``--factory``), over ``RMA_DATABASE_URL``."""
    return create_app(bootstrap())


def main() -> None:
    reuse = os.environ.get("RMA_BENCH_REUSE")  # a database a KEEP=1 run left: measure again
    name = reuse or f"rma_bench_reads_{os.getpid()}"
    figures: dict[str, Any] = {"returns": COUNT, "load_average_before": _load_average()}
    with tempfile.TemporaryDirectory() as data_dir:
        url = (
            make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
            if reuse
            else fresh_database(name)
        )
        container = bootstrap(
            Settings(
                database_url=url,
                data_dir=Path(data_dir),
                jobs_interval_seconds=0,
                encryption_key=ENCRYPTION_KEY,  # the same each run: a kept database opens again
            )
        )
        try:
            seller_id, key = _bench_seller(container) if reuse else _build(container, figures)
            _warm(container, figures)
            draw = _Draws(container, seller_id)
            _measure_service(container, seller_id, draw, figures)
            _measure_http(url, Path(data_dir), key, draw, figures)
        finally:
            container.engine.dispose()
            if os.environ.get("RMA_BENCH_KEEP") != "1" and not reuse:
                _drop(name)
    figures["load_average_after"] = _load_average()
    report("reads", figures)


def _build(container: Container, figures: dict[str, Any]) -> tuple[str, str]:
    """Load the data below the read indexes, then build them as the upgrade would."""
    upgrade(container.engine, _revision_before_read_indexes())
    seller = sellers.create_seller(sellers.CreateSeller("Bench"), container.uow())
    issued = sellers.issue_api_key(sellers.IssueApiKey(Role.SELLER, seller.id), container.uow())
    others = [
        sellers.create_seller(sellers.CreateSeller(f"Other {n}"), container.uow()).id
        for n in range(OTHER_SELLERS)
    ]
    started = time.perf_counter()
    with container.engine.begin() as connection:
        connection.execute(text("SET LOCAL synchronous_commit = off"))
        # The rows are consistent by construction: skip the foreign keys' per-row checks.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        secondary = drop_secondary_indexes(connection)
        for seller_id, count in [(seller.id, COUNT), *((o, COUNT // 100) for o in others)]:
            codes = connection.execute(
                text("SELECT code FROM reason_codes WHERE seller_id = :s ORDER BY code"),
                {"s": seller_id},
            )
            load_seller(connection, seller_id, list(codes.scalars()), count, FIRST_DAY)
        figures["load_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        for definition in secondary:
            connection.execute(text(definition))
        figures["earlier_indexes_build_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    upgrade(container.engine)
    figures["read_indexes_build_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with container.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    figures["vacuum_analyze_seconds"] = round(time.perf_counter() - started, 1)
    print(
        f"  built in {figures['load_seconds']} s, indexed in "
        f"{figures['read_indexes_build_seconds']} s, load {_load_average()}",
        flush=True,
    )
    return seller.id, issued.secret


def _warm(container: Container, figures: dict[str, Any]) -> None:
    """Read every block of the database into the OS cache, and say what PostgreSQL's own holds.

    Not into PostgreSQL's shared buffers: at their default of 128 MB they hold a fraction
    of a database of 1M returns, and a read there is a copy from the OS cache.
    """
    started = time.perf_counter()
    with container.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        figures["shared_buffers"] = c.execute(text("SHOW shared_buffers")).scalar_one()
        figures["database_size"] = c.execute(
            text("SELECT pg_size_pretty(pg_database_size(current_database()))")
        ).scalar_one()
        try:
            c.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
        except DBAPIError as error:  # not shipped, or not ours to create: measured cold
            figures["warmed"] = f"no ({error.orig})"
            return
        blocks = c.execute(
            text(
                "SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 't')"
            )
        ).scalar_one()
    figures["warmed"] = f"{blocks:,} blocks in {time.perf_counter() - started:.1f} s"
    print(
        f"  warmed the OS cache: {figures['warmed']} (database {figures['database_size']},"
        f" shared_buffers {figures['shared_buffers']})",
        flush=True,
    )


def _bench_seller(container: Container) -> tuple[str, str]:
    """The big seller of a database loaded before, and a new key of theirs."""
    with container.engine.connect() as connection:
        found = connection.execute(text("SELECT id FROM sellers WHERE name = 'Bench'"))
        seller_id = str(found.scalar_one())
    issued = sellers.issue_api_key(sellers.IssueApiKey(Role.SELLER, seller_id), container.uow())
    return seller_id, issued.secret


def _revision_before_read_indexes() -> str:
    script = ScriptDirectory.from_config(alembic_config())
    before = script.get_revision("0011").down_revision
    assert isinstance(before, str)
    return before


class _Draws:
    """Parameters drawn from the loaded data, as a desk or a client would type them."""

    def __init__(self, container: Container, seller_id: str):
        self.rng = random.Random(19)
        with container.engine.connect() as c:
            rows = c.execute(
                text(
                    "SELECT r.id, r.rma_number, r.order_number, r.customer_email, o.customer_name"
                    " FROM returns r TABLESAMPLE SYSTEM (1)"
                    " JOIN orders o ON o.seller_id = r.seller_id AND o.id = r.order_id"
                    " WHERE r.seller_id = :s LIMIT 2000"
                ),
                {"s": seller_id},
            ).all()
            self.skus = list(
                c.execute(
                    text(
                        "SELECT sku FROM return_items TABLESAMPLE SYSTEM (1)"
                        " WHERE seller_id = :s LIMIT 1000"
                    ),
                    {"s": seller_id},
                ).scalars()
            )
            self.reasons = list(
                c.execute(
                    text("SELECT DISTINCT reason_code FROM return_items WHERE seller_id = :s"),
                    {"s": seller_id},
                ).scalars()
            )
            self.latest = c.execute(
                text("SELECT max(created_at) FROM returns WHERE seller_id = :s"), {"s": seller_id}
            ).scalar_one()
        self.rows = rows

    def row(self) -> Any:
        return self.rng.choice(self.rows)

    def rma_part(self) -> str:
        """Six characters of an RMA number, as read off a label."""
        number = next(r.rma_number for r in iter(self.row, None) if r.rma_number)
        start = self.rng.randrange(0, len(number) - 6)
        return str(number[start : start + 6])

    def order_part(self) -> str:
        return str(self.row().order_number[-6:])

    def email_part(self) -> str:
        """The start of the customer's address, as typed until it is recognisable."""
        local = self.row().customer_email.split("@")[0]
        return str(local[: self.rng.randint(min(8, len(local)), len(local))])

    def name_part(self) -> str:
        """The surname, or the whole name, in lower case."""
        name = self.row().customer_name
        return str(self.rng.choice([name.split()[-1], name]).lower())

    def window(self, days: int) -> tuple[datetime, datetime]:
        end = self.latest - timedelta(days=self.rng.randint(0, 360 - days))
        return end - timedelta(days=days), end

    def status(self) -> ReturnStatus:
        return self.rng.choice(list(ReturnStatus))

    def filters(self) -> dict[str, ReturnFilter]:
        """One filter of each kind the queue offers."""
        start, end = self.window(30)
        week = self.window(7)
        rng = self.rng
        return {
            "status": ReturnFilter(status=(self.status(),)),
            "two_statuses": ReturnFilter(status=(self.status(), self.status())),
            "reason": ReturnFilter(reason_code=rng.choice(self.reasons)),
            "sku": ReturnFilter(sku=rng.choice(self.skus)),
            "created_week": ReturnFilter(created_from=week[0], created_to=week[1]),
            "status_reason_month": ReturnFilter(
                status=(self.status(),),
                reason_code=rng.choice(self.reasons),
                created_from=start,
                created_to=end,
            ),
            "status_sku": ReturnFilter(status=(self.status(),), sku=rng.choice(self.skus)),
            "review_oldest_first": ReturnFilter(
                status=(ReturnStatus.PENDING_REVIEW,), sort=ReturnSort.OLDEST
            ),
            "recently_updated": ReturnFilter(
                status=(self.status(),), sort=ReturnSort.RECENTLY_UPDATED
            ),
        }

    def searches(self) -> dict[str, str]:
        return {
            "rma_number": self.rma_part(),
            "order_number": self.order_part(),
            "email": self.email_part(),
            "name": self.name_part(),
            # Not one customer but a mail provider: a term in a seventh of the returns.
            "broad_email_domain": self.rng.choice(DOMAINS).split(".")[0],
        }


def _measure_service(
    container: Container, seller_id: str, draw: _Draws, figures: dict[str, Any]
) -> None:
    scope = service.Scope(seller_id)

    def timed(
        name: str,
        figures: dict[str, Any],
        goal_ms: float,
        draw_args: Callable[[], tuple[Any, ...]],
        call: Callable[..., object],
    ) -> None:
        _time(name, figures, goal_ms, draw_args, call, engine=container.engine)

    def page(where: ReturnFilter, after: Any = None) -> list[Any]:
        # As the API lists: a lookup alone, no transaction around it.
        return review.list_returns(scope, where, container.reader(), after=after, limit=PAGE + 1)

    timed(
        "service_get_by_id",
        figures,
        GOALS_MS["get"],
        lambda: (draw.row().id,),
        lambda ref: service.get_return(scope, ref, container.uow()),
    )
    timed(
        "service_get_by_rma_number",
        figures,
        GOALS_MS["get"],
        lambda: (next(r.rma_number for r in iter(draw.row, None) if r.rma_number),),
        lambda ref: service.get_return(scope, ref, container.uow()),
    )
    for kind in draw.filters():
        timed(
            f"service_queue_{kind}",
            figures,
            GOALS_MS["queue"],
            partial(lambda k: (draw.filters()[k],), kind),
            page,
        )

    def second_page() -> tuple[ReturnFilter, Any]:
        where = draw.filters()["status"]
        first = page(where)
        return where, (_cursor_after(first, where) if len(first) > PAGE else None)

    timed("service_queue_status_next_page", figures, GOALS_MS["queue"], second_page, page)
    timed(
        "service_desk_queue_status",
        figures,
        GOALS_MS["queue"],
        lambda: (draw.filters()["status"],),
        lambda where: desk.desk_queue(scope, where, container.uow(), after=None, limit=25),
    )
    for field in draw.searches():
        timed(
            f"service_search_{field}",
            figures,
            GOALS_MS["search"],
            partial(lambda f: (ReturnFilter(search=draw.searches()[f]),), field),
            page,
        )


def _cursor_after(page: list[Any], where: ReturnFilter) -> Any:
    from rma.api.cursors import decode_cursor

    return decode_cursor(encode_cursor(page[PAGE - 1], where.sort))


def _measure_http(
    url: str, data_dir: Path, key: str, draw: _Draws, figures: dict[str, Any]
) -> None:
    server, base = _serve(url, data_dir)
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:

            def get(path: str, params: dict[str, Any] | None = None) -> None:
                answer = http.get(path, params=params)
                if answer.status_code != 200:
                    raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")

            def timed(name: str, goal: float, draw_params: Callable[[], tuple[Any, ...]]) -> None:
                _time(name, figures, goal, draw_params, get, server_pid=server.pid)

            timed("http_get_by_id", GOALS_MS["get"], lambda: (f"/v1/returns/{draw.row().id}",))
            for kind, params in _http_filters(draw).items():
                timed(
                    f"http_queue_{kind}",
                    GOALS_MS["queue"],
                    partial(lambda p: ("/v1/returns", p()), params),
                )
            for field in draw.searches():
                timed(
                    f"http_search_{field}",
                    GOALS_MS["search"],
                    partial(lambda f: ("/v1/returns", {"q": draw.searches()[f]}), field),
                )
    finally:
        server.terminate()
        server.wait(timeout=30)


def _http_filters(draw: _Draws) -> dict[str, Callable[[], dict[str, Any]]]:
    def created() -> dict[str, Any]:
        start, end = draw.window(7)
        return {"created_from": start.isoformat(), "created_to": end.isoformat()}

    return {
        "status": lambda: {"status": draw.status().value},
        "reason": lambda: {"reason_code": draw.rng.choice(draw.reasons)},
        "sku": lambda: {"sku": draw.rng.choice(draw.skus)},
        "created_week": created,
        "status_reason_week": lambda: {
            "status": draw.status().value,
            "reason_code": draw.rng.choice(draw.reasons),
            **created(),
        },
    }


def _time(
    name: str,
    figures: dict[str, Any],
    goal_ms: float,
    draw_args: Callable[[], tuple[Any, ...]],
    call: Callable[..., object],
    server_pid: int | None = None,
    engine: Engine | None = None,
) -> None:
    """Run ``call`` SAMPLES times on fresh arguments; keep its percentiles and CPU per call.

    Given the ``engine``, also the database's own time: what PostgreSQL spends executing
    the statements of a call (EXPLAIN ANALYZE of each, replayed), over a tenth as many.
    """
    for _ in range(5):
        call(*draw_args())  # warm this query's plan and pages, as a live server has them
    walls, cpu = [], 0.0
    for _ in range(SAMPLES):
        args = draw_args()
        cpu_before = _cpu_seconds(server_pid)
        started = time.perf_counter()
        call(*args)
        walls.append((time.perf_counter() - started) * 1000)
        cpu += _cpu_seconds(server_pid) - cpu_before
    p95 = percentile(walls, 0.95)
    figures[name] = {
        "p50_ms": round(percentile(walls, 0.5), 2),
        "p95_ms": round(p95, 2),
        "p99_ms": round(percentile(walls, 0.99), 2),
        "cpu_ms_per_call": round(cpu / SAMPLES * 1000, 2),
        **(_database_time(engine, draw_args, call) if engine is not None else {}),
        "goal_p95_ms": goal_ms,
        "met": p95 <= goal_ms,
        "load_average": _load_average(),
    }
    print(f"  {name}: {figures[name]}", flush=True)


def _database_time(
    engine: Engine, draw_args: Callable[[], tuple[Any, ...]], call: Callable[..., object]
) -> dict[str, float]:
    totals = []
    statements: list[tuple[str, Any]] = []

    def keep(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    for _ in range(max(SAMPLES // 10, 2)):
        statements.clear()
        args = draw_args()
        event.listen(engine, "before_cursor_execute", keep)
        try:
            call(*args)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        total = 0.0
        with engine.connect() as connection:
            for statement, parameters in statements:
                explained = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
                )
                total += float(explained.scalar_one()[0]["Execution Time"])
        totals.append(total)
    return {
        "db_p50_ms": round(percentile(totals, 0.5), 2),
        "db_p95_ms": round(percentile(totals, 0.95), 2),
    }


def _cpu_seconds(pid: int | None) -> float:
    """CPU time of this process, or of the server process ``pid`` (user and system)."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _serve(database_url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "RMA_DATABASE_URL": database_url,
        "RMA_DATA_DIR": str(data_dir),
        "RMA_SECRET_KEY": "bench-secret",
        "RMA_JOBS_INTERVAL_SECONDS": "0",
        "RMA_ENCRYPTION_KEY": ENCRYPTION_KEY,
    }
    command = [
        *(sys.executable, "-m", "uvicorn", "--factory", "bench.bench_reads:make_app"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).parent.parent)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the benchmark server did not start")


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _drop(name: str) -> None:
    admin = create_engine(make_url(SERVER_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()
