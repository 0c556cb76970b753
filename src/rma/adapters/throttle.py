"""Attempt counting with the ``limits`` library: moving windows, in memory or in Redis.

In memory (the default) each process counts on its own; with ``RMA_REDIS_URL`` set, every
process counts in the same Redis, so several API processes throttle as one. If Redis cannot
be reached, attempts are let through and the failure is logged: an outage of the counter must
not become an outage of sign-in.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from rma.adapters import lane
from rma.services.throttling import Rule

log = logging.getLogger(__name__)


class LimitsAttempts:
    """``Attempts`` over a ``limits`` storage; a rule without a limit never throttles."""

    def __init__(self, limits: Mapping[Rule, str | None], storage_url: str | None = None):
        self.storage = _storage(storage_url)
        # Redis is waited on off the event loop (``lane``): an unreachable one takes seconds.
        self._remote = bool(storage_url)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.items: dict[Rule, RateLimitItem] = {
            rule: parse(text) for rule, text in limits.items() if text
        }

    def wait(self, rule: Rule, key: str) -> int:
        item = self.items.get(rule)
        if item is None:
            return 0
        return (
            lane.blocking(self._wait, item, rule, key)
            if self._remote
            else self._wait(item, rule, key)
        )

    def _wait(self, item: RateLimitItem, rule: Rule, key: str) -> int:
        try:
            if self.limiter.test(item, rule, key):
                return 0
            reset_at = self.limiter.get_window_stats(item, rule, key).reset_time
        except (StorageError, ConnectionError, OSError):
            log.warning("the throttle's storage is unreachable; letting the attempt through")
            return 0
        return max(1, math.ceil(reset_at - time.time()))

    def count(self, rule: Rule, key: str) -> None:
        item = self.items.get(rule)
        if item is None:
            return
        if self._remote:
            lane.blocking(self._count, item, rule, key)
        else:
            self._count(item, rule, key)

    def _count(self, item: RateLimitItem, rule: Rule, key: str) -> None:
        try:
            self.limiter.hit(item, rule, key)
        except (StorageError, ConnectionError, OSError):
            log.warning("the throttle's storage is unreachable; an attempt went uncounted")

    def clear(self) -> None:
        """Forget every count (tests; an operator after an incident)."""
        self.storage.reset()


def _storage(url: str | None) -> Storage:
    if not url:
        return MemoryStorage()
    storage = storage_from_string(url, wrap_exceptions=True)
    if not isinstance(storage, Storage):
        raise ValueError(f"{url!r} names an asynchronous storage; use redis://")
    return storage
