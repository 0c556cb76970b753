"""Where read-only work reads: the streaming replica while it answers, else the primary.

Only entrypoints that chose ``Container.replica()`` come here (docs/operations.md lists them
and says why the others read the primary). A request may ask for the primary instead
(``prefer_primary``): a client that has just written and must see it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar, Token

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_primary_preferred: ContextVar[bool] = ContextVar("rma_primary_preferred", default=False)


def prefer_primary(preferred: bool) -> Token[bool]:
    """Say whether this request's read-only work must read the primary; hand the token back."""
    return _primary_preferred.set(preferred)


def stop_preferring(token: Token[bool]) -> None:
    _primary_preferred.reset(token)


class _ConnectionSession(Session):
    """A session on one connection it was handed, which it gives back to the pool on close."""

    def __init__(self, connection: Connection):
        super().__init__(bind=connection, expire_on_commit=False, autoflush=False)
        self._connection = connection

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._connection.close()


class ReplicaSessions:
    """Sessions on the replica; on the primary when the caller asks or the replica is down.

    The replica's connection is taken (and pinged) before the session is made, so a replica
    that is down is found before any query and the work reads the primary instead, with a
    warning. It is asked again after ``retry_seconds``, not on every request in between.
    """

    def __init__(
        self,
        replica: Engine,
        primary_reads: Callable[[], Session],
        primary_snapshots: Callable[[], Session],
        retry_seconds: float,
    ):
        # Each statement on its own, as the primary's read-only sessions do: one round trip.
        self._reads = replica.execution_options(isolation_level="AUTOCOMMIT")
        self._snapshots = replica
        self._primary_reads = primary_reads
        self._primary_snapshots = primary_snapshots
        self._retry_seconds = retry_seconds
        self._down_until: float | None = None  # while set, the replica is not asked
        self._where = replica.url.render_as_string(hide_password=True)

    def factory(self, *, snapshot: bool) -> Callable[[], Session]:
        """Sessions for a unit of work: each statement alone, or one transaction (``snapshot``)."""
        return lambda: self.open(snapshot=snapshot)

    def open(self, *, snapshot: bool) -> Session:
        if _primary_preferred.get() or not self._worth_asking():
            return self._primary_snapshots() if snapshot else self._primary_reads()
        try:
            connection = (self._snapshots if snapshot else self._reads).connect()
        except DBAPIError as error:
            self._down_until = time.monotonic() + self._retry_seconds
            log.warning(
                "the replica %s is unreachable (%s); read-only work reads the primary, "
                "and the replica is tried again in %g s",
                self._where,
                str(error.orig).strip() or type(error.orig).__name__,
                self._retry_seconds,
            )
            return self._primary_snapshots() if snapshot else self._primary_reads()
        if self._down_until is not None:
            self._down_until = None
            log.info("the replica %s answers again; read-only work reads it", self._where)
        return _ConnectionSession(connection)

    def _worth_asking(self) -> bool:
        return self._down_until is None or time.monotonic() >= self._down_until
