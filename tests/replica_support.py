"""A streaming replica of the machine's PostgreSQL server, made with ``pg_basebackup``.

The replica runs on a free loopback port from a copy of the whole cluster in a temporary
directory, as the ``postgres`` OS user when the tests run as root (PostgreSQL refuses to run
as root). The primary must accept replication connections from 127.0.0.1; if its
``pg_hba.conf`` has no such line, ``allow_replication`` adds one and reloads the server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import URL

PG_BIN = Path(os.environ.get("RMA_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
HBA_LINE = "host replication all 127.0.0.1/32 trust  # added by rma's replica tests"
# A standby refuses to start with less of these than its primary has.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def _plain(url: URL, database: str) -> str:
    """A libpq connection string for psycopg (SQLAlchemy's URL names its own driver)."""
    return url.set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def _as_postgres(args: list[str]) -> list[str]:
    """``args`` run as the postgres OS user when we are root (the server will not run as root)."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def allow_replication(primary: URL) -> None:
    """Make sure the primary streams WAL to 127.0.0.1, or fail saying what it lacks."""
    with psycopg.connect(_plain(primary, "postgres"), autocommit=True) as connection:
        wal_level, senders = _show(connection, "wal_level"), _show(connection, "max_wal_senders")
        if wal_level not in ("replica", "logical") or int(senders) < 2:
            raise RuntimeError(
                f"the PostgreSQL server at {primary.host}:{primary.port} has wal_level="
                f"{wal_level} and max_wal_senders={senders}; a replica needs wal_level="
                "replica and max_wal_senders >= 2 (set them and restart the server)"
            )
        if _replication_allowed(connection):
            return
        hba = Path(_show(connection, "hba_file"))
        try:
            with hba.open("a") as rules:
                rules.write(f"\n{HBA_LINE}\n")
        except OSError as error:
            raise RuntimeError(
                f"the server refuses replication connections from 127.0.0.1 and {hba} cannot "
                f"be changed here ({error}); add the line `{HBA_LINE}` and reload the server"
            ) from error
        connection.execute("SELECT pg_reload_conf()")
        # The reload happens in the postmaster a moment later; its rules view shows when.
        deadline = time.monotonic() + 10
        while not _replication_allowed(connection):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not take up the new line of {hba}")
            time.sleep(0.05)


def _show(connection: psycopg.Connection[Any], setting: str) -> str:
    row = connection.execute(f"SHOW {setting}".encode()).fetchone()
    assert row is not None, setting
    return str(row[0])


def _drop_idle_slot(connection: psycopg.Connection[Any], slot: str) -> None:
    """Drop ``slot`` if a run that was killed left it behind (it would keep WAL for ever)."""
    connection.execute(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
        " WHERE slot_name = %s AND NOT active",
        (slot,),
    )


def _replication_allowed(connection: psycopg.Connection[Any]) -> bool:
    # pg_hba_file_rules reads the file as it is now, the postmaster's rules are what it
    # loaded: a reload is done once the new line is in the file and no error is reported.
    rows = connection.execute(
        "SELECT address, error FROM pg_hba_file_rules"
        " WHERE 'replication' = ANY(database) AND type IN ('host', 'hostnossl')"
    ).fetchall()
    return any(error is None and address in ("127.0.0.1", "all") for address, error in rows)


class Replica:
    """A running hot standby: its URL, and the switches a test needs (pause, resume, stop)."""

    def __init__(self, data_dir: Path, port: int, database: str):
        self.data_dir = data_dir
        self.port = port
        self.url = URL.create(
            "postgresql+psycopg", username="postgres", host="127.0.0.1", port=port
        ).set(database=database)

    @property
    def slot(self) -> str:
        """The replication slot that keeps WAL while the replica is stopped (``stopped``)."""
        return f"rma_replica_{self.url.database}"

    def sql(self, statement: str) -> Any:
        """The first value ``statement`` answers on the replica."""
        with psycopg.connect(_plain(self.url, "postgres"), autocommit=True) as connection:
            row = connection.execute(statement.encode()).fetchone()
        return row[0] if row else None

    def pause(self) -> None:
        """Stop replaying the primary's changes (they still arrive, and wait)."""
        self.sql("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        self.sql("SELECT pg_wal_replay_resume()")

    def catch_up(self, primary: URL) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(_plain(primary, "postgres"), autocommit=True) as connection:
            row = connection.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        target = row[0]
        deadline = time.monotonic() + 180
        while not self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the replica did not replay up to {target} in 3 minutes; its log ends:\n"
                    + self.log_tail()
                )
            time.sleep(0.05)

    @contextmanager
    def stopped(self, primary: URL) -> Iterator[None]:
        """The replica shut down for the block, then started again and caught up.

        While it is down the primary goes on writing (other databases too, maybe gigabytes):
        a replication slot held for the block keeps the WAL the replica will ask for.
        """
        slot = self.slot
        with psycopg.connect(_plain(primary, "postgres"), autocommit=True) as connection:
            _drop_idle_slot(connection, slot)
            self.catch_up(primary)
            connection.execute("SELECT pg_create_physical_replication_slot(%s, true)", (slot,))
            try:
                self.stop()
                try:
                    yield
                finally:
                    self.start()
                    self.catch_up(primary)
            finally:
                connection.execute("SELECT pg_drop_replication_slot(%s)", (slot,))

    def log_tail(self, lines: int = 20) -> str:
        log = self.data_dir / "replica.log"
        return "\n".join(log.read_text().splitlines()[-lines:]) if log.exists() else ""

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1"
        log = str(self.data_dir / "replica.log")
        _pg_ctl(self.data_dir, "-l", log, "-o", options, "-w", "-t", "120", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data_dir / "postmaster.pid").exists():
            _pg_ctl(self.data_dir, "-m", mode, "-w", "stop")


def _pg_ctl(data_dir: Path, *args: str) -> None:
    _run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data_dir), *args]))


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stdout}{done.stderr}")


@contextmanager
def streaming_replica(primary: URL, database: str) -> Iterator[Replica]:
    """A hot standby of the primary's whole cluster, started, and removed afterwards."""
    if primary.host not in ("127.0.0.1", "localhost"):
        raise RuntimeError(f"the replica is made of a server on this machine, not {primary.host}")
    allow_replication(primary)
    data_dir = Path(tempfile.mkdtemp(prefix="rma-replica-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(data_dir, "postgres", "postgres")
        _base_backup(primary, data_dir)
        _write_configuration(primary, data_dir)
        replica = Replica(data_dir, _free_port(), database)
        with psycopg.connect(_plain(primary, "postgres"), autocommit=True) as connection:
            _drop_idle_slot(connection, replica.slot)
        replica.start()
        try:
            assert replica.sql("SELECT pg_is_in_recovery()") is True
            yield replica
        finally:
            replica.stop("immediate")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _base_backup(primary: URL, data_dir: Path, attempts: int = 3) -> None:
    """Copy the primary's cluster into ``data_dir``, trying again if the copy is cut off.

    A fast checkpoint starts the copy at once; no fsync and no manifest keep it to the time
    the files take to copy. A checkpoint of the primary under a heavy load (other databases'
    bulk loads) has been seen to end the copy's WAL stream: each such failure is tried again.
    """
    args = [
        str(PG_BIN / "pg_basebackup"),
        *("-h", str(primary.host), "-p", str(primary.port or 5432), "-U", "postgres"),
        *("-D", str(data_dir), "-R", "-X", "stream"),
        *("--checkpoint=fast", "--no-sync", "--no-manifest"),
    ]
    failures = []
    for _ in range(attempts):
        try:
            _run(_as_postgres(args))
            return
        except RuntimeError as error:  # pg_basebackup empties data_dir when it fails
            failures.append(str(error))
    raise RuntimeError("\n".join(failures))


def _write_configuration(primary: URL, data_dir: Path) -> None:
    """The standby's own configuration (Debian keeps the primary's outside its data dir)."""
    with psycopg.connect(_plain(primary, "postgres"), autocommit=True) as connection:
        matched = {name: _show(connection, name) for name in MATCHED_SETTINGS}
    settings = {
        **matched,
        "hot_standby": "on",
        "shared_buffers": "'32MB'",
        "fsync": "off",  # a throwaway copy: nothing to keep after a crash
        "logging_collector": "off",
    }
    (data_dir / "postgresql.conf").write_text(
        "".join(f"{name} = {value}\n" for name, value in settings.items())
    )
    (data_dir / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (data_dir / "pg_ident.conf").write_text("")
    if os.geteuid() == 0:
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(data_dir / name, "postgres", "postgres")
