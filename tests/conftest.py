"""Fixtures: every storage and HTTP test runs on the embedded SQLite file and on PostgreSQL.

Each backend is migrated once per run and wiped before each test. The API is served by a
real uvicorn server on a loopback port, one per backend, and driven with httpx.

PostgreSQL comes from ``RMA_TEST_POSTGRES_URL`` (the local server by default). If it cannot
be reached the run fails, unless ``RMA_TEST_ALLOW_NO_POSTGRES=1`` says SQLite alone will do.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rma.adapters.migrate import upgrade
from rma.adapters.orm import metadata
from rma.api.app import create_app
from rma.bootstrap import Container, bootstrap
from rma.config import Settings
from tests.support import ADMIN_KEY

POSTGRES_URL = os.environ.get(
    "RMA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_DATABASE = os.environ.get("RMA_TEST_DATABASE", "rma_test")  # one per parallel run


def _postgres_test_url() -> str:
    """A fresh database beside the server's default one, or a failure that says why."""
    server = make_url(POSTGRES_URL)
    try:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {TEST_DATABASE}"))
        admin.dispose()
    except Exception as error:
        if os.environ.get("RMA_TEST_ALLOW_NO_POSTGRES") == "1":
            pytest.skip(f"PostgreSQL unreachable and RMA_TEST_ALLOW_NO_POSTGRES=1: {error}")
        pytest.fail(
            f"PostgreSQL is unreachable at {server.render_as_string()} ({error}); "
            "start it, point RMA_TEST_POSTGRES_URL at one, or set RMA_TEST_ALLOW_NO_POSTGRES=1"
        )
    return server.set(database=TEST_DATABASE).render_as_string(hide_password=False)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the SQLite copy of tests marked ``postgres_only`` (they need row locks)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("backend") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("postgres_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


_RESULTS_BY_BACKEND: dict[str, dict[str, int]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count each backend's outcomes, for the summary below."""
    backend = next((b for b in ("sqlite", "postgresql") if f"[{b}" in report.nodeid), None)
    if backend is None or (report.when != "call" and report.passed):
        return
    counts = _RESULTS_BY_BACKEND.setdefault(backend, {})
    counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many storage and HTTP tests ran on each backend."""
    if not _RESULTS_BY_BACKEND:
        return
    terminalreporter.section("backends")
    for backend, counts in sorted(_RESULTS_BY_BACKEND.items()):
        outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        terminalreporter.write_line(f"{backend}: {outcomes}")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Container]:
    """A migrated database of each kind, for the whole run."""
    data_dir = tmp_path_factory.mktemp(f"rma-{request.param}")
    url = f"sqlite:///{data_dir / 'rma.db'}" if request.param == "sqlite" else _postgres_test_url()
    settings = Settings(
        database_url=url, admin_key=ADMIN_KEY, data_dir=Path(data_dir), jobs_interval_seconds=0
    )
    container = bootstrap(settings)
    upgrade(container.engine)
    yield container
    container.engine.dispose()


@pytest.fixture
def container(backend: Container) -> Container:
    """The backend with every table emptied: each test starts from nothing."""
    names = [table.name for table in metadata.sorted_tables]
    with backend.engine.begin() as connection:
        if backend.engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(names):
                connection.execute(text(f"DELETE FROM {name}"))
    backend.attempts.clear()  # every test starts with no failed sign-ins counted
    return backend


KEEP_ALIVE_SECONDS = 600


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own handlers
        pass


@pytest.fixture(scope="session")
def server_url(backend: Container) -> Iterator[str]:
    """A real HTTP server on a free loopback port, serving the app over ``backend``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # A test's client may sit idle longer than uvicorn's 5 s keep-alive while a browser works
    # (a slow machine, a stalled loop): a request sent on the connection as the server closes
    # it was reset (``ConnectionResetError``). The server keeps idle connections past any test.
    config = uvicorn.Config(
        create_app(backend),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def http(container: Container, server_url: str) -> Iterator[httpx.Client]:
    """An HTTP client against the server, over a freshly emptied database."""
    with httpx.Client(base_url=server_url, timeout=30) as client:
        yield client
