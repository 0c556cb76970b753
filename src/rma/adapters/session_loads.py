"""Returns and orders read by the driver and put in the session as if the ORM had loaded them.

A return that moves, and its order, are read on every step of its life. The ORM's load of
them (one statement for a return with its items and history joined, four for an order with
its lines and shipments) spent most of its CPU handling rows, not in the database: an eighth
of an authorization in the API process. Here they are prepared statements (``driver_rows``):
one for a return with its items and history (``WholeReturn``), one a table for an order.
The objects are made from the rows as the ORM's loader makes them, and they enter the
session's identity map as loaded objects with their collections. From there the session
tracks them: a change is a versioned ``UPDATE`` at flush, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def return_found(session: Session, whole: WholeReturn, params: Mapping[str, Any]) -> Return | None:
    """The return ``whole`` finds, with its items and history, tracked: one statement."""
    _flush_first(session)
    rows = whole.query.all(session, params)
    if not rows:
        return None
    values = [whole.split(row) for row in rows]
    ret = values[0][1]
    items = [part for kind, part in values if kind == _ITEM]
    history = [part for kind, part in values if kind == _ENTRY]
    return _tracked_return(session, ret, items, history)


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
    """The order, with its lines and its shipments and their items, tracked."""
    _flush_first(session)
    params = {"seller_id": seller_id, "order_id": order_id}
    row = _ORDER_BY_ID.first(session, params)
    if row is None:
        return None
    known = session.identity_map.get(identity_key(Order, row.id))
    if known is not None:
        return known
    order = instance_of(Order, row._asdict())
    shipments = [instance_of(Shipment, r._asdict()) for r in _SHIPMENTS_OF.all(session, params)]
    items: dict[str, list[ShipmentItem]] = {shipment.id: [] for shipment in shipments}
    for r in _SHIPMENT_ITEMS_OF.all(session, params):
        items[r.shipment_id].append(instance_of(ShipmentItem, r._asdict()))
    lines = [instance_of(OrderLine, r._asdict()) for r in _LINES_OF.all(session, params)]
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


def _of_order(table: Table, *order: Any) -> DriverQuery:
    c = table.c
    owned = and_(c.seller_id == bindparam("seller_id"), c.order_id == bindparam("order_id"))
    return DriverQuery(select(table).where(owned).order_by(*order))


_RETURN, _ITEM, _ENTRY = 0, 1, 2  # what a row of a ``WholeReturn`` holds
_TABLES = ((orm.returns, "r"), (orm.return_items, "i"), (orm.return_history, "h"))


class WholeReturn:
    """A return, its items and its history read by one statement.

    Three statements were three round trips, each a wake-up of the API's thread and of the
    database's backend: 30 to 60 us of CPU in the API alone, more than its Python. Here one
    ``UNION ALL`` answers a row for the return, then one an item, then one an entry, each in
    the columns of its own table (the others' typed NULLs), so every value is converted as
    the table's own read converts it.
    """

    def __init__(self, found: Any, return_id: Any) -> None:
        r = orm.returns.c
        owned = (orm.return_items, orm.return_items.c), (orm.return_history, orm.return_history.c)
        parts = [self._part(_RETURN, orm.returns, r.seller_id == bindparam("seller_id"), found)]
        for kind, (table, c) in enumerate(owned, start=_ITEM):
            mine = and_(c.seller_id == bindparam("seller_id"), c.return_id == return_id)
            parts.append(self._part(kind, table, mine))
        whole = union_all(*parts)
        order = whole.selected_columns
        self.query = DriverQuery(whole.order_by(order.kind, order.i_id, order.h_pk))
        self._slices = []
        start = 1
        for table, _prefix in _TABLES:
            names = [c.name for c in table.c]
            self._slices.append((start, names))
            start += len(names)

    @staticmethod
    def _part(kind: int, table: Table, *where: Any) -> Any:
        columns: list[Any] = [literal_column(str(kind)).label("kind")]
        for other, prefix in _TABLES:
            for c in other.c:
                value = c if other is table else cast(null(), c.type)
                columns.append(value.label(f"{prefix}_{c.name}"))
        return select(*columns).where(*where)

    def split(self, row: Any) -> tuple[int, dict[str, Any]]:
        """What the row is (the return, an item, an entry), and its table's values."""
        kind = int(row[0])
        start, names = self._slices[kind]
        return kind, dict(zip(names, row[start : start + len(names)], strict=True))


_r = orm.returns.c
RETURN_BY_ID = WholeReturn(_r.id == bindparam("id"), bindparam("id"))
RETURN_BY_RMA_NUMBER = WholeReturn(
    _r.rma_number == bindparam("rma_number"),
    select(_r.id)
    .where(_r.seller_id == bindparam("seller_id"), _r.rma_number == bindparam("rma_number"))
    .scalar_subquery(),
)
RETURNS_OF_ORDER = DriverQuery(
    select(orm.returns).where(
        _r.seller_id == bindparam("seller_id"), _r.order_id == bindparam("order_id")
    )
)
_ORDER_BY_ID = DriverQuery(
    select(orm.orders).where(
        orm.orders.c.seller_id == bindparam("seller_id"), orm.orders.c.id == bindparam("order_id")
    )
)
_ITEMS_OF = _of_return(orm.return_items, orm.return_items.c.id)
_HISTORY_OF = _of_return(orm.return_history, orm.return_history.c.pk)
_LINES_OF = _of_order(orm.order_lines, orm.order_lines.c.pk)
_SHIPMENTS_OF = _of_order(orm.shipments, orm.shipments.c.shipped_at, orm.shipments.c.id)
_s, _i = orm.shipments.c, orm.shipment_items.c
_SHIPMENT_ITEMS_OF = DriverQuery(
    select(orm.shipment_items)
    .join(orm.shipments, and_(_s.seller_id == _i.seller_id, _s.id == _i.shipment_id))
    .where(_s.seller_id == bindparam("seller_id"), _s.order_id == bindparam("order_id"))
    .order_by(_i.pk)
)
