"""PostgreSQL lost mid-traffic: 503 with Retry-After (a page for browsers), then recovery."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import make_url

from rma.api.app import create_app
from rma.bootstrap import Container, bootstrap
from rma.config import Settings
from tests.support import ADMIN_KEY, bearer, open_shop

pytestmark = pytest.mark.postgres_only


class Cable:
    """A TCP relay on loopback in front of PostgreSQL that the test can cut and mend."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connected = True
        self.links: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """Every open connection drops, and new ones are refused at once."""
        with self.lock:
            self.connected = False
            for link in self.links:
                with contextlib.suppress(OSError):
                    link.shutdown(socket.SHUT_RDWR)
                link.close()
            self.links.clear()

    def mend(self) -> None:
        self.connected = True

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            if not self.connected:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.links += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass


@pytest.fixture
def behind_a_cable(container: Container, tmp_path: Path) -> Iterator[tuple[Cable, str]]:
    """The app on the test database, reaching PostgreSQL only through a cable."""
    url = make_url(container.settings.database_url)
    cable = Cable((url.host or "127.0.0.1", url.port or 5432))
    settings = Settings(
        database_url=url.set(host="127.0.0.1", port=cable.port).render_as_string(
            hide_password=False
        ),
        admin_key=ADMIN_KEY,
        data_dir=tmp_path,
        jobs_interval_seconds=0,
    )
    app_container = bootstrap(settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = _Server(uvicorn.Config(create_app(app_container), port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield cable, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    app_container.engine.dispose()


def test_a_lost_database_answers_503_then_recovers(
    behind_a_cable: tuple[Cable, str],
) -> None:
    cable, base = behind_a_cable
    with httpx.Client(base_url=base, timeout=30) as http:
        shop = open_shop(http)
        assert shop.call("GET", "/v1/settings").status_code == 200

        cable.cut()
        answers = [shop.call("GET", "/v1/settings") for _ in range(3)]
        page = http.get(
            "/rma/ANY-NUMBER",
            headers={"accept": "text/html", **bearer(shop.keys["seller"])},
        )

        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "service_unavailable"
            assert int(answer.headers["retry-after"]) > 0
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "try again" in page.text

        cable.mend()
        deadline = time.monotonic() + 20
        while (status := shop.call("GET", "/v1/settings").status_code) != 200:
            assert status == 503
            assert time.monotonic() < deadline, "the service did not recover"
            time.sleep(0.2)
        assert http.get("/v1/api-keys", headers=bearer(ADMIN_KEY)).status_code == 200


def test_a_database_restart_between_requests_costs_at_most_one_request(
    behind_a_cable: tuple[Cable, str],
) -> None:
    # No ping before each checkout (it cost every request two round trips): the first request
    # on a connection the server dropped answers 503, and the pool forgets every such one.
    # Several connections in the pool, as under traffic: the statements rma sends itself
    # (signing in, reading a return) must drop them all as SQLAlchemy's own execution does,
    # not fail once on each (a 500 each, before).
    cable, base = behind_a_cable
    with httpx.Client(base_url=base, timeout=30) as http:
        shop = open_shop(http)
        with ThreadPoolExecutor(8) as clients:
            warm = list(clients.map(lambda _: shop.call("GET", "/v1/settings"), range(64)))
        assert {answer.status_code for answer in warm} == {200}
        cable.cut()
        cable.mend()  # the server restarted while nobody asked anything

        statuses = [shop.call("GET", "/v1/settings").status_code for _ in range(8)]

    assert statuses.count(503) <= 1, statuses
    assert statuses[1:] == [200] * 7, statuses
    assert statuses[0] in (200, 503), statuses
