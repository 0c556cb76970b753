"""Scheduled jobs: run by `rma jobs run-due`, and in the background by `rma serve`."""

from __future__ import annotations

import logging
import threading

from rma.bootstrap import Container
from rma.services.returns import expire_due_returns
from rma.services.tracking import flag_lost_returns

log = logging.getLogger(__name__)


def run_due_jobs(container: Container) -> dict[str, int]:
    """Run each due job once; answer how many things each one handled."""
    expired = 0
    while batch := expire_due_returns(container.uow()):
        expired += batch
    lost = 0
    while batch := flag_lost_returns(container.uow(), container.settings.lost_after_days):
        lost += batch
    return {"expired_returns": expired, "lost_packages_flagged": lost}


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
