"""The audit trail in the database: changes captured at flush, written at commit, sealed later.

``watch(session)`` listens to the session's flushes and keeps, per row, what its columns were
and became; ``write(session, actor)`` turns that into one entry per changed row in the same
transaction. Every mapped table is audited unless it is listed in ``NOT_AUDITED`` (delivery
bookkeeping, sessions, the trail itself), so tables added later are audited without a word.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table, event, inspect
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.orm.base import NO_VALUE, PASSIVE_NO_INITIALIZE

from rma.adapters.orm import mapper_registry
from rma.domain.audit import CHANGED, Change, entry_body, is_secret, plain
from rma.domain.ids import new_id
from rma.services.clock import utcnow

# Operational rows that record deliveries, sign-ins and replays, not decisions people make.
NOT_AUDITED = frozenset(
    {
        "outbox",
        "idempotency_keys",
        "used_action_tokens",
        "customer_sessions",
        "staff_sessions",
        "email_messages",
        "webhook_deliveries",
        "webhook_attempts",
        "amazon_access_tokens",
        "audit_entries",
        "audit_heads",
        "audit_checkpoints",
        "audit_holds",
    }
)
# Bookkeeping columns: a row's version, implied by its other changes, and the number the
# database gives a row of a busy table (``pk``), which the trail knows it by otherwise (a
# history entry by its return) and which a writer may not know before its commit.
_SKIPPED_COLUMNS = frozenset({"version", "pk"})
# Tables whose rows are facts about another row, only ever added: each row is an entry of its
# own (never merged with another of the same transaction), known by the row it is about. A
# return's history is read from the trail by the return's id.
FACTS_OF = {"return_history": "return_id"}
_PENDING = "rma_audit_pending"


_SINK = "rma_audit_sink"
_OWNER = "rma_audit_session"
_CONNECTIONS = "rma_audit_connections"
_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_session_kinds: weakref.WeakSet[type[Session]] = weakref.WeakSet()


def watch(session: Session) -> None:
    """Capture every change this session flushes, until ``write`` takes them.

    Rows a repository inserts with plain statements on the session's connection (a new
    return is three INSERTs, not an ORM flush) are captured too, by an engine listener that
    writes into the sink of the session that began the connection's transaction.
    """
    # Listening on the session's class (one per session factory) costs nothing per session;
    # listening on each session would cost more than the rest of the audit trail.
    kind = type(session)
    if kind not in _session_kinds:
        _session_kinds.add(kind)
        event.listen(kind, "after_flush", _collect)
        event.listen(kind, "after_begin", _lend_sink)
        event.listen(kind, "after_rollback", _forget)
        event.listen(kind, "after_transaction_end", _end_lending)
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine not in _engines:
        _engines.add(engine)
        event.listen(engine, "after_execute", _statement_executed)


def entries(session: Session, actor: tuple[str, str]) -> list[dict[str, Any]]:
    """The rows of ``audit_entries`` for every row changed since the last call, to insert.

    One entry per changed row; the caller inserts them in the transaction of the change (the
    unit of work sends them with its outbox rows).
    """
    pending = _pending(session)
    changes = list(pending.values())
    pending.clear()
    if not changes:
        return []
    now = utcnow()
    # Sorted: ids made in one millisecond differ in random bits only (see ``_write_outbox``).
    ids = sorted(new_id("aud") for _ in changes)
    return [
        {
            "id": entry_id,
            "seller_id": change.seller_id,
            "entity": change.entity,
            "entity_id": change.entity_id,
            "action": change.action,
            "actor": actor[0],
            "occurred_at": now,
            "body": entry_body(entry_id, change, actor, now),
        }
        for entry_id, change in zip(ids, changes, strict=True)
    ]


def _pending(session: Session) -> dict[tuple[str, ...], Change]:
    pending: dict[tuple[str, ...], Change] = session.info.setdefault(_PENDING, {})
    return pending


def _lend_sink(session: Session, _transaction: object, connection: Connection) -> None:
    lent = connection.info  # the pooled connection's, which outlives this Connection
    lent[_SINK] = _pending(session)
    lent[_OWNER] = session
    session.info.setdefault(_CONNECTIONS, []).append(lent)


def _end_lending(session: Session, transaction: Any) -> None:
    """Once its transaction ends (committed, rolled back, or a read closed), the session
    lends its connections nothing more: a pooled connection would otherwise hold the
    session, its objects too, until its next use."""
    if transaction.parent is None:
        for lent in session.info.pop(_CONNECTIONS, []):
            lent.pop(_SINK, None)
            lent.pop(_OWNER, None)


def _forget(session: Session) -> None:
    _pending(session).clear()


def _collect(session: Session, _context: object) -> None:
    pending = _pending(session)
    found = [
        *(change_of(obj, "insert") for obj in session.new),
        *(change_of(obj, "update") for obj in session.dirty),
        *(change_of(obj, "delete") for obj in session.deleted),
    ]
    for change in found:
        if change is not None:
            _note(pending, change)


def changed(connection: Connection, changes: Iterable[Change]) -> None:
    """Note changes a writer made with statements the session does not track (bulk work)."""
    sink = connection.info.get(_SINK)
    if sink is not None:
        for change in changes:
            _note(sink, change)


def inserted(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Note rows a statement the listener cannot read inserted (``INSERT ... SELECT``)."""
    sink = connection.info.get(_SINK)
    if sink is not None:
        for row in rows:
            _note_inserted(sink, table, row)


def _note(pending: dict[tuple[str, ...], Change], change: Change) -> None:
    if change.entity in FACTS_OF:
        pending[(change.entity, change.entity_id, str(len(pending)))] = change
        return
    key = (change.entity, change.entity_id)
    earlier = pending.pop(key, None)
    merged = change if earlier is None else earlier.merged(change)
    if merged is not None:
        pending[key] = merged


def _statement_executed(
    connection: Connection,
    statement: Any,
    multiparams: Any,
    params: Any,
    _options: Any,
    _result: Any,
) -> None:
    sink = connection.info.get(_SINK)
    # An INSERT ... SELECT carries no rows to read: its writer notes them (``inserted``). The
    # session's own flush is read from its objects (``_collect``), keys and all.
    if sink is None or not isinstance(statement, Insert) or statement.select is not None:
        return
    if getattr(connection.info.get(_OWNER), "_flushing", False):
        return
    table = statement.table
    if not isinstance(table, Table):
        return
    rows = multiparams if isinstance(multiparams, list | tuple) else [multiparams]
    rows = [row for row in rows if isinstance(row, Mapping)] or ([params] if params else [])
    for row in rows:
        _note_inserted(sink, table, row)


def _note_inserted(
    pending: dict[tuple[str, ...], Change], table: Table, row: Mapping[str, Any]
) -> None:
    name = table.name
    if name in NOT_AUDITED:
        return
    after = {str(k): _shown(str(k), v) for k, v in row.items()}
    if name in FACTS_OF:
        ident = str(row[FACTS_OF[name]])
    else:
        keys = _identity(table)
        ident = ":".join(str(row[k]) for k in keys if k in row) or str(row.get("return_id", ""))
    seller = str(row.get("seller_id") or (row.get("id") if name == "sellers" else "") or "")
    _note(pending, Change(seller, name, ident, "insert", {}, after))


@cache
def _identity(table: Table) -> list[str]:
    """The columns naming a row as its mapped class does (a key may add seller_id to them)."""
    for mapper in mapper_registry.mappers:
        if mapper.local_table is table:
            return [column.name for column in mapper.primary_key]
    return [column.name for column in table.primary_key.columns]


@cache
def column_names(mapper: Mapper[Any]) -> dict[str, str]:
    """A mapped class's column attributes and the columns they are, made once a class."""
    return {prop.key: prop.columns[0].name for prop in mapper.column_attrs}


def change_of(obj: Any, action: str) -> Change | None:
    """What the trail records of ``obj``'s row for ``action``, from the session's view of it.

    The flush's capture, and that of a writer that writes a tracked object's row itself
    (``return_writes``), before it tells the session the object is saved.
    """
    state = inspect(obj)
    mapper: Mapper[Any] = state.mapper
    entity = getattr(mapper.local_table, "name", "")
    if entity in NOT_AUDITED:
        return None
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    columns = column_names(mapper)
    keys: Iterable[str] = columns
    if action == "update":  # only what was set since the load: a return has thirty columns
        keys = [key for key in state.committed_state if key in columns]
    for key in keys:
        name = columns[key]
        if name in _SKIPPED_COLUMNS:
            continue
        if action == "update":
            history = get_history(obj, key, PASSIVE_NO_INITIALIZE)
            if not (history.added or history.deleted):
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old == new:
                continue
            before[name], after[name] = _shown(name, old), _shown(name, new)
        else:
            value = state.dict.get(key, NO_VALUE)
            if value is not NO_VALUE:
                (after if action == "insert" else before)[name] = _shown(name, value)
    if action == "update" and not after:
        return None
    if entity in FACTS_OF:
        entity_id = str(getattr(obj, FACTS_OF[entity]))
    else:
        entity_id = ":".join(str(part) for part in mapper.primary_key_from_instance(obj))
    return Change(_seller_of(obj, entity), entity, entity_id, action, before, after)


def _shown(column: str, value: Any) -> Any:
    if is_secret(column):
        return CHANGED if value not in (None, "") else None
    return plain(value)


def _seller_of(obj: Any, entity: str) -> str:
    if entity == "sellers":
        return str(obj.id)
    seller_id = getattr(obj, "seller_id", None)
    return str(seller_id) if seller_id else ""
