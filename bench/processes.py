"""Processes a benchmark starts or watches: the rma server, and CPU time read from /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import httpx
from sqlalchemy import Connection, text

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """User plus system CPU seconds of each process still alive."""
    seconds = {}
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return seconds


def descendants(root: int) -> list[int]:
    """``root`` and every process under it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def backend_pids(
    connection: Connection, database: str, application: str | None = None
) -> list[int]:
    """Client backends serving ``database`` (optionally one application), but this one.

    Autovacuum's workers are left out: they work for every writer alike.
    """
    query = (
        "SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend'"
    )
    if application:
        query += " AND application_name = :app"
    return list(connection.execute(text(query), {"db": database, "app": application}).scalars())


class CpuMeter:
    """CPU seconds a set of processes spent between ``start()`` and ``stop()``.

    Processes are found again at each reading (a pool may open connections meanwhile): one
    first seen at ``stop()`` counts from zero, one gone by then is missed.
    """

    def __init__(self, find: Callable[[], Iterable[int]]) -> None:
        self._find = find
        self._before: Mapping[int, float] = {}

    def start(self) -> None:
        self._before = cpu_seconds(self._find())

    def stop(self) -> float:
        after = cpu_seconds(self._find())
        return sum(value - self._before.get(pid, 0.0) for pid, value in after.items())


RMA_APP = "rma.api.app:create_app_from_settings"


class Server:
    """The app of ``rma serve --workers N`` over a database, on a free loopback port (or
    another ASGI factory, ``app``: ``bench.floor``'s).

    It is uvicorn's command with the factory ``rma serve`` uses, so that the supervisor's
    worker health check may wait 60 s: on the shared machine, with its default 5 s, uvicorn
    killed workers still importing (``Child process died``) and the server never came up.
    """

    def __init__(self, env: Mapping[str, str], workers: int = 2, app: str = RMA_APP) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "uvicorn", app]
        command += ["--factory", "--workers", str(workers), "--timeout-worker-healthcheck", "60"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"]
        environment = {**os.environ, **env, "RMA_JOBS_INTERVAL_SECONDS": "0"}
        # A file, not a pipe: a pipe nobody reads would block a chatty server. It lives as
        # long as the server.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=self.log
        )
        self.workers = workers

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every worker answers (each process builds its own app on start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.output()}")
            try:
                answered = sum(
                    httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200
                    for _ in range(4 * self.workers)
                )
                forked = self.workers == 1 or len(descendants(self.process.pid)) > 1
                if answered == 4 * self.workers and forked:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not start: {self.output()}")

    def output(self) -> str:
        """What the server wrote to stderr so far (its last 3,000 characters)."""
        return self.written()[-3000:]

    def written(self, since: int = 0) -> str:
        """Everything the server wrote to stderr from character ``since`` on."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[since:]

    def pids(self) -> list[int]:
        return descendants(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
