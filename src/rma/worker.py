"""Scheduled jobs: run by `rma jobs run-due`, and in the background by `rma serve`."""

from __future__ import annotations

import logging
import threading

from rma.bootstrap import Container
from rma.services.refunds import send_due_refunds
from rma.services.returns import expire_due_returns

log = logging.getLogger(__name__)


def run_due_jobs(container: Container) -> dict[str, int]:
    """Run each due job once; answer how many things each one handled."""
    expired = 0
    while batch := expire_due_returns(container.uow()):
        expired += batch
    return {"expired_returns": expired, "refunds_asked": reconcile_refunds(container)}


def reconcile_refunds(container: Container) -> int:
    """Ask the gateways about every pending refund that is due (first asks and retries)."""
    asked = 0
    while batch := send_due_refunds(container.uow(), container.payments):
        asked += batch
    return asked


def start_background_jobs(container: Container) -> threading.Thread | None:
    """Run due jobs every ``jobs_interval_seconds`` in a daemon thread (0 turns it off)."""
    interval = container.settings.jobs_interval_seconds
    if interval <= 0:
        return None
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                run_due_jobs(container)
            except Exception:  # a failed round is logged and retried on the next tick
                log.exception("due jobs failed")

    thread = threading.Thread(target=loop, name="rma-jobs", daemon=True)
    thread.start()
    return thread
