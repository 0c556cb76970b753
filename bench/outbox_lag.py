"""How far webhook delivery lags behind: events not yet processed, deliveries pending."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, text

# Events not yet processed (with the oldest's age), deliveries pending (same), delivered.
LAG = text(
    "SELECT (SELECT count(*) FROM outbox WHERE processed_at IS NULL),"
    " (SELECT extract(epoch FROM now() - min(occurred_at)) FROM outbox"
    "  WHERE processed_at IS NULL),"
    " (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),"
    " (SELECT extract(epoch FROM now() - min(created_at)) FROM webhook_deliveries"
    "  WHERE status = 'pending'),"
    " (SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded')"
)


class LagWatch:
    """Samples, every 2 s, the events not yet delivered: outbox rows and pending deliveries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.samples: list[dict[str, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def sample(self) -> dict[str, float]:
        with self.engine.connect() as connection:
            row = connection.execute(LAG).one()
        outbox, outbox_age, pending, pending_age, delivered = row
        return {
            "outbox": outbox,
            "outbox_age_s": float(outbox_age or 0),
            "pending_deliveries": pending,
            "pending_age_s": float(pending_age or 0),
            "delivered": delivered,
        }

    def _watch(self) -> None:
        while not self._stop.wait(2.0):
            self.samples.append(self.sample())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def worst(self) -> dict[str, float]:
        keys = ("outbox", "outbox_age_s", "pending_deliveries", "pending_age_s")
        return {key: max((s[key] for s in self.samples), default=0) for key in keys}


def wait_drained(engine: Engine, timeout: float) -> float | None:
    """Seconds until nothing waits in the outbox nor for delivery, or None at ``timeout``."""
    started = time.monotonic()
    watch = LagWatch(engine)
    while time.monotonic() - started < timeout:
        now = watch.sample()
        if now["outbox"] == 0 and now["pending_deliveries"] == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return None
