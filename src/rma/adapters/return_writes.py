"""A return that moved, written by the driver before the ORM's flush.

Every step of a return's life changes the same things: some columns of the return (its
status, its times), some columns of its items, and a new entry or two in its history. The
ORM's flush of that (a versioned ``UPDATE`` of the return, one of its items, the history
``INSERT``) was a third of an authorization's CPU in the API process, its unit of work more
than the statements. Here the same statements go by the driver (``driver_rows``), on
PostgreSQL chained in one (``_move_at_once``): the return's ``UPDATE`` checks and moves its
version as the ORM's does, the trail is told of each row as the flush would have told it,
and the objects are then held as loaded, so the flush that follows finds nothing of theirs
to do.

It runs at the start of every flush of a unit of work's session (``watch``), the autoflush
before a query included. Any other change (an item added or removed, a history entry
changed) leaves that return to the ORM's flush, whole.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, event, func, insert, inspect, literal, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.orm.base import PASSIVE_NO_INITIALIZE
from sqlalchemy.orm.exc import StaleDataError

from rma.adapters import audit_log, flush_inserts, orm
from rma.adapters.driver_rows import Before, DriverInsert, DriverStatement, DriverUpdate
from rma.domain.returns import HistoryEntry, Return, ReturnItem


@dataclass
class _Move:
    """What changed on one return: the changed columns of each row, and its new entries."""

    ret: Return
    columns: dict[str, Any]
    items: list[tuple[ReturnItem, dict[str, Any]]] = field(default_factory=list)
    entries: list[HistoryEntry] = field(default_factory=list)


_session_kinds: weakref.WeakSet[type[Session]] = weakref.WeakSet()


def watch(session: Session) -> None:
    """Write moved returns (and new rows ``flush_inserts`` inserts) at the start of each of
    this session's flushes, autoflush too."""
    kind = type(session)  # one listener per session factory, as the audit trail's
    if kind not in _session_kinds:
        _session_kinds.add(kind)
        event.listen(kind, "before_flush", _before_flush)


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    write_moved_returns(session)
    flush_inserts.write_new_rows(session)  # a resolution's refund


def write_moved_returns(session: Session) -> None:
    """Write each changed return whose change is a move; leave the rest to the flush."""
    moves = _moves(session)
    if moves:
        connection = session.connection()
        for move in moves:
            _write(session, connection, move)


def _moves(session: Session) -> list[_Move]:
    """The session's changed returns whose change is a move."""
    state = _SessionState(session.new, session.dirty, session.deleted)
    return [move for obj in state.dirty if (move := _move_of(state, obj)) is not None]


@dataclass(frozen=True)
class _SessionState:
    """The session's pending, changed and deleted objects, read once (each is a walk)."""

    new: Any
    dirty: Any
    deleted: Any


def _move_of(session: _SessionState, obj: object) -> _Move | None:
    if not isinstance(obj, Return):
        return None
    columns = _changed_columns(obj)
    items = get_history(obj, "items")
    history = get_history(obj, "history")
    if not columns or items.added or items.deleted or history.deleted:
        return None
    move = _Move(obj, columns)
    for item in obj.items:
        if item in session.deleted:
            return None
        if item in session.dirty and (changed := _changed_columns(item)):
            move.items.append((item, changed))
    if any(entry in session.dirty for entry in history.unchanged):
        return None
    for entry in history.added:
        if entry not in session.new:
            return None
        move.entries.append(entry)
    return move


def _changed_columns(obj: object) -> dict[str, Any]:
    """The columns set to a new value since the object was loaded, by column name."""
    state = inspect(obj)
    columns = audit_log.column_names(state.mapper)
    changed = {}
    for key in state.committed_state:
        if key not in columns:
            continue
        history = get_history(obj, key, PASSIVE_NO_INITIALIZE)
        if history.added and history.added[0] != (history.deleted or [None])[0]:
            changed[columns[key]] = history.added[0]
    return changed


def _write(session: Session, connection: Connection, move: _Move) -> None:
    ret = move.ret
    owner = {"seller_id": ret.seller_id, "return_id": ret.id}
    if connection.dialect.name == "postgresql" and len(move.entries) <= 1:
        statement, params = _move_at_once(move, owner)
        with stale_as_the_orm_says(ret):
            _moved, pk = statement.first(connection, params)
        pks = [pk] if move.entries else []
    else:
        pks = _INSERT_HISTORY.objects(session, move.entries, owner, audited=False)
        where = {"seller_id": ret.seller_id, "id": ret.id, "version": ret.version}
        moved = _RETURNS.rowcount(session, {**move.columns, "version": ret.version + 1}, where)
        for item, columns in move.items:
            _ITEMS.rowcount(session, columns, {"seller_id": ret.seller_id, "id": item.id})
        if moved != 1:
            raise StaleDataError(f"return {ret.id} changed since it was read")
    _note_and_hold(session, connection, move, owner)
    keyed(move.entries, pks)
    _held_as_written(session, move.entries)


def ride(session: Session) -> list[Before]:
    """The moves of the session's changed returns, ready to send but not sent: the commit
    sends them ahead of its outbox statement and ``COMMIT``, in the same round trip.

    PostgreSQL only, where a move's statement fails if its return changed since it was read
    (``stale_as_the_orm_says`` knows the failure). The session holds each return and its items as
    written from now on, so its flush leaves them be; each new history entry leaves the
    session (its flush would insert it) and gets its key when the move answers.
    """
    if session.get_bind().dialect.name != "postgresql":
        return []
    moves = _moves(session)
    if not moves:
        return []
    connection = session.connection()
    riding = []
    for move in moves:
        if len(move.entries) > 1:  # one statement holds one entry: written as the flush would
            _write(session, connection, move)
            continue
        ret = move.ret
        owner = {"seller_id": ret.seller_id, "return_id": ret.id}
        statement, params = _move_at_once(move, owner)
        _note_and_hold(session, connection, move, owner)
        for entry in move.entries:
            session.expunge(entry)
        riding.append(Before(statement, params, _KeyOf(move.entries)))
    return riding


@dataclass(frozen=True)
class _KeyOf:
    """Sets a move's new history entry's key from the move's answer."""

    entries: list[HistoryEntry]

    def __call__(self, answer: Any) -> None:
        keyed(self.entries, [answer[1]] if self.entries else [])


def keyed(entries: Sequence[HistoryEntry], pks: Sequence[int]) -> None:
    """History entries given the keys the database gave their rows (as the ORM's flush
    would set them)."""
    for entry, pk in zip(entries, pks, strict=True):
        entry.__dict__["pk"] = pk  # mapped, not declared


@contextmanager
def stale_as_the_orm_says(ret: Return | None = None) -> Iterator[None]:
    """A move's failure because its return changed since it was read (``rma_one_moved``),
    raised as the ORM's flush raises it."""
    try:
        yield
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) == _STALE:
            named = f"return {ret.id}" if ret is not None else "a return"
            raise StaleDataError(f"{named} changed since it was read") from error
        raise


def _note_and_hold(
    session: Session, connection: Connection, move: _Move, owner: dict[str, Any]
) -> None:
    """The trail told of a move as the flush would tell it, and its return and items held
    by the session as written.

    A history entry's key is the database's and its own business: the trail records the
    entry by its return, as it records those of a new return (``SqlReturns.add``).
    """
    ret = move.ret
    updates = [audit_log.change_of(ret, "update")]
    updates += [audit_log.change_of(item, "update") for item, _columns in move.items]
    for entry in move.entries:
        entry.__dict__.update(owner)  # the keys the ORM's flush would have set
    inserts = [audit_log.change_of(entry, "insert") for entry in move.entries]
    # The trail in the flush's order: new rows first, then the changed ones.
    audit_log.changed(connection, [c for c in (*inserts, *updates) if c is not None])
    ret.__dict__["version"] = ret.version + 1
    _held_as_written(session, (ret, *(item for item, _columns in move.items)))


def _held_as_written(session: Session, written: Iterable[object]) -> None:
    """The rows written held by the session as its flush holds the rows it wrote.

    ``Session._register_persistent`` is what the flush ends with: each object's values
    become its loaded ones, a new entry gets its identity, and a rollback expires them all
    (taking them out of the session and putting them back cost 5% of an authorization).
    """
    states = {inspect(obj) for obj in written}
    if states:
        session._register_persistent(states)


def _move_at_once(move: _Move, owner: dict[str, Any]) -> tuple[DriverStatement, dict[str, Any]]:
    """PostgreSQL: the return's, its items' and its entry's writes in one statement.

    Chained in a ``WITH``, the four statements of an authorization are one round trip:
    psycopg's work and PostgreSQL's wake-up per statement were a tenth of the write. It
    fails if it moved no return (its version changed since it was read: ``rma_one_moved``,
    migration 0021) and answers the entry's key.
    """
    ret = move.ret
    shape = (tuple(move.columns), tuple(tuple(c) for _, c in move.items), len(move.entries))
    statement = _AT_ONCE.get(shape) or _move_statement(*shape)
    params: dict[str, Any] = {f"r_{name}": value for name, value in move.columns.items()}
    params |= {"r_seller_id": ret.seller_id, "r_id": ret.id, "r_version": ret.version}
    params["r_new_version"] = ret.version + 1
    for index, (item, columns) in enumerate(move.items):
        params |= {f"i{index}_{name}": value for name, value in columns.items()}
        params |= {f"i{index}_seller_id": ret.seller_id, f"i{index}_id": item.id}
    for entry in move.entries:
        params |= {f"h_{name}": getattr(entry, name) for name in _ENTRY_COLUMNS}
        params |= {f"h_{name}": value for name, value in owner.items()}
    return statement, params


def _move_statement(
    columns: tuple[str, ...], items: tuple[tuple[str, ...], ...], entries: int
) -> DriverStatement:
    r, i, h = orm.returns.c, orm.return_items.c, orm.return_history.c
    values: dict[str, Any] = {name: bindparam(f"r_{name}") for name in columns}
    moved = (
        update(orm.returns)
        .where(r.seller_id == bindparam("r_seller_id"), r.id == bindparam("r_id"))
        .where(r.version == bindparam("r_version"))
        .values({**values, "version": bindparam("r_new_version")})
        .returning(r.id)
        .cte("moved")
    )
    writes = []
    for index, names in enumerate(items):
        found = (i.seller_id == bindparam(f"i{index}_seller_id"), i.id == bindparam(f"i{index}_id"))
        changed: dict[str, Any] = {name: bindparam(f"i{index}_{name}") for name in names}
        writes.append(update(orm.return_items).where(*found).values(changed).cte(f"item_{index}"))
    entry: Any = literal(None)
    if entries:
        names = (*_ENTRY_COLUMNS, "seller_id", "return_id")
        added = insert(orm.return_history).values({n: bindparam(f"h_{n}") for n in names})
        written = added.returning(h.pk).cte("entry")
        entry = select(written.c.pk).scalar_subquery()
    counted = select(func.count()).select_from(moved).scalar_subquery()
    query = select(func.rma_one_moved(counted), entry)
    for write in writes:
        query = query.add_cte(write)
    _AT_ONCE[(columns, items, entries)] = DriverStatement(query)
    return _AT_ONCE[(columns, items, entries)]


# Whatever an entry holds but its keys (``pk``, and the return's it belongs to).
_ENTRY_COLUMNS = tuple(
    c.name for c in orm.return_history.c if c.name not in ("pk", "seller_id", "return_id")
)
_AT_ONCE: dict[Any, DriverStatement] = {}  # by which columns of what change
_STALE = "RMA01"  # rma_one_moved's SQLSTATE: the return moved no more

_RETURNS = DriverUpdate(orm.returns, where=("seller_id", "id", "version"))
_ITEMS = DriverUpdate(orm.return_items, where=("seller_id", "id"))
_INSERT_HISTORY = DriverInsert(orm.return_history, returning=orm.return_history.c.pk)
