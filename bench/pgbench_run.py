"""Run a generated pgbench script and read what its PostgreSQL backends spent in CPU."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from bench.common import load_average, percentile
from bench.processes import backend_pids, cpu_seconds


@dataclass
class PgbenchOutcome:
    clients: int
    transactions: int
    per_second: float
    failed: int
    db_cpu_ms: float  # CPU of pgbench's backends per transaction
    load: str
    slowest: list[tuple[float, str]]  # (ms, statement) of the costliest statements, by latency
    p50_ms: float = 0.0  # of whole transactions, from pgbench's log of each
    p99_ms: float = 0.0


def run_pgbench(
    engine: Engine, script: Path, clients: int, seconds: float, base: int
) -> PgbenchOutcome:
    """``pgbench -n -M prepared -f script -c clients -j 2 -T seconds``, rows from ``base`` on.

    The backends' CPU (utime + stime from /proc) is read every 0.2 s while pgbench runs; the
    last reading is divided by the transactions pgbench logged as finished by then.
    """
    url = make_url(engine.url)
    database = str(url.database)
    with tempfile.TemporaryDirectory() as logs:
        command = ["pgbench", "-n", "-r", "-M", "prepared", "-f", str(script)]
        command += ["-c", str(clients), "-j", "2", "-T", str(int(seconds))]
        command += ["-D", f"base={base}", "-D", f"clients={clients}", "-D", "k=0"]
        command += ["-l", f"--log-prefix={logs}/tx"]
        command += ["-h", server_host(url), "-p", str(url.port or 5432)]
        command += ["-U", url.username or "postgres", database]
        env = {**os.environ, "PGPASSWORD": url.password or ""}

        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        readings: dict[int, float] = {}
        last_reading = [0.0]

        def watch() -> None:
            with engine.connect() as connection:
                while process.poll() is None:
                    now = cpu_seconds(backend_pids(connection, database, "pgbench"))
                    if now:
                        readings.update(now)
                        last_reading[0] = time.time()
                    connection.rollback()
                    time.sleep(0.2)

        watcher = threading.Thread(target=watch)
        watcher.start()
        out, err = process.communicate()
        watcher.join()
        load = load_average()
        logged = _logged(Path(logs))
    finished = sum(1 for ended, _ in logged if ended <= last_reading[0])
    latencies = [ms for _, ms in logged]
    if process.returncode != 0:
        raise RuntimeError(f"pgbench failed ({process.returncode}): {err.strip()[-2000:]}")
    processed = int(_field(out, r"number of transactions actually processed: (\d+)"))
    failed = int(_field(out, r"number of failed transactions: (\d+)", "0"))
    tps = float(_field(out, r"tps = ([\d.]+) \(without initial connection time\)"))
    db_ms = sum(readings.values()) * 1000 / finished if finished else 0.0
    p50, p99 = (percentile(latencies, q) if latencies else 0.0 for q in (0.5, 0.99))
    return PgbenchOutcome(clients, processed, tps, failed, db_ms, load, _slowest(out), p50, p99)


def _slowest(output: str, count: int = 3) -> list[tuple[float, str]]:
    """The statements with the highest mean latency in pgbench's ``-r`` report.

    A pipeline's statements are timed together, at its end: it is shown as its first one.
    """
    found, opened, first = [], False, ""
    for line in output.split("statement latencies", 1)[-1].splitlines()[1:]:
        parts = line.split(None, 2)  # latency, failures, statement
        if len(parts) < 3 or not parts[0].replace(".", "", 1).isdigit():
            continue
        latency, statement = float(parts[0]), parts[2]
        if statement.startswith("\\startpipeline"):
            opened, first = True, ""
        elif statement.startswith("\\endpipeline"):
            found.append((latency, f"(pipeline) {first}"))
            opened = False
        elif not statement.startswith("\\"):
            if opened:
                first = first or statement
            else:
                found.append((latency, statement))
    return sorted(found, reverse=True)[:count]


def _logged(logs: Path) -> list[tuple[float, float]]:
    """Each transaction pgbench logged: when it ended (epoch seconds, the log's fifth and
    sixth fields) and its latency in ms (the third, in microseconds)."""
    logged = []
    for path in logs.iterdir():
        for line in path.read_text().splitlines():
            fields = line.split()
            logged.append((int(fields[4]) + int(fields[5]) / 1e6, int(fields[2]) / 1000))
    return logged


def _field(output: str, pattern: str, default: str | None = None) -> str:
    found = re.search(pattern, output)
    if found:
        return found.group(1)
    if default is not None:
        return default
    raise RuntimeError(f"pgbench said nothing matching {pattern!r}:\n{output}")


def server_host(url: URL) -> str:
    """Where the URL reaches PostgreSQL: its host, or the directory of its Unix socket
    (``?host=/var/run/postgresql``), so that pgbench connects the way the API does."""
    socket = url.query.get("host")
    if isinstance(socket, tuple):
        socket = socket[-1]
    return url.host or socket or "127.0.0.1"
