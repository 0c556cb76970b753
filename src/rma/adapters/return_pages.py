"""A page of returns read as plain rows, and the queue's counts, capped.

``untracked_returns`` builds the returns of a list page, with their items and history, from
three plain statements instead of the ORM's loading: the same domain objects (the API, the
desk and the CSV read the same attributes), which the session neither tracks nor can save.
A page of 50 with its items and history then costs 10 to 20% less CPU (8.5 ms instead of
10.7, median at load 5), and 5.8 ms with its objects made from tuples and its children's
statements built once; the rest is fetching and converting the rows themselves
(docs/operations.md, "Indexes for reads").

``page_with_item`` is the page of a SKU or a reason in creation order: it walks the item
index in that order and stops when full. ``item_is_rarer`` tells, with a status too,
whether the items or the returns in the statuses are the shorter walk.

``count_by_status`` and ``count_matching`` stop counting at a cap: a desk page counted every
return of a seller by status, 250 to 400 ms at 1M returns, to print "closed 350,000" where
"1,000+" tells a desk the same story.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Result,
    Select,
    String,
    Table,
    any_,
    bindparam,
    exists,
    func,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, class_mapper

from rma.adapters import orm
from rma.adapters.driver_rows import DriverQuery, read_together
from rma.adapters.orm import UtcDateTime
from rma.domain.returns import HistoryEntry, Return, ReturnItem
from rma.domain.statuses import ReturnStatus
from rma.services.unit_of_work import Cursor, ReturnFilter

T = TypeVar("T")
HISTORY_CLOCK_SLACK = timedelta(days=1)


def untracked_returns(session: Session, page: Select[Any]) -> list[Return]:
    """The returns ``page`` selects (every column of ``returns``), with items and history.

    Read-only snapshots: nothing saves a change made to them.
    """
    connection = session.connection()
    found = _untracked(Return, connection.execute(page))
    if not found:
        return []
    by_id = {ret.id: ret for ret in found}
    for ret in found:
        ret.__dict__.update(items=[], history=[], events=[])
    # A return's history starts when it is created, and the history is partitioned by month:
    # bounding it skips the older months, whose indexes a page probed one by one (at 1M
    # returns, 17 partitions took more than the page's returns). The day spares an entry
    # written by a server whose clock is behind.
    params = {
        "seller_id": found[0].seller_id,
        "return_ids": list(by_id),
        "since": min(ret.created_at for ret in found) - HISTORY_CLOCK_SLACK,
    }
    children: list[tuple[type[Any], str, Sequence[Any], list[str]]] = []
    if connection.dialect.name == "postgresql":
        # Both statements of fixed shape (one array of ids), sent together by the driver.
        reads = [(_ITEMS_OF_PAGE, params), (_HISTORY_OF_PAGE, params)]
        items, history = read_together(session, reads)
        children.append((ReturnItem, "items", items, _ITEMS_OF_PAGE.keys))
        children.append((HistoryEntry, "history", history, _HISTORY_OF_PAGE.keys))
    else:
        for entity, key, table in (
            (ReturnItem, "items", orm.return_items),
            (HistoryEntry, "history", orm.return_history),
        ):
            result = connection.execute(_children_listed(table), params)
            children.append((entity, key, result.all(), list(result.keys())))
    for entity, key, rows, keys in children:
        for child in _made(entity, keys, rows):
            by_id[child.return_id].__dict__[key].append(child)
    return found


def _children(table: Table, among: Any) -> Select[Any]:
    """The items or the history (``table``) of the page's returns (``among``): the history
    since the oldest one's creation (``since``)."""
    found = select(table).where(table.c.seller_id == bindparam("seller_id"), among)
    if table is orm.return_items:
        return found.order_by(table.c.id)
    return found.where(table.c.at >= bindparam("since", type_=UtcDateTime())).order_by(table.c.pk)


@cache
def _children_listed(table: Table) -> Select[Any]:
    """SQLite: ``_children`` of a list of ids (a parameter each), built once.

    Built per page, working out each statement's cache key cost more than running it.
    """
    return _children(table, table.c.return_id.in_(bindparam("return_ids", expanding=True)))


class _PageChildren(DriverQuery):
    """PostgreSQL: ``_children`` of one array of ids; the names of the columns each row
    holds, in order (``keys``)."""

    def __init__(self, table: Table) -> None:
        ids = table.c.return_id
        super().__init__(
            _children(table, ids == any_(bindparam("return_ids", type_=ARRAY(ids.type))))
        )
        self.keys = [c.name for c in table.c]


_ITEMS_OF_PAGE = _PageChildren(orm.return_items)
_HISTORY_OF_PAGE = _PageChildren(orm.return_history)


def item_is_rarer(
    connection: Connection, seller_id: str, field: str, value: Any, where: ReturnFilter
) -> bool:
    """Whether PostgreSQL expects fewer items with ``value`` than returns in the statuses.

    A page walks the rarer of the two in its order and checks the other on each row: a
    rare status with a common reason, in a month, fills a page within a few hundred
    returns of the status, where the reason's items would take thousands. Planner
    estimates, from the column statistics (an ``EXPLAIN``, a few tenths of a millisecond).
    True elsewhere.
    """
    if connection.dialect.name != "postgresql":
        return True
    since, until = where.created_from, where.created_to
    estimate = _rarer_estimate(connection.dialect, field, since is not None, until is not None)
    params = {
        "seller_id": seller_id,
        "value": value,
        "statuses": [str(status) for status in where.status],
        "since": since,
        "until": until,
    }
    plan = connection.exec_driver_sql(estimate, params)
    item_plan, status_plan = plan.scalar_one()[0]["Plan"]["Plans"]
    return bool(item_plan["Plan Rows"] <= status_plan["Plan Rows"])


@cache
def _rarer_estimate(dialect: Dialect, field: str, since: bool, until: bool) -> str:
    """``item_is_rarer``'s ``EXPLAIN``, compiled once for each shape of filter.

    Its values are bound, not written in: PostgreSQL plans a statement that is not prepared
    for the values it is given, so the estimates are the same (checked at 1M returns), and
    compiling it afresh with each value written in cost 1.3 ms of CPU a page.
    """
    items, returns = orm.return_items.c, orm.returns.c
    item_rows = select(items.return_id).where(
        items.seller_id == bindparam("seller_id"), items[field] == bindparam("value")
    )
    statuses = bindparam("statuses", type_=ARRAY(String()))
    status_rows = select(returns.id).where(
        returns.seller_id == bindparam("seller_id"), returns.status == any_(statuses)
    )
    ranged = []
    for rows, at in ((item_rows, items.return_created_at), (status_rows, returns.created_at)):
        if since:
            rows = rows.where(at >= bindparam("since", type_=UtcDateTime()))
        if until:
            rows = rows.where(at < bindparam("until", type_=UtcDateTime()))
        ranged.append(rows)
    return f"EXPLAIN (FORMAT JSON) {union_all(*ranged).compile(dialect=dialect)}"


def _untracked(entity: type[T], rows: Result[Any]) -> list[T]:
    """An object of ``entity`` per row, made as the ORM's loader makes one (see ``_made``).
    The rows are fetched at once (a page's: at most 200 returns): psycopg's ``fetchone`` a
    row was a tenth of a page's CPU."""
    return _made(entity, list(rows.keys()), rows.all())


def _made(entity: type[T], keys: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[T]:
    """An object of ``entity`` per row of values in the order of ``keys``, made as the ORM's
    loader makes one (its class manager's ``new_instance``, the values put in its
    ``__dict__``), without the identity map and the session. The instrumented ``__init__``
    of the dataclass costs 25 times as much: every field is an attribute event."""
    new = class_mapper(entity).class_manager.new_instance
    made = []
    for row in rows:
        obj: T = new()
        obj.__dict__.update(zip(keys, row, strict=True))
        made.append(obj)
    return made


def instance_of(entity: type[T], values: Mapping[str, Any]) -> T:
    """One ``entity`` holding ``values``, made as ``_untracked`` makes each (see there)."""
    obj: T = class_mapper(entity).class_manager.new_instance()
    obj.__dict__.update(values)
    return obj


def page_with_item(
    seller_id: str,
    item: tuple[str, Any],
    where: ReturnFilter,
    after: Cursor | None,
    conditions: list[Any],
    limit: int,
) -> Select[Any]:
    """A page of the returns with an item whose field ``item[0]`` is ``item[1]``.

    For a page in creation order: the item index ``(seller_id, field, return_created_at,
    return_id)`` is walked in the page's order, once per return, so the ``LIMIT`` stops it
    when the page is full; the filter's created range and the cursor bound the walk there
    too. Each return walked is checked against the other ``conditions`` on its own (for a
    status, one probe of the status index), which keeps PostgreSQL from joining every
    return of the status instead.
    """
    field, value = item
    items, returns = orm.return_items.c, orm.returns.c
    at, return_id = items.return_created_at, items.return_id
    bounds = [items.seller_id == seller_id, items[field] == value]
    if where.created_from is not None:
        bounds.append(at >= where.created_from)
    if where.created_to is not None:
        bounds.append(at < where.created_to)
    if after is not None:
        row = tuple_(at, return_id)
        boundary = tuple_(literal(after.value, UtcDateTime()), literal(after.id))
        bounds.append(row < boundary if where.sort.descending else row > boundary)

    def ordered(*columns: Any) -> list[Any]:
        return [c.desc() if where.sort.descending else c.asc() for c in columns]

    # DISTINCT over the index's order keeps the order: a return with two such items once.
    walk = (
        select(at.label("at"), return_id)
        .distinct()
        .where(*bounds)
        .order_by(*ordered(at, return_id))
    )
    hits = walk.subquery("with_item")
    if conditions:
        # OFFSET 0 keeps the check a probe per return walked: PostgreSQL would otherwise
        # join the walk to every return of, say, the status, and sort the matches.
        check = select(returns.id).where(
            returns.seller_id == seller_id, returns.id == hits.c.return_id, *conditions
        )
        found = select(hits.c.at, hits.c.return_id).where(exists(check.offset(0)))
        found = found.order_by(*ordered(hits.c.at, hits.c.return_id)).limit(limit)
        hits = found.subquery("found")
    page = select(orm.returns).join(hits, returns.id == hits.c.return_id)
    page = page.where(returns.seller_id == seller_id)
    return page.order_by(*ordered(hits.c.at, hits.c.return_id)).limit(limit)


def count_by_status(connection: Connection, seller_id: str, up_to: int) -> dict[str, int]:
    """The seller's returns by status, each counted up to ``up_to`` (none: left out).

    A status counts at most ``up_to`` index entries, whatever the seller's size.
    """
    c = orm.returns.c
    each = [
        _count(
            select(c.id).where(c.seller_id == seller_id, c.status == status),
            up_to,
            literal(status.value),
        )
        for status in ReturnStatus
    ]
    rows = connection.execute(union_all(*each))
    return {str(status): int(count) for count, status in rows if count}


def count_matching(connection: Connection, matching: Select[Any], up_to: int) -> int:
    """How many rows ``matching`` selects, counted up to ``up_to``."""
    return int(connection.execute(_count(matching, up_to)).scalar_one())


def _count(matching: Select[Any], up_to: int, *beside: Any) -> Select[Any]:
    return select(func.count(), *beside).select_from(matching.limit(up_to).subquery())
