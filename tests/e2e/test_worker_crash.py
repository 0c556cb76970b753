"""Many workers on one PostgreSQL: each row has one owner, and a killed worker loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, select

from rma.adapters.orm import outbox
from rma.adapters.orm_events import webhook_deliveries
from rma.bootstrap import Container
from rma.domain.ids import new_id
from rma.worker import EventWorker, serve_runs_worker
from tests.receiver import Receiver, run_receiver
from tests.support import encryption_key, ok, open_shop

EVENTS = 150


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with run_receiver() as running:
        running.delay_seconds = 0.02  # slow enough that the kill lands mid-run
        yield running


def start_worker(container: Container, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RMA_DATABASE_URL": container.engine.url.render_as_string(hide_password=False),
        "RMA_DATA_DIR": str(data_dir),
        "RMA_SECRET_KEY": "crash-test",
        "RMA_ENCRYPTION_KEY": encryption_key(container),
        "RMA_WEBHOOKS_ALLOW_PRIVATE": "true",
        "RMA_WORKER_LEASE_SECONDS": "1",
        "RMA_WORKER_BATCH_SIZE": "10",
        "RMA_WORKER_CONCURRENCY": "4",
        "RMA_WORKER_IDLE_SECONDS": "0.1",
        "RMA_WEBHOOK_RETRY_SCHEDULE": "[0, 0, 0]",
    }
    rma = Path(sys.executable).parent / "rma"
    return subprocess.Popen(
        [str(rma), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def insert_events(container: Container, seller_id: str, count: int) -> list[str]:
    """``count`` events in the outbox, as state changes of ``count`` returns would leave."""
    now = datetime.now(UTC)
    event_ids = sorted(new_id("evt") for _ in range(count))
    with container.engine.begin() as connection:
        connection.execute(
            insert(outbox),
            [
                {
                    "id": event_id,
                    "seller_id": seller_id,
                    "event_type": "return.requested",
                    "aggregate_id": f"ret_{n}",
                    "payload": {"type": "return.requested", "version": 1, "data": {"n": n}},
                    "occurred_at": now,
                }
                for n, event_id in enumerate(event_ids)
            ],
        )
    return event_ids


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_worker_killed_mid_run_loses_no_event(
    http: httpx.Client,
    container: Container,
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(container.destinations, "allow_private", True)
    shop = open_shop(http)
    ok(shop.call("POST", "/v1/webhook-endpoints", json={"url": f"{receiver.url}/erp"}), 201)
    event_ids = insert_events(container, shop.seller_id, EVENTS)

    first = start_worker(container, tmp_path)
    receiver.wait_for(lambda got: len(got) >= 30)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL

    second = start_worker(container, tmp_path)
    try:
        receiver.wait_for(
            lambda got: {json.loads(r.body)["id"] for r in got} == set(event_ids), timeout=60
        )
    finally:
        second.send_signal(signal.SIGTERM)
        _, errors = second.communicate(timeout=30)
    assert second.returncode == 0, errors.decode()

    webhook_ids: dict[str, set[str]] = {}
    for request in receiver.requests:
        webhook_ids.setdefault(json.loads(request.body)["id"], set()).add(
            request.headers["webhook-id"]
        )
    assert all(len(ids) == 1 for ids in webhook_ids.values())  # duplicates share the id
    with container.engine.connect() as connection:
        statuses = connection.execute(
            select(webhook_deliveries.c.event_id, webhook_deliveries.c.status)
        ).all()
    assert len(statuses) == EVENTS
    assert {str(status) for _, status in statuses} == {"succeeded"}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_workers_at_once_deliver_each_event_exactly_once(
    http: httpx.Client, container: Container, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container.destinations, "allow_private", True)
    monkeypatch.setattr(container.settings, "worker_batch_size", 7)
    assert serve_runs_worker(container) is False  # on PostgreSQL, `rma worker` does the work
    receiver.delay_seconds = 0
    shop = open_shop(http)
    ok(shop.call("POST", "/v1/webhook-endpoints", json={"url": f"{receiver.url}/erp"}), 201)
    event_ids = insert_events(container, shop.seller_id, 120)

    workers = [EventWorker(container) for _ in range(2)]
    threads = [threading.Thread(target=worker.drain) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.close()

    received = [json.loads(r.body)["id"] for r in receiver.requests]
    assert sorted(received) == event_ids
