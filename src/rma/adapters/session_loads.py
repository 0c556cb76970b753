"""Returns and orders read by the driver and put in the session as if the ORM had loaded them.

A return that moves, and its order, are read on every step of its life. The ORM's load of
them (one statement for a return with its items and history joined, four for an order with
its lines and shipments) spent most of its CPU handling rows, not in the database: an eighth
of an authorization in the API process. Here each table is one prepared statement
(``driver_rows``), a return's or an order's sent together in one round trip
(``read_together``); the objects are made from the rows as the ORM's loader makes them, and
they enter the session's identity map as loaded objects with their collections. From there
the session tracks them: a change is a versioned ``UPDATE`` at flush, as before.

One statement for a return and its rows (a ``UNION ALL`` of the three tables, each in its
own columns, the others typed NULLs) was tried: the API spent 30 us less a read, but
PostgreSQL ran it 15-25% slower than the three statements (pgbench, prepared), so the
machine as a whole gained nothing and the database, the part hardest to add to, lost.
The pipeline saves the API as much and costs PostgreSQL nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Table, and_, bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.util import identity_key

from rma.adapters import orm
from rma.adapters.driver_rows import DriverQuery, keep_ahead, read_together
from rma.adapters.return_pages import instance_of
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.returns import HistoryEntry, Return, ReturnItem
from rma.domain.sellers import Seller

Collections = list[tuple[object, str, list[Any]]]  # (owner, its collection, the children)


def return_by_id(
    session: Session,
    seller_id: str,
    return_id: str,
    ahead: Sequence[tuple[DriverQuery, Mapping[str, Any]]] = (),
) -> Return | None:
    """The return, with its items and history, tracked: its three statements sent together,
    and its seller's settings with them (``seller_settings``), and the reads ``ahead``, whose
    rows are kept for their next ``all`` (``driver_rows.keep_ahead``)."""
    _flush_first(session)
    owner = {"seller_id": seller_id, "return_id": return_id}
    reads = [(RETURN_BY_ID, {"seller_id": seller_id, "id": return_id}), *_children(owner)]
    found, items, history, *asked = with_seller_settings(session, seller_id, [*reads, *ahead])
    for (query, params), rows in zip(ahead, asked, strict=True):
        keep_ahead(session, query, params, rows)
    return _tracked_return(session, found[0], items, history) if found else None


def with_seller_settings(
    session: Session, seller_id: str, reads: Sequence[tuple[DriverQuery, Mapping[str, Any]]]
) -> list[list[Any]]:
    """Each of ``reads``' rows, sent together with the seller's settings, which are kept for
    ``seller_settings`` to answer next: a step reads its return, a return request its order,
    and then the seller."""
    seller_read = (_SELLER_ROW, {"id": seller_id})
    *answers, seller = read_together(session, [*reads, seller_read])
    keep_ahead(session, *seller_read, seller)
    return answers


def seller_settings(session: Session, seller_id: str) -> Seller | None:
    """The seller's settings as a plain object: read with a return of its just before, or now.

    Every step of a return's life reads the return, and a return request its order, then the
    seller's settings: they go in that round trip, read in the same transaction
    (``with_seller_settings``). They are read again once this session tracks the seller (it
    may have changed it) and in a later transaction.
    """
    params = {"id": seller_id}
    if identity_key(Seller, seller_id) in session.identity_map:
        rows = _SELLER_ROW.fresh(session, params)
    else:
        rows = _SELLER_ROW.all(session, params)  # read with the return, if it was
    return instance_of(Seller, rows[0]._asdict()) if rows else None


def return_found(session: Session, query: DriverQuery, params: Mapping[str, Any]) -> Return | None:
    """The return ``query`` (a ``returns`` row) finds, with its items and history, tracked."""
    found = returns_found(session, query, params)
    return found[0] if found else None


def returns_found(session: Session, query: DriverQuery, params: Mapping[str, Any]) -> list[Return]:
    """Every return ``query`` finds, each with its items and history, tracked: the items and
    history of them all sent together, one round trip however many returns."""
    _flush_first(session)
    rows = query.all(session, params)
    if not rows:
        return []
    owners = [{"seller_id": row.seller_id, "return_id": row.id} for row in rows]
    children = read_together(session, [read for owner in owners for read in _children(owner)])
    return [
        _tracked_return(session, row, children[2 * n], children[2 * n + 1])
        for n, row in enumerate(rows)
    ]


def order_found(session: Session, seller_id: str, order_id: str) -> Order | None:
    """The order, with its lines and its shipments and their items, tracked: its four
    statements sent together."""
    _flush_first(session)
    found, shipment_rows, item_rows, line_rows = read_together(
        session, order_reads(seller_id, order_id)
    )
    if not found:
        return None
    known = session.identity_map.get(identity_key(Order, found[0].id))
    if known is not None:
        return known
    order = instance_of(Order, found[0]._asdict())
    shipments = [instance_of(Shipment, r._asdict()) for r in shipment_rows]
    items: dict[str, list[ShipmentItem]] = {shipment.id: [] for shipment in shipments}
    for r in item_rows:
        items[r.shipment_id].append(instance_of(ShipmentItem, r._asdict()))
    lines = [instance_of(OrderLine, r._asdict()) for r in line_rows]
    collections: Collections = [(order, "lines", lines), (order, "shipments", shipments)]
    collections += [(shipment, "items", items[shipment.id]) for shipment in shipments]
    attach_as_loaded(session, order, collections)
    return order


def order_reads(seller_id: str, order_id: str) -> list[tuple[DriverQuery, dict[str, Any]]]:
    """The statements ``order_found`` reads an order with (``ask_ahead`` takes them)."""
    params = {"seller_id": seller_id, "order_id": order_id}
    return [(q, params) for q in (_ORDER_BY_ID, _SHIPMENTS_OF, _SHIPMENT_ITEMS_OF, _LINES_OF)]


def _flush_first(session: Session) -> None:
    # As the ORM's query would: changes not sent yet are read back.
    if session.autoflush:
        session.flush()


def _children(owner: dict[str, Any]) -> list[tuple[DriverQuery, Mapping[str, Any]]]:
    return [(_ITEMS_OF, owner), (_HISTORY_OF, owner)]


def _tracked_return(
    session: Session, row: Any, item_rows: list[Any], entry_rows: list[Any]
) -> Return:
    known = session.identity_map.get(identity_key(Return, row.id))
    if known is not None:
        return known  # as the ORM's load: the session's own object, as it holds it
    ret = instance_of(Return, row._asdict())
    ret.__dict__["events"] = []  # not a column: what the ORM's load listener gives it
    items = [instance_of(ReturnItem, r._asdict()) for r in item_rows]
    history = [instance_of(HistoryEntry, r._asdict()) for r in entry_rows]
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


_SELLER_FIELDS = [f.name for f in fields(Seller) if f.name in orm.sellers.c]
_SELLER_ROW = DriverQuery(
    select(*[orm.sellers.c[name] for name in _SELLER_FIELDS]).where(
        orm.sellers.c.id == bindparam("id")
    )
)
_r = orm.returns.c
RETURN_BY_ID = DriverQuery(
    select(orm.returns).where(_r.seller_id == bindparam("seller_id"), _r.id == bindparam("id"))
)
RETURN_BY_RMA_NUMBER = DriverQuery(
    select(orm.returns).where(
        _r.seller_id == bindparam("seller_id"), _r.rma_number == bindparam("rma_number")
    )
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
