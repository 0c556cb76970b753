"""Sealing and reading the audit chains: the store behind ``rma.services.audit``.

The sealer locks one seller's head row, takes that seller's unsealed entries in id order,
chains them after the head and moves the head: only sealers wait on the head, never the
requests that write entries, and an entry is sealed once its transaction has committed (the
order the sealer sees them in is the order they committed in).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rma.adapters.orm import return_history, returns
from rma.adapters.orm_trust import audit_checkpoints, audit_entries, audit_heads, audit_holds
from rma.domain.audit import (
    GENESIS,
    HISTORY_FIELDS,
    HistoryFact,
    HistoryRow,
    LiveRow,
    RowFact,
    SealedRow,
    chain_hash,
    plain,
)
from rma.domain.ids import new_id

# Its entries are known by the return they are about (``audit_log.FACTS_OF``).
HISTORY = return_history.name
# The table whose rows verification holds to what their entries say.
HELD = returns.name


@dataclass(frozen=True)
class Checkpoint:
    seller_id: str
    seq: int
    hash: str
    signed_at: datetime
    key_id: str
    signature: str


@dataclass(frozen=True)
class EntryFilter:
    seller_id: str
    entity: str | None = None
    entity_id: str | None = None
    action: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_id: str | None = None  # the cursor: entries after this one
    limit: int = 50


class SqlAuditChains:
    """Audit entries, chain heads and checkpoints, read and sealed over one engine."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def sellers_to_seal(self) -> list[str]:
        query = select(audit_entries.c.seller_id).where(audit_entries.c.seq.is_(None)).distinct()
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

    def sellers(self) -> list[str]:
        with self.engine.connect() as connection:
            found = set(connection.scalars(select(audit_heads.c.seller_id)))
            found |= set(connection.scalars(select(audit_entries.c.seller_id).distinct()))
        return sorted(found)

    def seal(self, seller_id: str, batch: int, sign: Any, now: datetime) -> int:
        """Chain up to ``batch`` unsealed entries of a seller; sign the new head."""
        with self.engine.begin() as connection:
            make_head = (pg_insert if connection.dialect.name == "postgresql" else sqlite_insert)(
                audit_heads
            ).values(seller_id=seller_id, seq=0, hash=GENESIS, sealed_at=now)
            connection.execute(make_head.on_conflict_do_nothing())
            head = connection.execute(
                select(audit_heads.c.seq, audit_heads.c.hash)
                .where(audit_heads.c.seller_id == seller_id)
                .with_for_update()
            ).one()
            seq, previous = int(head.seq), str(head.hash)
            rows = connection.execute(
                select(audit_entries.c.id, audit_entries.c.body)
                .where(audit_entries.c.seller_id == seller_id, audit_entries.c.seq.is_(None))
                .order_by(audit_entries.c.id)
                .limit(batch)
            ).all()
            if not rows:
                return 0
            sealed = []
            for entry_id, body in rows:
                seq += 1
                digest = chain_hash(previous, seq, seller_id, body)
                sealed.append(
                    {
                        "b_id": entry_id,
                        "b_seq": seq,
                        "b_prev": previous,
                        "b_hash": digest,
                    }
                )
                previous = digest
            connection.execute(
                update(audit_entries)
                .where(audit_entries.c.id == bindparam("b_id"))
                .values(
                    seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash")
                ),
                sealed,
            )
            connection.execute(
                update(audit_heads)
                .where(audit_heads.c.seller_id == seller_id)
                .values(seq=seq, hash=previous, sealed_at=now)
            )
            key_id, signature = sign(seller_id, seq, previous, now)
            connection.execute(
                insert(audit_checkpoints).values(
                    id=new_id("ckp"),
                    seller_id=seller_id,
                    seq=seq,
                    hash=previous,
                    signed_at=now,
                    key_id=key_id,
                    signature=signature,
                )
            )
            return len(rows)

    def head_seq(self, seller_id: str) -> int | None:
        with self.engine.connect() as connection:
            return connection.scalar(
                select(audit_heads.c.seq).where(audit_heads.c.seller_id == seller_id)
            )

    def unsealed(self, seller_id: str) -> int:
        with self.engine.connect() as connection:
            count = connection.scalar(
                select(func.count())
                .select_from(audit_entries)
                .where(audit_entries.c.seller_id == seller_id, audit_entries.c.seq.is_(None))
            )
        return int(count or 0)

    def sealed_rows(self, seller_id: str) -> Iterator[SealedRow]:
        """A seller's sealed entries in chain order, streamed as plain tuples.

        Read through the driver's own cursor (server-side on PostgreSQL): verification walks
        the whole trail, and result rows of the ORM layer would cost more than the hashing.
        """
        query = (
            "SELECT id, seq, prev_hash, hash, body FROM audit_entries"
            " WHERE seller_id = {p} AND seq IS NOT NULL ORDER BY seq, id"
        )
        with self.engine.connect() as connection:
            raw: Any = connection.connection.dbapi_connection
            if connection.dialect.name == "postgresql":
                cursor = raw.cursor(name=f"audit_{seller_id or 'platform'}")
                cursor.itersize = 20_000
                cursor.execute(query.format(p="%s"), (seller_id,))
            else:
                cursor = raw.cursor()
                cursor.arraysize = 20_000
                cursor.execute(query.format(p="?"), (seller_id,))
            try:
                while batch := cursor.fetchmany(20_000):
                    yield from batch
            finally:
                cursor.close()

    @contextmanager
    def history(
        self, seller_id: str
    ) -> Iterator[tuple[Iterator[HistoryRow], Iterator[HistoryFact]]]:
        """A seller's return history rows, and the entries they were written with, both by
        return and streamed over one connection (SQLite allows one transaction at a time)."""
        h = return_history.c
        fields = [h[name] for name in HISTORY_FIELDS]
        rows = (
            select(h.return_id, h.pk, h.at, *fields)
            .where(h.seller_id == seller_id)
            .order_by(_bytewise(h.return_id, self.engine), h.at, h.pk)
        )
        facts = self._entries_about(seller_id, HISTORY, audit_entries.c.action == "insert")
        with self.engine.connect() as connection:
            streamed = connection.execution_options(yield_per=20_000)
            yield (
                (
                    (r[0], int(r[1]), r[2], dict(zip(HISTORY_FIELDS, r[3:], strict=True)))
                    for r in streamed.execute(rows)
                ),
                ((f[0], f[1], f[2]) for f in streamed.execute(facts)),
            )

    @contextmanager
    def held(self, seller_id: str) -> Iterator[tuple[Iterator[LiveRow], Iterator[RowFact]]]:
        """A seller's returns with every column as the trail writes it, and the entries about
        them, both by return (entries in the order they were made), over one connection."""
        r = returns
        # The version is bookkeeping the trail leaves out of updates (``audit_log``).
        shown = [column for column in r.c if column.name != "version"]
        rows = (
            select(*shown)
            .where(r.c.seller_id == seller_id)
            .order_by(_bytewise(r.c.id, self.engine))
        )
        facts = self._entries_about(seller_id, HELD)
        with self.engine.connect() as connection:
            streamed = connection.execution_options(yield_per=5_000)
            yield (
                (
                    (row.id, row.created_at, {str(k): plain(v) for k, v in row._mapping.items()})
                    for row in streamed.execute(rows)
                ),
                ((f[0], f[1], f[2]) for f in streamed.execute(facts)),
            )

    def _entries_about(self, seller_id: str, entity: str, *more: Any) -> Select[Any]:
        """(entity id, id, body) of a seller's entries about ``entity``, by row, in order."""
        e = audit_entries.c
        return (
            select(e.entity_id, e.id, e.body)
            .where(e.seller_id == seller_id, e.entity == entity, *more)
            .order_by(_bytewise(e.entity_id, self.engine), e.id)
        )

    def rows_held_since(self) -> datetime | None:
        query = select(audit_holds.c.since).where(audit_holds.c.what == "rows")
        with self.engine.connect() as connection:
            since: datetime | None = connection.scalar(query)
        return since

    def first_entry_at(self, seller_id: str) -> datetime | None:
        query = select(func.min(audit_entries.c.occurred_at)).where(
            audit_entries.c.seller_id == seller_id
        )
        with self.engine.connect() as connection:
            began: datetime | None = connection.scalar(query)
        return began

    def checkpoints(self, seller_id: str) -> list[Checkpoint]:
        query = (
            select(audit_checkpoints)
            .where(audit_checkpoints.c.seller_id == seller_id)
            .order_by(audit_checkpoints.c.seq)
        )
        with self.engine.connect() as connection:
            return [
                Checkpoint(r.seller_id, int(r.seq), r.hash, r.signed_at, r.key_id, r.signature)
                for r in connection.execute(query)
            ]

    def entries(self, wanted: EntryFilter) -> Sequence[Any]:
        """Entries of one seller, newest first, that match the filter."""
        table = audit_entries
        conditions = [table.c.seller_id == wanted.seller_id]
        for column, value in (
            (table.c.entity, wanted.entity),
            (table.c.entity_id, wanted.entity_id),
            (table.c.action, wanted.action),
            (table.c.actor, wanted.actor),
        ):
            if value is not None:
                conditions.append(column == value)
        if wanted.since is not None:
            conditions.append(table.c.occurred_at >= wanted.since)
        if wanted.until is not None:
            conditions.append(table.c.occurred_at < wanted.until)
        if wanted.after_id is not None:
            conditions.append(table.c.id < wanted.after_id)
        query = select(table).where(*conditions).order_by(table.c.id.desc()).limit(wanted.limit)
        with self.engine.connect() as connection:
            return connection.execute(query).all()


def _bytewise(column: Any, engine: Engine) -> Any:
    """Sorted by bytes, as Python compares the ids (a database's locale may not)."""
    return column.collate("C") if engine.dialect.name == "postgresql" else column
