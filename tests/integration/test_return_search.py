"""A search pages alike whichever way it finds its matches: through the indexes, or by
testing the returns one by one (a term in many returns, or one too short for a trigram)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from rma.adapters import orm, repositories, return_pages
from rma.bootstrap import Container
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor, Return
from rma.domain.statuses import ReturnStatus
from rma.services import desk, returns, review
from rma.services.unit_of_work import Cursor, ReturnFilter, ReturnSort
from tests.builders import add_order, seller_with_order


@contextmanager
def _statements_sent(container: Container) -> Iterator[list[str]]:
    """The statements sent to the database while in the block, as they are sent."""
    sent: list[str] = []

    def keep(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(container.engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(container.engine, "before_cursor_execute", keep)


def _three_returns(container: Container) -> tuple[str, list[str]]:
    """A seller with three returns of order 1001, and another seller's return of its 1001."""
    seller, order = seller_with_order(container)
    other, other_order = seller_with_order(container)
    made = []
    for seller_id, line in ((seller.id, "1"), (seller.id, "1"), (seller.id, "2"), (other.id, "1")):
        number = order.number if seller_id == seller.id else other_order.number
        cmd = returns.RequestReturn(
            returns.Scope(seller_id),
            number,
            [RequestedItem(line, 1, "CR-UNWANTED_ITEM")],
            Actor("customer", "c"),
        )
        made.append(returns.request_return(cmd, container.uow()).ret)
    newest_first = sorted(made[:3], key=lambda r: (r.created_at, r.id), reverse=True)
    return seller.id, [r.id for r in newest_first]


def _pages(container: Container, seller_id: str, term: str) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page: list[Return] = review.list_returns(
            returns.Scope(seller_id),
            ReturnFilter(search=term),
            container.uow(),
            after=after,
            limit=2,
        )
        pages.append([r.id for r in page])
        if len(page) < 2:
            return pages
        after = Cursor(page[-1].created_at, page[-1].id)


@pytest.mark.parametrize(
    ("way", "term"),
    [
        ("indexes", "1001"),
        ("indexes: fetched, then sorted", "1001"),
        ("one by one: many matches", "1001"),
        ("one by one: many expected", "1001"),
        ("one by one: short", "00"),
    ],
)
def test_a_search_pages_through_the_matches_newest_first_and_only_the_sellers(
    container: Container, monkeypatch: pytest.MonkeyPatch, way: str, term: str
) -> None:
    seller_id, newest_first = _three_returns(container)
    if way == "indexes: fetched, then sorted":  # as for more than NAMED_SORTED matches
        monkeypatch.setattr(repositories, "NAMED_SORTED", 0)
    if way == "one by one: many matches":
        monkeypatch.setattr(repositories, "SEARCH_IDS_CAP", 1)
    if way == "one by one: many expected":  # PostgreSQL's estimate, before any lookup
        monkeypatch.setattr(repositories, "SEARCH_BROAD", -1)

    pages = _pages(container, seller_id, term)

    assert pages == [newest_first[:2], newest_first[2:]]


def test_a_search_by_index_finds_nothing_when_nothing_matches(container: Container) -> None:
    seller_id, _ = _three_returns(container)

    assert _pages(container, seller_id, "1002") == [[]]
    assert _pages(container, seller_id, "%") == [[]]


def _filtered(container: Container, seller_id: str, where: ReturnFilter) -> list[list[str]]:
    """Every page of ``where``, two returns a page, each as (id, SKU) pairs."""
    pages: list[list[str]] = []
    after = None
    while True:
        page = review.list_returns(
            returns.Scope(seller_id), where, container.uow(), after=after, limit=2
        )
        pages.append([f"{r.id} {r.items[0].sku}" for r in page])
        if len(page) < 2:
            return pages
        after = Cursor(page[-1].created_at, page[-1].id)


@pytest.mark.parametrize("way", ["few: their ids first", "many: each return's items"])
def test_a_sku_or_reason_filter_pages_alike_however_many_returns_have_it(
    container: Container, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    seller_id, _ = _three_returns(container)
    everything = [r for page in _filtered(container, seller_id, ReturnFilter()) for r in page]
    tees = [r for r in everything if r.endswith(" TEE")]
    mugs = [r for r in everything if r.endswith(" MUG")]
    if way.startswith("many"):
        monkeypatch.setattr(repositories, "ITEM_IDS_CAP", 0)

    by_sku = _filtered(container, seller_id, ReturnFilter(sku="TEE"))
    by_reason = _filtered(container, seller_id, ReturnFilter(reason_code="CR-UNWANTED_ITEM"))
    both = ReturnFilter(sku="MUG", reason_code="CR-UNWANTED_ITEM")

    assert (len(tees), len(mugs)) == (2, 1)
    assert by_sku == [tees, []]
    assert by_reason == [everything[:2], everything[2:]]
    assert _filtered(container, seller_id, both) == [mugs]
    assert _filtered(container, seller_id, ReturnFilter(sku="NONE")) == [[]]


def _every_page(container: Container, seller_id: str, where: ReturnFilter) -> list[str]:
    """The ids of every page of ``where``, two returns a page, followed by their cursors."""
    shown: list[str] = []
    after = None
    while True:
        page = review.list_returns(
            returns.Scope(seller_id), where, container.uow(), after=after, limit=2
        )
        shown.extend(r.id for r in page)
        if len(page) < 2:
            return shown
        after = Cursor(getattr(page[-1], where.sort.field), page[-1].id)


@pytest.mark.parametrize("walked", ["items", "statuses"])
@pytest.mark.parametrize("sort", list(ReturnSort))
def test_a_sku_or_reason_filter_shows_each_return_once_in_any_order_with_other_filters(
    container: Container, monkeypatch: pytest.MonkeyPatch, sort: ReturnSort, walked: str
) -> None:
    # With a status too, the page walks the rarer of the two: as PostgreSQL estimates.
    monkeypatch.setattr(return_pages, "item_is_rarer", lambda *_: walked == "items")
    if walked == "statuses":  # and a recently updated sort: the ids, fetched and sorted
        monkeypatch.setattr(repositories, "NAMED_SORTED", 0)
    seller, order = seller_with_order(container)
    scope, customer = returns.Scope(seller.id), Actor("customer", "c")
    other = add_order(container, seller.id, "1002", delivered_days_ago=3)
    made = []
    for number, lines in (
        (order.number, [("1", "CR-UNWANTED_ITEM"), ("2", "CR-UNWANTED_ITEM")]),  # TEE, MUG
        (order.number, [("1", "CR-DEFECTIVE")]),
        (other.number, [("2", "CR-UNWANTED_ITEM")]),
        (other.number, [("1", "CR-UNWANTED_ITEM")]),
    ):
        items = [RequestedItem(line, 1, reason) for line, reason in lines]
        cmd = returns.RequestReturn(scope, number, items, customer)
        made.append(returns.request_return(cmd, container.uow()).ret)
    close = returns.FinishReturn(scope, made[0].id, Actor("seller", "s"), "done")
    made[0] = returns.close_return(close, container.uow())  # the oldest, updated last
    everything = _every_page(container, seller.id, ReturnFilter(sort=sort))
    by_id = {r.id: r for r in made}
    first, last = sorted(r.created_at for r in made)[1:3]

    def expected(keep: Any) -> list[str]:
        return [i for i in everything if keep(by_id[i])]

    def has(r: Return, field: str, value: str) -> bool:
        return any(getattr(item, field) == value for item in r.items)

    cases = {
        ReturnFilter(reason_code="CR-UNWANTED_ITEM"): lambda r: has(
            r, "reason_code", "CR-UNWANTED_ITEM"
        ),
        ReturnFilter(sku="TEE"): lambda r: has(r, "sku", "TEE"),
        ReturnFilter(sku="TEE", status=(ReturnStatus.CLOSED,)): lambda r: (
            has(r, "sku", "TEE") and r.status == ReturnStatus.CLOSED
        ),
        ReturnFilter(sku="TEE", reason_code="CR-DEFECTIVE"): lambda r: (
            has(r, "sku", "TEE") and has(r, "reason_code", "CR-DEFECTIVE")
        ),
        ReturnFilter(reason_code="CR-UNWANTED_ITEM", created_from=first, created_to=last): (
            lambda r: has(r, "reason_code", "CR-UNWANTED_ITEM") and first <= r.created_at < last
        ),
        ReturnFilter(sku="NONE"): lambda r: False,
    }

    assert len(everything) == 4
    for where, keep in cases.items():
        shown = _every_page(container, seller.id, replace(where, sort=sort))
        assert (where, shown) == (where, expected(keep))
        with container.uow() as uow:  # counted exactly (joined) and up to a cap (probed)
            exact = uow.returns.count_matching(seller.id, where)
            capped = uow.returns.count_matching(seller.id, where, up_to=10)
        assert (where, exact, capped) == (where, len(shown), len(shown))
    assert len(expected(cases[ReturnFilter(sku="TEE")])) == 3
    assert len(expected(cases[ReturnFilter(reason_code="CR-UNWANTED_ITEM")])) == 3


@pytest.mark.parametrize(
    "way", ["indexes", "one by one: many matches", "one by one: many expected"]
)
def test_a_search_finds_the_name_on_the_order_whichever_way_it_looks(
    container: Container, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    seller_id, _ = _three_returns(container)
    other = add_order(container, seller_id, "2002", delivered_days_ago=3)
    cmd = returns.RequestReturn(
        returns.Scope(seller_id),
        other.number,
        [RequestedItem("1", 1, "CR-UNWANTED_ITEM")],
        Actor("customer", "c"),
    )
    named = returns.request_return(cmd, container.uow()).ret
    with container.engine.begin() as connection:
        connection.execute(
            update(orm.orders)
            .where(orm.orders.c.id == other.id)
            .values(customer_name="Grace Brewster")
        )
    if way == "one by one: many matches":
        monkeypatch.setattr(repositories, "SEARCH_IDS_CAP", 0)
    if way == "one by one: many expected":
        monkeypatch.setattr(repositories, "SEARCH_BROAD", -1)

    assert _pages(container, seller_id, "REWST") == [[named.id]]
    assert _pages(container, seller_id, "brewster x") == [[]]


def test_a_desk_search_shows_and_counts_its_matches_from_one_lookup(
    container: Container,
) -> None:
    seller_id, newest_first = _three_returns(container)

    with _statements_sent(container) as executed:
        queue = desk.desk_queue(
            returns.Scope(seller_id),
            ReturnFilter(search="1001"),
            container.uow(),
            after=None,
            limit=2,
        )

    assert [r.id for r in queue.returns] == newest_first[:2]
    assert (queue.total, queue.everything) == (3, 3)
    lookups = [s for s in executed if "FROM returns AS found" in s and "EXPLAIN" not in s]
    assert len(lookups) == 1


@pytest.mark.parametrize("field", ["sku", "reason_code"])
def test_a_page_walking_the_statuses_does_not_count_the_items_first(
    container: Container, monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    # The statuses are the shorter walk (as PostgreSQL estimates): naming the item's
    # returns could not be shorter, so the page does not count them to decide.
    monkeypatch.setattr(return_pages, "item_is_rarer", lambda *_: False)
    seller_id, newest_first = _three_returns(container)
    status = (ReturnStatus.AUTHORIZED, ReturnStatus.PENDING_REVIEW)  # as their policy decides
    where = (
        ReturnFilter(status=status, sku="TEE")
        if field == "sku"
        else ReturnFilter(status=status, reason_code="CR-UNWANTED_ITEM")
    )

    with _statements_sent(container) as executed:
        page = review.list_returns(
            returns.Scope(seller_id), where, container.uow(), after=None, limit=10
        )

    expected = newest_first if field == "reason_code" else newest_first[1:]
    assert [r.id for r in page] == expected
    assert not [s for s in executed if s.lstrip().startswith("SELECT count(*)")]


@pytest.mark.parametrize("sort", list(ReturnSort))
def test_a_search_alone_names_only_what_its_page_can_show_and_pages_as_the_database_orders(
    container: Container, monkeypatch: pytest.MonkeyPatch, sort: ReturnSort
) -> None:
    seller, _ = seller_with_order(container)
    made = []
    for n in range(6):
        order = add_order(container, seller.id, f"500{n}", delivered_days_ago=3)
        cmd = returns.RequestReturn(
            returns.Scope(seller.id),
            order.number,
            [RequestedItem("1", 1, "CR-UNWANTED_ITEM")],
            Actor("customer", "c"),
        )
        made.append(returns.request_return(cmd, container.uow()).ret)
    # Two returns at one time, the rest a day apart: ties where a page of two ends.
    base = made[0].created_at
    for ret, days in zip(made, (1, 1, 2, 3, 4, 5), strict=True):
        at = base - timedelta(days=days)
        with container.engine.begin() as connection:
            connection.execute(
                update(orm.returns)
                .where(orm.returns.c.id == ret.id)
                .values(created_at=at, updated_at=at)
            )
    in_order = _every_page(container, seller.id, ReturnFilter(sort=sort))
    chosen = repositories._first_in_order
    named: list[int] = []

    def counted(*args: Any) -> list[str]:
        ids = chosen(*args)
        named.append(len(ids))
        return ids

    monkeypatch.setattr(repositories, "_first_in_order", counted)
    shown = _every_page(container, seller.id, ReturnFilter(search="500", sort=sort))
    monkeypatch.setattr(repositories, "SEARCH_IDS_CAP", 0)  # each return tested instead
    tested = _every_page(container, seller.id, ReturnFilter(search="500", sort=sort))

    assert len(in_order) == 6
    assert shown == tested == in_order
    # Each page of two (three, and a last that finds no more) named its two, the returns
    # at its cursor's time and the ties of its last: at most four of the six.
    assert len(named) == 4
    assert max(named) <= 4
