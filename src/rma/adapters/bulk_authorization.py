"""Bulk authorization in SQL: returns read as plain rows, authorizations written by the set.

The ORM loads, tracks and writes one aggregate at a time, which costs far more than the
authorization itself when thousands are moved in one call. Here each table takes one read
or one write for the whole chunk, with the same version check the ORM makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Executable, select, update

from rma.adapters import audit_log, orm
from rma.adapters.row_sets import Columns, execute_for_rows, insert_into, one_of
from rma.domain.audit import Change, plain
from rma.domain.authorization import Authorization
from rma.domain.errors import ConcurrentUpdate
from rma.services.unit_of_work import ItemToAuthorize, ReturnToAuthorize


@dataclass(frozen=True)
class Found:
    """Returns read for authorization, and the version each was read at."""

    returns: list[ReturnToAuthorize]
    versions: dict[str, int]


def read(connection: Connection, seller_id: str, return_ids: Sequence[str]) -> Found:
    """The seller's returns among ``return_ids``, locked until the transaction ends."""
    r, i = orm.returns.c, orm.return_items.c
    rows = connection.execute(
        select(r.id, r.status, r.resolution, r.label_type, r.window_closes_at, r.version)
        .where(r.seller_id == seller_id, one_of(connection, r.id, return_ids))
        .with_for_update()
    ).all()
    items: dict[str, list[ItemToAuthorize]] = {}
    for return_id, item_id, requested, unit_price in connection.execute(
        select(i.return_id, i.id, i.requested_quantity, i.unit_price)
        .where(i.seller_id == seller_id, one_of(connection, i.return_id, return_ids))
        .order_by(i.id)
    ):
        items.setdefault(return_id, []).append(ItemToAuthorize(item_id, requested, unit_price))
    returns = []
    versions = {}
    for return_id, status, resolution, label_type, window_closes_at, version in rows:
        returns.append(
            ReturnToAuthorize(
                id=return_id,
                seller_id=seller_id,
                status=status,
                resolution=resolution,
                label_type=label_type,
                window_closes_at=window_closes_at,
                items=tuple(items.get(return_id, ())),
            )
        )
        versions[return_id] = version
    return Found(returns, versions)


def write(
    connection: Connection, authorizations: Sequence[Authorization], versions: Sequence[int]
) -> None:
    """Write ``authorizations`` of returns read at ``versions``; ``ConcurrentUpdate`` if one moved.

    What is written is what ``Return.authorize`` applies to the aggregate.
    """
    returns = [_return_row(a, version) for a, version in zip(authorizations, versions, strict=True)]
    if execute_for_rows(connection, orm.returns, returns, _update_return) != len(returns):
        raise ConcurrentUpdate("a return changed while it was being authorized; try again")
    items = [
        {"seller_id": a.seller_id, "id": item_id, "authorized_quantity": quantity}
        for a in authorizations
        for item_id, quantity in a.quantities.items()
    ]
    execute_for_rows(connection, orm.return_items, items, _update_item)
    history = [_history_row(a) for a in authorizations]
    execute_for_rows(connection, orm.return_history, history, insert_into(orm.return_history))
    # The statements above are not the session's: the trail hears of them from here.
    audit_log.changed(connection, _changes(authorizations, returns, items))
    audit_log.inserted(connection, orm.return_history, history)


def _changes(
    authorizations: Sequence[Authorization],
    returns: Sequence[dict[str, Any]],
    items: Sequence[dict[str, Any]],
) -> list[Change]:
    changes = [
        Change(
            a.seller_id,
            orm.returns.name,
            a.return_id,
            "update",
            {"status": plain(a.from_status)},
            {name: plain(value) for name, value in row.items() if name not in _KEY},
        )
        for a, row in zip(authorizations, returns, strict=True)
    ]
    changes += [
        Change(
            item["seller_id"],
            orm.return_items.name,
            item["id"],
            "update",
            {},
            {"authorized_quantity": item["authorized_quantity"]},
        )
        for item in items
    ]
    return changes


def _return_row(a: Authorization, version: int) -> dict[str, Any]:
    return {
        "seller_id": a.seller_id,
        "id": a.return_id,
        "version": version,
        "status": a.status,
        "rma_number": a.terms.rma_number,
        "deadline": a.terms.deadline,
        "return_address_id": a.terms.return_address_id,
        "return_address": a.terms.return_address,
        "label_type": a.label_type,
        "updated_at": a.at,
    }


def _history_row(a: Authorization) -> dict[str, Any]:
    return {
        "seller_id": a.seller_id,
        "return_id": a.return_id,
        "at": a.at,
        "actor": a.actor,
        "action": a.action,
        "from_status": a.from_status,
        "to_status": a.status,
        "note": a.note,
    }


_KEY = {"seller_id", "id", "version"}


def _update_return(row: Columns) -> Executable:
    r = orm.returns
    changed = {name: value for name, value in row.items() if name not in _KEY}
    return (
        update(r)
        .where(r.c.seller_id == row["seller_id"], r.c.id == row["id"])
        .where(r.c.version == row["version"])
        .values({**changed, "version": r.c.version + 1})
    )


def _update_item(row: Columns) -> Executable:
    i = orm.return_items
    return (
        update(i)
        .where(i.c.seller_id == row["seller_id"], i.c.id == row["id"])
        .values(authorized_quantity=row["authorized_quantity"])
    )
