"""Returns and orders read by the driver and put in the session as if the ORM had loaded them.

A return that moves, and its order, are read on every step of its life. The ORM's load of
them (one statement for a return with its items and history joined, four for an order with
its lines and shipments) spent most of its CPU handling rows, not in the database: an eighth
of an authorization in the API process. Here each is one prepared statement (``driver_rows``,
``RowsAtOnce``): a return with its items and history, an order with its lines, shipments and
their items. The objects are made from the rows as the ORM's loader makes them, and they
enter the session's identity map as loaded objects with their collections. From there the
session tracks them: a change is a versioned ``UPDATE`` at flush, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, bindparam, cast, literal_column, null, select, union_all
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.util import identity_key

from rma.adapters import orm
from rma.adapters.driver_rows import DriverQuery
from rma.adapters.return_pages import instance_of
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.returns import HistoryEntry, Return, ReturnItem

Collections = list[tuple[object, str, list[Any]]]  # (owner, its collection, the children)


def return_found(session: Session, whole: RowsAtOnce, params: Mapping[str, Any]) -> Return | None:
    """The return ``whole`` finds, with its items and history, tracked: one statement."""
    _flush_first(session)
    found, items, history = whole.read(session, params)
    return _tracked_return(session, found[0], items, history) if found else None


def returns_found(session: Session, query: DriverQuery, params: Mapping[str, Any]) -> list[Return]:
    """Every return ``query`` finds, each with its items and history, tracked."""
    _flush_first(session)
    found = []
    for row in query.all(session, params):
        owner = {"seller_id": row.seller_id, "return_id": row.id}
        items = [r._asdict() for r in _ITEMS_OF.all(session, owner)]
        history = [r._asdict() for r in _HISTORY_OF.all(session, owner)]
        found.append(_tracked_return(session, row._asdict(), items, history))
    return found


def order_found(session: Session, seller_id: str, order_id: str) -> Order | None:
    """The order, with its lines and its shipments and their items, tracked: one statement."""
    _flush_first(session)
    found, shipment_rows, item_rows, line_rows = _ORDER_WITH.read(
        session, {"seller_id": seller_id, "order_id": order_id}
    )
    if not found:
        return None
    known = session.identity_map.get(identity_key(Order, found[0]["id"]))
    if known is not None:
        return known
    order = instance_of(Order, found[0])
    shipments = [instance_of(Shipment, values) for values in shipment_rows]
    items: dict[str, list[ShipmentItem]] = {shipment.id: [] for shipment in shipments}
    for values in item_rows:
        items[values["shipment_id"]].append(instance_of(ShipmentItem, values))
    lines = [instance_of(OrderLine, values) for values in line_rows]
    collections: Collections = [(order, "lines", lines), (order, "shipments", shipments)]
    collections += [(shipment, "items", items[shipment.id]) for shipment in shipments]
    attach_as_loaded(session, order, collections)
    return order


def _flush_first(session: Session) -> None:
    # As the ORM's query would: changes not sent yet are read back.
    if session.autoflush:
        session.flush()


def _tracked_return(
    session: Session,
    row: dict[str, Any],
    item_rows: list[dict[str, Any]],
    entry_rows: list[dict[str, Any]],
) -> Return:
    known = session.identity_map.get(identity_key(Return, row["id"]))
    if known is not None:
        return known  # as the ORM's load: the session's own object, as it holds it
    ret = instance_of(Return, row)
    ret.__dict__["events"] = []  # not a column: what the ORM's load listener gives it
    items = [instance_of(ReturnItem, values) for values in item_rows]
    history = [instance_of(HistoryEntry, values) for values in entry_rows]
    attach_as_loaded(session, ret, [(ret, "items", items), (ret, "history", history)])
    return ret


def attach_as_loaded(session: Session, root: object, collections: Collections) -> None:
    """Each collection set as loaded (nothing to save), and every object entered in the
    session's identity map as the ORM's loader enters the objects it makes.

    Adding the root instead (each object made detached, then ``Session.add`` cascading to
    the children) cost a third of reading a return. An object whose identity the session
    already holds goes that way still, so ``Session.add`` judges it as before.
    """
    for owner, name, children in collections:
        set_committed_value(owner, name, children)
    objects = (root, *(child for _owner, _name, children in collections for child in children))
    states = [instance_state(obj) for obj in objects]
    keys = [state.mapper._identity_key_from_state(state) for state in states]
    identity_map = session.identity_map
    if any(key in identity_map for key in keys):
        for obj in objects:
            make_transient_to_detached(obj)
        session.add(root)
        return
    for state, key in zip(states, keys, strict=True):
        state.key, state.session_id = key, session.hash_key
        identity_map._add_unpresent(state, key)


def _of_return(table: Table, order: Any) -> DriverQuery:
    c = table.c
    owned = and_(c.seller_id == bindparam("seller_id"), c.return_id == bindparam("return_id"))
    return DriverQuery(select(table).where(owned).order_by(order))


@dataclass(frozen=True)
class Part:
    """The rows of one table a ``RowsAtOnce`` reads: from ``source`` (the table, or a join)."""

    table: Table
    where: tuple[Any, ...]
    source: Any = None


class RowsAtOnce:
    """Rows of a few tables read by one statement, each table's rows in its own list.

    A statement a table was a round trip a table, each a wake-up of the API's thread and of
    the database's backend: 30 to 60 us of CPU in the API alone under load, more than its
    Python. One ``UNION ALL`` answers each table's rows in turn, in the columns of its own
    table (the others' typed NULLs), so every value is converted as the table's own read
    converts it; ``order`` names the columns (``t<part>_<column>``) each table's rows come in.
    """

    def __init__(self, parts: Sequence[Part], order: Sequence[str]) -> None:
        self._tables = [part.table for part in parts]
        whole = union_all(*(self._select(kind, part) for kind, part in enumerate(parts)))
        columns = whole.selected_columns
        self.query = DriverQuery(whole.order_by(columns.kind, *(columns[o] for o in order)))
        self._slices, start = [], 1
        for table in self._tables:
            names = [c.name for c in table.c]
            self._slices.append((start, names))
            start += len(names)

    def _select(self, kind: int, part: Part) -> Any:
        columns: list[Any] = [literal_column(str(kind)).label("kind")]
        for index, table in enumerate(self._tables):
            for c in table.c:
                value = c if table is part.table else cast(null(), c.type)
                columns.append(value.label(f"t{index}_{c.name}"))
        chosen = select(*columns).where(*part.where)
        return chosen if part.source is None else chosen.select_from(part.source)

    def read(self, session: Session, params: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
        """Each table's rows, as its columns' values by name."""
        found: list[list[dict[str, Any]]] = [[] for _ in self._tables]
        for row in self.query.all(session, params):
            start, names = self._slices[row[0]]
            found[row[0]].append(dict(zip(names, row[start : start + len(names)], strict=True)))
        return found


def _return_with(found: Any, return_id: Any) -> RowsAtOnce:
    """A return (``found``), its items and its history."""
    seller: Any = bindparam("seller_id")
    r, i, h = orm.returns, orm.return_items, orm.return_history
    parts = [Part(r, (r.c.seller_id == seller, found))]
    parts += [Part(t, (t.c.seller_id == seller, t.c.return_id == return_id)) for t in (i, h)]
    return RowsAtOnce(parts, ["t1_id", "t2_pk"])


def _order_with() -> RowsAtOnce:
    """An order, its shipments, their items and its lines."""
    seller: Any = bindparam("seller_id")
    order_id: Any = bindparam("order_id")
    o, s, si, lines = orm.orders, orm.shipments, orm.shipment_items, orm.order_lines
    shipped = si.join(s, and_(s.c.seller_id == si.c.seller_id, s.c.id == si.c.shipment_id))
    return RowsAtOnce(
        [
            Part(o, (o.c.seller_id == seller, o.c.id == order_id)),
            Part(s, (s.c.seller_id == seller, s.c.order_id == order_id)),
            Part(si, (s.c.seller_id == seller, s.c.order_id == order_id), shipped),
            Part(lines, (lines.c.seller_id == seller, lines.c.order_id == order_id)),
        ],
        ["t1_shipped_at", "t1_id", "t2_pk", "t3_pk"],
    )


_r = orm.returns.c
RETURN_BY_ID = _return_with(_r.id == bindparam("id"), bindparam("id"))
RETURN_BY_RMA_NUMBER = _return_with(
    _r.rma_number == bindparam("rma_number"),
    select(_r.id)
    .where(_r.seller_id == bindparam("seller_id"), _r.rma_number == bindparam("rma_number"))
    .scalar_subquery(),
)
_ORDER_WITH = _order_with()
RETURNS_OF_ORDER = DriverQuery(
    select(orm.returns).where(
        _r.seller_id == bindparam("seller_id"), _r.order_id == bindparam("order_id")
    )
)
_ITEMS_OF = _of_return(orm.return_items, orm.return_items.c.id)
_HISTORY_OF = _of_return(orm.return_history, orm.return_history.c.pk)
