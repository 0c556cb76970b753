"""The write path judged against its database: HTTP beside pgbench running the same SQL.

In a database of its own (``rma_bench_write_<pid>``, dropped at the end) it loads orders and
pending returns by SQL copies of templates (``bench.dataset``) and ANALYZEs, then:

1. records one real create request and one real authorize request (a seller in manual
   review) through the app in process, and writes each as a pgbench script
   (``bench.sql_capture``; saved in ``bench/results/write-<op>.sql``);
2. serves the app as ``rma serve --workers`` does (uvicorn, ``RMA_BENCH_WORKERS`` processes,
   2; see ``bench.processes.Server``) and sends each operation from ``RMA_BENCH_CLIENTS``
   (16) threads for ``RMA_BENCH_SECONDS`` (10);
3. runs each script with ``pgbench -r -M prepared -c 16`` and ``-c 8`` for as long, on
   copies of its own, and shows the statements with the highest latency;
4. serves each script from Python as well (``bench.floor``: a bare ASGI app on the same
   uvicorn sends its statements over psycopg in one round trip, then a round trip each),
   its copies its own: the least CPU a request of those statements can cost on this stack;
5. moves returns authorized in step 2 on through the warehouse scan (``POST /v1/receipts``),
   inspection and resolution, ``RMA_BENCH_STEPS`` (300) of each (before steps 3 and 4).

It prints requests/s, p50/p99, server CPU per request (utime + stime of the server's
processes from /proc), the CPU of the PostgreSQL backends per request or transaction, the
ratio HTTP / pgbench, and the load average beside each figure.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS, analyze, drop_database, load_average, migrated_container
from bench.http_load import LoopbackClient, Outcome, closed_loop, expect
from bench.pgbench_run import PgbenchOutcome, run_pgbench, server_host
from bench.processes import CpuMeter, Server, backend_pids
from bench.write_path import World, load_world, record_scripts, send_authorize, send_create
from rma.bootstrap import Container

SECONDS = float(os.environ.get("RMA_BENCH_SECONDS", "10"))
CLIENTS = int(os.environ.get("RMA_BENCH_CLIENTS", "16"))
WORKERS = int(os.environ.get("RMA_BENCH_WORKERS", "2"))
HTTP_COPIES = int(os.environ.get("RMA_BENCH_HTTP_COPIES", "4000"))
PGBENCH_COPIES = int(os.environ.get("RMA_BENCH_PGBENCH_COPIES", "30000"))
STEPS = int(os.environ.get("RMA_BENCH_STEPS", "300"))
PGBENCH_CLIENTS = (16, 8)
# Requests each operation sends before it is measured: a server's first requests open its
# pool's connections and prepare their statements on each (see ``_Meters.warm``).
WARM = 8 * CLIENTS
GOAL_RATIO, GOAL_P99_MS, GOAL_CPU_MS = 0.25, 50.0, 2.0


def main() -> None:
    database = f"rma_bench_write_{os.getpid()}"
    with tempfile.TemporaryDirectory() as data_dir:
        container = migrated_container(database, Path(data_dir))
        try:
            _run(container, database, Path(data_dir))
        finally:
            container.engine.dispose()
            drop_database(database)


def _run(container: Container, database: str, data_dir: Path) -> None:
    started = time.perf_counter()
    # Each pgbench run has copies of its own, and so has the floor, after them.
    world = load_world(container, HTTP_COPIES, PGBENCH_COPIES, len(PGBENCH_CLIENTS) + 1)
    analyze(container)
    url = container.engine.url
    print(
        f"   loaded in {time.perf_counter() - started:.0f} s; the API and pgbench reach"
        f" PostgreSQL at {server_host(url)}  [{load_average()}]",
        flush=True,
    )
    scripts = record_scripts(container, world)
    RESULTS.mkdir(exist_ok=True)
    paths = {}
    for name, script in scripts.items():
        paths[name] = RESULTS / f"write-{name}.sql"
        paths[name].write_text(script.text)
        print(f"   {name}: {script.describe()} -> {paths[name]}")
        for note in script.notes:
            print(f"      note: {note}")

    figures: dict[str, Any] = {"at": datetime.now(UTC).isoformat(timespec="seconds")}
    env = {"RMA_DATABASE_URL": str(container.settings.database_url), "RMA_DATA_DIR": str(data_dir)}
    server = Server(env, WORKERS)
    meter = _Meters(container, server, database)
    try:
        server.wait_ready()
        creates, authorizations = world.create.http_copies(), world.authorize.http_copies()
        meter.warm("create", creates[:WARM], _create(world))
        create = meter.measure("create", creates[WARM:], _create(world))
        meter.warm("authorize", authorizations[:WARM], _authorize(world))
        authorize = meter.measure("authorize", authorizations[WARM:], _authorize(world))
        # Each step takes the returns the step before moved, all of them, however long.
        moved = authorize.answers[:STEPS]
        for name, step in (("receive (scan)", _scan), ("inspect", _inspect), ("resolve", _resolve)):
            moved = meter.measure(name, moved, step(world), seconds=3600).answers
    finally:
        meter.connection.close()
        server.stop()
    floors = _floors(container, database, world, paths, env)
    figures["http"] = meter.figures
    for name, region, http in (
        ("create", world.create, create),
        ("authorize", world.authorize, authorize),
    ):
        runs = []
        for run, clients in enumerate(PGBENCH_CLIENTS):
            outcome = run_pgbench(
                container.engine, paths[name], clients, SECONDS, region.pgbench_base(run)
            )
            _print_pgbench(name, outcome, region.pool)
            runs.append(outcome)
        figures[f"pgbench_{name}"] = [o.__dict__ for o in runs]
        best = max(o.per_second for o in runs)
        ratio = http.per_second / best if best else 0.0
        figures[f"ratio_{name}"] = round(ratio, 3)
        print(
            f"   {name}: HTTP / pgbench = {http.per_second:,.1f} / {best:,.1f} ="
            f" {ratio:.3f} (goal >= {GOAL_RATIO}); HTTP p99 {http.ms(0.99):.1f} ms at"
            f" {CLIENTS} clients (goal <= {GOAL_P99_MS:.0f} ms)  [{load_average()}]",
            flush=True,
        )
        ours, floor = meter.figures[name]["server_cpu_ms"], floors.figures[name]
        figures[f"floor_{name}"] = floor
        figures[f"floor_{name}_each"] = floors.figures[f"{name}, a round trip a statement"]
        print(
            f"   {name}: server CPU a request, rma / floor = {ours:.2f} /"
            f" {floor['server_cpu_ms']:.2f} ms = {ours / floor['server_cpu_ms']:.1f}x;"
            f" floor / pgbench = {floor['per_second']:,.1f} / {best:,.1f} ="
            f" {floor['per_second'] / best:.3f}, floor p99 {floor['p99_ms']:.1f} ms",
            flush=True,
        )
    path = RESULTS / f"returns-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(figures, indent=2, default=str))
    print(f"   figures written to {path}")


def _floors(
    container: Container, database: str, world: World, scripts: dict[str, Path], env: dict[str, str]
) -> _Meters:
    """Each operation's statements served by ``bench.floor``, measured as rma's requests."""
    url = container.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    floor_env = {
        **env,
        "RMA_BENCH_FLOOR_URL": url,
        "RMA_BENCH_FLOOR_SCRIPTS": json.dumps({name: str(path) for name, path in scripts.items()}),
    }
    server = Server(floor_env, WORKERS, app="bench.floor:app_from_environment")
    meter = _Meters(container, server, database, label="floor")
    try:
        server.wait_ready()
        for name, region in (("create", world.create), ("authorize", world.authorize)):
            copies = range(region.pgbench_base(len(PGBENCH_CLIENTS)), region.size + region.start)
            one, each = _floor_request(name), _floor_request(f"{name}/each")
            meter.warm(name, copies[:WARM], one)
            done = meter.measure(name, copies[WARM:], one)
            rest = copies[WARM + len(done.latencies) + sum(done.errors.values()) :]
            meter.measure(f"{name}, a round trip a statement", rest, each)
    finally:
        meter.connection.close()
        server.stop()
    return meter


def _floor_request(name: str) -> Callable[[LoopbackClient, int], Any]:
    return lambda client, n: expect(client.post(f"/{name}", json={"n": n}), 200)


class _Meters:
    """Runs one operation over HTTP and reads the server's and the database's CPU for it."""

    def __init__(
        self, container: Container, server: Server, database: str, label: str = "HTTP"
    ) -> None:
        self.server = server
        self.label = label
        self.connection = container.engine.connect()
        self.database = database
        self.figures: dict[str, dict[str, Any]] = {}

    def _backends(self) -> list[int]:
        pids = backend_pids(self.connection, self.database)
        self.connection.rollback()
        return pids

    def warm(self, name: str, jobs: Any, one: Callable[[LoopbackClient, Any], Any]) -> None:
        """Send ``jobs`` from the clients unmeasured: steady state is what is measured.

        What the first requests of a fresh server pay (in a run of this machine: sixteen
        answered in 100-260 ms, the rest under 80) is printed once, not mixed into the p99.
        """
        outcome = closed_loop(self.server.url, CLIENTS, jobs, one, 3600)
        print(
            f"   warm {self.label} {name:<15} {outcome.summary()} (not measured)"
            f"  [{load_average()}]",
            flush=True,
        )

    def measure(
        self,
        name: str,
        jobs: Any,
        one: Callable[[LoopbackClient, Any], Any],
        seconds: float = SECONDS,
    ) -> Outcome:
        server, database = CpuMeter(self.server.pids), CpuMeter(self._backends)
        client_cpu = [0.0]

        def start() -> None:
            server.start()
            database.start()
            client_cpu[0] = time.process_time()

        outcome = closed_loop(self.server.url, CLIENTS, jobs, one, seconds, start)
        client_ms = (time.process_time() - client_cpu[0]) * 1000
        server_ms, database_ms = server.stop() * 1000, database.stop() * 1000
        done = max(len(outcome.latencies), 1)
        load = load_average()
        self.figures[name] = {
            "requests": len(outcome.latencies),
            "errors": dict(outcome.errors),
            "per_second": round(outcome.per_second, 1),
            "p50_ms": round(outcome.ms(0.5), 2),
            "p99_ms": round(outcome.ms(0.99), 2),
            "server_cpu_ms": round(server_ms / done, 3),
            "database_cpu_ms": round(database_ms / done, 3),
            "client_cpu_ms": round(client_ms / done, 3),
            "load": load,
        }
        print(
            f"   {self.label} {name:<15} {outcome.summary()}; CPU per request: server"
            f" {server_ms / done:.2f} ms (goal <= {GOAL_CPU_MS:.0f}), database"
            f" {database_ms / done:.2f} ms, bench client {client_ms / done:.2f} ms  [{load}]",
            flush=True,
        )
        for error, count in outcome.errors.most_common():
            print(f"      {count} x {error}")
        return outcome


def _print_pgbench(name: str, outcome: PgbenchOutcome, pool: int) -> None:
    exhausted = (
        "  (POOL EXHAUSTED: raise RMA_BENCH_PGBENCH_COPIES)"
        if (outcome.transactions > pool)
        else ""
    )
    print(
        f"   pgbench {name:<10} {outcome.clients:>2} clients: {outcome.transactions:,}"
        f" transactions, {outcome.failed} failed, {outcome.per_second:,.1f}/s; database CPU"
        f" {outcome.db_cpu_ms:.2f} ms a transaction, p50 {outcome.p50_ms:.1f} ms, p99"
        f" {outcome.p99_ms:.1f} ms  [{outcome.load}]{exhausted}",
        flush=True,
    )
    for ms, statement in outcome.slowest:
        print(f"      {ms:7.3f} ms  {statement[:110]}")


def _create(world: World) -> Callable[[LoopbackClient, int], Any]:
    key = world.pro.keys["seller"]
    return lambda client, n: expect(send_create(client, key, n), 201)["id"]


def _authorize(world: World) -> Callable[[LoopbackClient, int], Any]:
    key = world.manual.keys["seller"]
    return lambda client, n: expect(send_authorize(client, key, n), 200)


def _scan(world: World) -> Callable[[LoopbackClient, dict[str, Any]], Any]:
    headers = {"Authorization": f"Bearer {world.manual.keys['warehouse']}"}

    def one(client: LoopbackClient, ret: dict[str, Any]) -> Any:
        body = {"scan": ret["rma_number"]}
        expect(client.post("/v1/receipts", json=body, headers=headers), 201)
        return ret

    return one


def _inspect(world: World) -> Callable[[LoopbackClient, dict[str, Any]], Any]:
    headers = {"Authorization": f"Bearer {world.manual.keys['warehouse']}"}

    def one(client: LoopbackClient, ret: dict[str, Any]) -> Any:
        items = [
            {"item_id": i["id"], "accepted": i["authorized_quantity"], "rejected": 0,
             "condition": "sellable", "disposition": "restock"}
            for i in ret["items"]
        ]  # fmt: skip
        path = f"/v1/returns/{ret['id']}/inspect"
        expect(client.post(path, json={"items": items}, headers=headers), 200)
        return ret

    return one


def _resolve(world: World) -> Callable[[LoopbackClient, dict[str, Any]], Any]:
    headers = {"Authorization": f"Bearer {world.manual.keys['seller']}"}

    def one(client: LoopbackClient, ret: dict[str, Any]) -> Any:
        path = f"/v1/returns/{ret['id']}/resolve"
        expect(client.post(path, json={}, headers=headers), 200)
        return ret

    return one
