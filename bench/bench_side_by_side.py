"""This code and an earlier revision served at the same time: what a change bought, fairly.

On a shared machine the same code's CPU per request moves by a third from one ten minutes to
the next, so runs of ``python -m bench returns`` before and after a change compare the hours
as much as the code. Here both run at once, on one database (``rma_bench_sbs_<pid>``):

1. the revision ``RMA_BENCH_BASELINE_REV`` (``HEAD`` by default: the method's own noise) is
   checked out in a temporary git worktree; the working tree is the other side;
2. each side gets an API process of its own (``rma serve``'s uvicorn, ``RMA_BENCH_WORKERS``,
   1) and ``RMA_BENCH_CLIENTS`` (8) closed-loop clients, both driven at the same time;
3. in each of ``RMA_BENCH_ROUNDS`` (3) rounds: requests for ``RMA_BENCH_SECONDS`` (8), then
   authorizations as long, then the box scan, inspection and resolution of
   ``RMA_BENCH_STEPS`` (300) of the returns each side authorized, then the first page of
   50 returns (the desk's queue) for half as long.

It prints each side's CPU per request (utime + stime of its server's processes) for each
operation and round, their means and the change, with the load average.

Two sides served at once share the cores by the kernel's measure, which is fair between
threads, not processes: a side with more runnable threads takes more of the cores (and
answers more) than a side serving on fewer. To compare two ways of serving (session 12's
event loop against worker threads), ``RMA_BENCH_TURNS=1`` has the sides take turns at each
operation instead, the first side alternating between rounds, so each runs alone and the
hour's drift falls on both.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench import bench_returns as steps
from bench.common import analyze, drop_database, load_average, migrated_container
from bench.http_load import LoopbackClient, Outcome, closed_loop, expect
from bench.processes import CpuMeter, Server
from bench.write_path import World, load_world

REVISION = os.environ.get("RMA_BENCH_BASELINE_REV", "HEAD")
ROUNDS = int(os.environ.get("RMA_BENCH_ROUNDS", "3"))
SECONDS = float(os.environ.get("RMA_BENCH_SECONDS", "8"))
CLIENTS = int(os.environ.get("RMA_BENCH_CLIENTS", "8"))
WORKERS = int(os.environ.get("RMA_BENCH_WORKERS", "1"))
STEPS = int(os.environ.get("RMA_BENCH_STEPS", "300"))
COPIES = 3000  # of each operation, a side and a round: more than 8 seconds can use
SIDES = ("before", "after")
TURNS = os.environ.get("RMA_BENCH_TURNS", "") == "1"


def main() -> None:
    database = f"rma_bench_sbs_{os.getpid()}"
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryDirectory() as checkout:
        git = ["git", "-C", str(root)]
        subprocess.run([*git, "worktree", "add", "--detach", checkout, REVISION], check=True)
        container = migrated_container(database, Path(data_dir))
        try:
            _run(container, Path(data_dir), Path(checkout))
        finally:
            container.engine.dispose()
            drop_database(database)
            subprocess.run([*git, "worktree", "remove", "--force", checkout], check=False)


def _run(container: Any, data_dir: Path, checkout: Path) -> None:
    world = load_world(container, COPIES * 2 * ROUNDS, 10, 1)
    analyze(container)
    env = {"RMA_DATABASE_URL": str(container.settings.database_url), "RMA_DATA_DIR": str(data_dir)}
    servers = {
        "before": Server({**env, "PYTHONPATH": f"{checkout / 'src'}"}, WORKERS),
        "after": Server(env, WORKERS),
    }
    print(f"   before: {_described(checkout)}; after: the working tree", flush=True)
    cpu: dict[str, dict[str, list[float]]] = {side: {} for side in SIDES}
    try:
        for server in servers.values():
            server.wait_ready()
        create, authorize = list(world.create.http_copies()), list(world.authorize.http_copies())
        for round_ in range(ROUNDS):
            order = SIDES if round_ % 2 == 0 else SIDES[::-1]  # who goes first, taking turns
            both = partial(_both, servers, cpu, order=order)
            requests = {side: _share(create, side, round_) for side in SIDES}
            both("create", requests, steps._create(world))
            pending = {side: _share(authorize, side, round_) for side in SIDES}
            moved = both("authorize", pending, steps._authorize(world))
            for name, step in (("scan", steps._scan), ("inspect", steps._inspect)):
                moved = both(name, moved, step(world), seconds=3600)
            both("resolve", moved, steps._resolve(world), seconds=3600)
            pages = {side: range(COPIES) for side in SIDES}
            both("list page", pages, _list_page(world), seconds=SECONDS / 2)
    finally:
        for server in servers.values():
            server.stop()
    for name in cpu["after"]:
        before, after = (sum(cpu[s][name]) / len(cpu[s][name]) for s in SIDES)
        print(
            f"   {name:<10} API CPU a request: before {before:.2f} ms, after {after:.2f} ms"
            f" ({100 * (after - before) / before:+.0f}%)  [{load_average()}]"
        )


def _list_page(world: World) -> Callable[[LoopbackClient, int], Any]:
    """The desk's queue: the first 50 of the seller's returns, newest first."""
    headers = {"Authorization": f"Bearer {world.manual.keys['seller']}"}

    def one(client: LoopbackClient, _job: int) -> Any:
        return expect(client.get("/v1/returns?limit=50", headers=headers), 200)

    return one


def _share(copies: list[int], side: str, round_: int) -> list[int]:
    """The copies one side may use in one round."""
    start = (2 * round_ + SIDES.index(side)) * COPIES
    return copies[start : start + COPIES]


def _both(
    servers: dict[str, Server],
    cpu: dict[str, dict[str, list[float]]],
    name: str,
    jobs: dict[str, list[Any]],
    one: Callable[..., Any],
    seconds: float = SECONDS,
    *,
    order: tuple[str, ...] = SIDES,
) -> dict[str, list[Any]]:
    """``one`` over each side's ``jobs`` at the same time (``TURNS``: one side after the
    other, in ``order``); each side's returns moved on."""
    outcomes: dict[str, Outcome] = {}
    meters = {side: CpuMeter(server.pids) for side, server in servers.items()}
    spent: dict[str, float] = {}

    def drive(side: str) -> None:
        if TURNS:
            meters[side].start()
        outcomes[side] = closed_loop(servers[side].url, CLIENTS, jobs[side], one, seconds)
        if TURNS:
            spent[side] = meters[side].stop()

    if TURNS:
        for side in order:
            drive(side)
    else:
        threads = [threading.Thread(target=drive, args=(side,)) for side in SIDES]
        for meter in meters.values():
            meter.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for side in SIDES:
        done = max(len(outcomes[side].latencies), 1)
        per_request = (spent[side] if TURNS else meters[side].stop()) * 1000 / done
        cpu[side].setdefault(name, []).append(per_request)
        print(
            f"   {side:<6} {name:<10} {outcomes[side].summary()}; API CPU {per_request:.2f} ms"
            f" a request  [{load_average()}]",
            flush=True,
        )
    return {side: outcomes[side].answers[:STEPS] for side in SIDES}


def _described(checkout: Path) -> str:
    found = subprocess.run(
        ["git", "-C", str(checkout), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    )
    return found.stdout.strip()[:72]
