"""SQLAlchemy repositories: every query of a seller's rows filters by its ``seller_id``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import (
    Session,
    joinedload,
    make_transient_to_detached,
    selectinload,
)

from rma.adapters import bulk_authorization, orm, return_pages, return_search, session_loads
from rma.adapters.driver_rows import (
    DriverInsert,
    DriverQuery,
    DriverQueryAmong,
    insert_together,
    ride_together,
)
from rma.adapters.orm import UtcDateTime
from rma.adapters.return_pages import instance_of
from rma.adapters.return_writes import keyed
from rma.adapters.row_sets import one_of
from rma.domain import rma_numbers
from rma.domain.access import ApiKey, CustomerSession, StaffSession
from rma.domain.addresses import Facility, ReturnAddress
from rma.domain.authorization import Authorization
from rma.domain.events import Event
from rma.domain.orders import Order, OrderLine, Product, Shipment, ShipmentItem
from rma.domain.returns import Return
from rma.domain.sellers import CategoryPolicy, ReasonCode, Seller, SkuPolicy
from rma.domain.statuses import ReturnStatus
from rma.services.unit_of_work import (
    Cursor,
    IdempotencyRecord,
    ReturnFilter,
    ReturnSort,
    ReturnToAuthorize,
)

T = TypeVar("T")
SEARCH_IDS_CAP = 2000  # more matches than this, and a search page tests each return instead
SEARCH_BROAD = 20 * SEARCH_IDS_CAP  # expected by PostgreSQL: test each return without looking
ITEM_IDS_CAP = 7000  # more returns with the SKU or reason, and a page checks each one's items
NAMED_SORTED = 100  # more ids named than this, and a page fetches them all before sorting


class SqlSellers:
    def __init__(self, session: Session):
        self.session = session

    def add(self, seller: Seller) -> None:
        self.session.add(seller)

    def get(self, seller_id: str) -> Seller | None:
        return self.session.get(Seller, seller_id)

    def settings(self, seller_id: str) -> Seller | None:
        # A plain row made into a Seller: the ORM's load of a tracked one was a tenth of an
        # authorization's CPU, for settings the request only reads.
        return session_loads.seller_settings(self.session, seller_id)


class SqlReturnAddresses:
    def __init__(self, session: Session):
        self.session = session

    def add(self, address: ReturnAddress) -> None:
        self.session.add(address)

    def get(self, seller_id: str, address_id: str) -> ReturnAddress | None:
        c = orm.return_addresses.c
        query = select(ReturnAddress).where(c.seller_id == seller_id, c.id == address_id)
        return self.session.scalars(query).first()

    def all(self, seller_id: str) -> list[ReturnAddress]:
        c = orm.return_addresses.c
        query = select(ReturnAddress).where(c.seller_id == seller_id).order_by(c.id)
        return list(self.session.scalars(query))

    def remove(self, address: ReturnAddress) -> None:
        self.session.delete(address)


class SqlFacilities:
    def __init__(self, session: Session):
        self.session = session

    def add(self, facility: Facility) -> None:
        self.session.add(facility)

    def get(self, seller_id: str, code: str) -> Facility | None:
        return self.session.get(Facility, (seller_id, code))

    def all(self, seller_id: str) -> list[Facility]:
        c = orm.facilities.c
        query = select(Facility).where(c.seller_id == seller_id).order_by(c.code)
        return list(self.session.scalars(query))


class SqlApiKeys:
    def __init__(self, session: Session):
        self.session = session

    def add(self, key: ApiKey) -> None:
        self.session.add(key)

    def by_hash(self, secret_hash: str) -> ApiKey | None:
        # Every request signs in with this read: a plain row, not a tracked object, read
        # outside the session (opening it was most of signing in).
        row = _API_KEY_BY_HASH.first_alone(self.session, {"secret_hash": secret_hash})
        return instance_of(ApiKey, row._asdict()) if row is not None else None

    def get(self, key_id: str) -> ApiKey | None:
        return self.session.get(ApiKey, key_id)

    def listed(self, seller_id: str | None) -> list[ApiKey]:
        query = select(ApiKey).order_by(orm.api_keys.c.created_at, orm.api_keys.c.id)
        if seller_id is not None:
            query = query.where(orm.api_keys.c.seller_id == seller_id)
        return list(self.session.scalars(query))

    def of_seller(self, seller_id: str, key_ids: Iterable[str]) -> list[ApiKey]:
        """The seller's keys among ``key_ids`` (to name who did what)."""
        c = orm.api_keys.c
        query = select(ApiKey).where(c.seller_id == seller_id, c.id.in_(list(key_ids)))
        return list(self.session.scalars(query))


class SqlCustomerSessions:
    def __init__(self, session: Session):
        self.session = session

    def add(self, customer_session: CustomerSession) -> None:
        self.session.add(customer_session)

    def by_hash(self, token_hash: str) -> CustomerSession | None:
        # A customer's every request signs in with this read: a plain row, as an API key's.
        row = _CUSTOMER_SESSION_BY_HASH.first_alone(self.session, {"token_hash": token_hash})
        return instance_of(CustomerSession, row._asdict()) if row is not None else None


class SqlStaffSessions:
    def __init__(self, session: Session):
        self.session = session

    def add(self, staff_session: StaffSession) -> None:
        self.session.add(staff_session)

    def by_hash(self, token_hash: str) -> StaffSession | None:
        return self.session.get(StaffSession, token_hash)

    def remove(self, token_hash: str) -> None:
        self.session.execute(
            delete(orm.staff_sessions).where(orm.staff_sessions.c.token_hash == token_hash)
        )


class SqlPolicies:
    def __init__(self, session: Session):
        self.session = session

    def all(self, seller_id: str) -> list[CategoryPolicy]:
        c = orm.category_policies.c
        query = select(CategoryPolicy).where(c.seller_id == seller_id).order_by(c.category)
        return list(self.session.scalars(query))

    def for_categories(self, seller_id: str, categories: Iterable[str]) -> list[CategoryPolicy]:
        wanted = list(categories)
        if not wanted:
            return []
        return _untracked_among(
            self.session, CategoryPolicy, orm.category_policies, "category", seller_id, wanted
        )

    def get(self, seller_id: str, category: str) -> CategoryPolicy | None:
        return self.session.get(CategoryPolicy, (seller_id, category))

    def add(self, policy: CategoryPolicy) -> None:
        self.session.add(policy)

    def remove(self, policy: CategoryPolicy) -> None:
        self.session.delete(policy)


class SqlSkuPolicies:
    def __init__(self, session: Session):
        self.session = session

    def all(self, seller_id: str) -> list[SkuPolicy]:
        c = orm.sku_policies.c
        query = select(SkuPolicy).where(c.seller_id == seller_id).order_by(c.sku)
        return list(self.session.scalars(query))

    def for_skus(self, seller_id: str, skus: Iterable[str]) -> list[SkuPolicy]:
        return _untracked_among(
            self.session, SkuPolicy, orm.sku_policies, "sku", seller_id, list(skus)
        )

    def get(self, seller_id: str, sku: str) -> SkuPolicy | None:
        return self.session.get(SkuPolicy, (seller_id, sku))

    def add(self, policy: SkuPolicy) -> None:
        self.session.add(policy)

    def remove(self, policy: SkuPolicy) -> None:
        self.session.delete(policy)


class SqlReasonCodes:
    def __init__(self, session: Session):
        self.session = session

    def get(self, seller_id: str, code: str) -> ReasonCode | None:
        return self.session.get(ReasonCode, (seller_id, code))

    def add(self, code: ReasonCode) -> None:
        self.session.add(code)

    def all(self, seller_id: str) -> list[ReasonCode]:
        c = orm.reason_codes.c
        query = select(ReasonCode).where(c.seller_id == seller_id).order_by(c.code)
        return list(self.session.scalars(query))

    def among(self, seller_id: str, codes: Iterable[str]) -> list[ReasonCode]:
        return _untracked_among(
            self.session, ReasonCode, orm.reason_codes, "code", seller_id, list(codes)
        )

    def add_all(self, codes: Iterable[ReasonCode]) -> None:
        self.session.add_all(codes)


class SqlProducts:
    def __init__(self, session: Session):
        self.session = session

    def add(self, product: Product) -> None:
        self.session.add(product)

    def get(self, seller_id: str, sku: str) -> Product | None:
        return self.session.get(Product, (seller_id, sku))

    def in_category(self, seller_id: str, category: str | None, limit: int) -> list[Product]:
        """The seller's products of one category (all when ``None``), by SKU."""
        c = orm.products.c
        query = select(Product).where(c.seller_id == seller_id)
        if category is not None:
            query = query.where(c.category == category)
        return list(self.session.scalars(query.order_by(c.sku).limit(limit)))

    def categories(self, seller_id: str, skus: Iterable[str]) -> dict[str, str | None]:
        rows = _PRODUCT_CATEGORIES.all(self.session, {"seller_id": seller_id}, skus)
        return {row.sku: row.category for row in rows}

    def in_categories(self, seller_id: str, categories: Iterable[str]) -> list[Product]:
        c = orm.products.c
        wanted = list(categories)
        if not wanted:
            return []
        found = select(Product).where(c.seller_id == seller_id, c.category.in_(wanted))
        return list(self.session.scalars(found.order_by(c.sku).limit(500)))


class SqlOrders:
    def __init__(self, session: Session):
        self.session = session

    def add(self, order: Order) -> None:
        self.session.add(order)

    def get(self, seller_id: str, order_id: str) -> Order | None:
        return session_loads.order_found(self.session, seller_id, order_id)

    def by_number(self, seller_id: str, number: str, *, lock: bool = False) -> Order | None:
        # Locking serializes requests against one order, so two cannot both return the
        # last unit.
        query = _locked_order_by_number() if lock else _order_by_number()
        params = {"seller_id": seller_id, "number": number}
        return self.session.scalars(query, params).unique().one_or_none()

    def to_return_from(self, seller_id: str, number: str) -> Order | None:
        """The order locked against other requests, read as a snapshot the session ignores.

        Two plain statements, sent together, and no identity map: a third of what loading the
        tracked order costs a return request, which only reads it. Never change the snapshot:
        nothing would save the change. Its objects are made as the ORM's loader makes them
        (``instance_of``), every field given: the dataclasses' instrumented ``__init__``
        (an attribute event a field) was 5% of a return request.
        """
        params = {"seller_id": seller_id, "number": number}
        reads = [(_ORDER_WITH_LINES_LOCKED, params), (_SHIPMENTS_WITH_ITEMS, params)]
        # The lock first, then the shipments and the seller's settings (read next).
        rows, shipment_rows = session_loads.with_seller_settings(self.session, seller_id, reads)
        if not rows:
            return None
        first = rows[0]
        lines = [
            instance_of(OrderLine, {"line_id": r.line_id, "sku": r.sku, "quantity": r.quantity,
                                    "unit_price": r.unit_price, "name": r.name,
                                    "tax_per_unit": r.tax_per_unit})
            for r in rows
            if r.line_id is not None
        ]  # fmt: skip
        shipments: dict[str, Shipment] = {}
        for r in shipment_rows:
            shipment = shipments.get(r.id)
            if shipment is None:
                shipment = shipments[r.id] = instance_of(Shipment, {
                    "id": r.id, "shipped_at": r.shipped_at, "delivered_at": r.delivered_at,
                    "carrier": r.carrier, "tracking_number": r.tracking_number,
                    "facility_code": r.facility_code, "items": [],
                })  # fmt: skip
            if r.line_id is not None:
                item = instance_of(ShipmentItem, {"line_id": r.line_id, "quantity": r.quantity})
                shipment.items.append(item)
        return instance_of(Order, {
            "id": first.id, "seller_id": seller_id, "number": first.number,
            "customer_email": first.customer_email, "customer_name": first.customer_name,
            "currency": first.currency, "ordered_at": first.ordered_at,
            "shipping_amount": first.shipping_amount, "shipping_address": first.shipping_address,
            "lines": lines, "shipments": list(shipments.values()),
        })  # fmt: skip

    def by_number_any_seller(self, number: str) -> list[Order]:
        return list(self.session.scalars(select(Order).where(orm.orders.c.number == number)))

    def by_numbers(self, seller_id: str, numbers: Sequence[str]) -> list[Order]:
        if not numbers:
            return []
        params = {"seller_id": seller_id, "numbers": list(numbers)}
        return list(self.session.scalars(_orders_by_numbers(), params).unique())


class SqlReturns:
    def __init__(self, session: Session):
        self.session = session
        # Written by save_authorizations, not tracked by the session: the unit of work reads
        # the events, and the versions read stand in for the session's version check.
        self.saved_events: list[Event] = []
        self._versions: dict[str, int] = {}
        self._searched: dict[tuple[str, str], _Lookup] = {}  # a desk page counts too
        self._drawn: dict[str, str] = {}  # by seller: the RMA number its next authorization tries
        self._unasked: list[str] = []  # sellers whose drawn number's read is not sent yet

    def add(self, ret: Return) -> None:
        """Insert a new return, its rows' INSERTs sent together, and track it as loaded.

        The ORM's unit of work spends several times what these INSERTs cost on a new return,
        its items and its history. On PostgreSQL they go with the transaction's next round
        trip (``ride_together``; the commit's, for a return request): nothing waits for
        them, but its history entries for their keys, which they get then and which keep
        them out of the session. Once in the session, later changes to the return are
        ordinary versioned UPDATEs.
        """
        if self.session.new:
            self.session.flush()  # whatever the return may refer to goes first
        owner = {"seller_id": ret.seller_id, "return_id": ret.id}
        keys = {**owner, "return_created_at": ret.created_at}  # for the SKU/reason indexes
        history = list(ret.history)
        inserts = [
            (_INSERT_RETURN, _INSERT_RETURN.rows_of([ret])),
            (_INSERT_ITEMS, _INSERT_ITEMS.rows_of(ret.items, keys)),
            (_INSERT_HISTORY, _INSERT_HISTORY.rows_of(history, owner)),
        ]
        rode = ride_together(self.session, inserts, lambda answers: keyed(history, answers[2]))
        if not rode:
            keyed(history, insert_together(self.session, inserts)[2])
        for child in (*ret.items, *history):
            for column, value in owner.items():  # the keys the ORM would have filled in
                setattr(child, column, value)
        for obj in (ret, *ret.items, *([] if rode else history)):
            make_transient_to_detached(obj)  # as if loaded: add() attaches, not inserts
        self.session.add(ret)
        if rode:  # out of the session, or its flush would insert them again
            for entry in history:
                self.session.expunge(entry)

    def get(self, seller_id: str, return_id: str) -> Return | None:
        return session_loads.return_by_id(self.session, seller_id, return_id, self.drawn_reads())

    def by_rma_number(self, seller_id: str, rma_number: str) -> Return | None:
        params = {"seller_id": seller_id, "rma_number": rma_number}
        return session_loads.return_found(self.session, session_loads.RETURN_BY_RMA_NUMBER, params)

    def rma_number_taken(self, seller_id: str, rma_number: str) -> bool:
        params = {"seller_id": seller_id, "rma_number": rma_number}
        return _RMA_NUMBER_TAKEN.first(self.session, params) is not None

    def draw_rma_number(self, seller_id: str) -> None:
        """Draw the number the seller's next authorization tries first now: whether it is
        taken goes with the next reads (``drawn_reads``), not in a round trip of its own."""
        self._drawn[seller_id] = rma_numbers.generate_rma_number()
        self._unasked.append(seller_id)

    def drawn_reads(self) -> list[tuple[DriverQuery, dict[str, Any]]]:
        """Whether each number drawn and not yet asked about is taken: reads to ask ahead
        (their answers are kept for ``rma_number_taken``)."""
        reads = [
            (_RMA_NUMBER_TAKEN, {"seller_id": seller_id, "rma_number": self._drawn[seller_id]})
            for seller_id in self._unasked
        ]
        self._unasked.clear()
        return reads

    def unused_rma_number(self, seller_id: str) -> str:
        number = self._drawn.pop(seller_id, None) or rma_numbers.generate_rma_number()
        while self.rma_number_taken(seller_id, number):
            number = rma_numbers.generate_rma_number()
        return number

    def for_order(self, seller_id: str, order_id: str) -> list[Return]:
        params = {"seller_id": seller_id, "order_id": order_id}
        return session_loads.returns_found(self.session, session_loads.RETURNS_OF_ORDER, params)

    def page(
        self, seller_id: str, where: ReturnFilter, *, after: Cursor | None, limit: int
    ) -> list[Return]:
        c = orm.returns.c
        key = c[where.sort.field]
        order: tuple[Any, ...] = (key.desc(), c.id.desc())
        if not where.sort.descending:
            order = (key.asc(), c.id.asc())
        walked = _walked_item(where)
        items_named = True
        if walked is not None and where.status:
            # Walk whichever is rarer: the items, or the returns in the statuses.
            value = getattr(where, walked)
            if not return_pages.item_is_rarer(
                self.session.connection(), seller_id, walked, value, where
            ):
                # The walk of the statuses is expected to be the shorter: naming the item's
                # returns could not be shorter still, and counting them took 2-3 ms.
                walked, items_named = None, False
        if walked is not None:
            # The items of that SKU or reason, in the page's order, lead: it stops when full.
            rest = replace(where, created_from=None, created_to=None)  # bound the walk
            rest = replace(rest, sku=None) if walked == "sku" else replace(rest, reason_code=None)
            query = return_pages.page_with_item(
                seller_id,
                (walked, _planned(getattr(where, walked))),
                where,
                after,
                _conditions(seller_id, rest),
                limit,
            )
            return return_pages.untracked_returns(self.session, query)
        position: list[Any] = []
        if after is not None:
            row = tuple_(key, c.id)
            boundary = tuple_(literal(after.value, UtcDateTime()), literal(after.id))
            position.append(row < boundary if where.sort.descending else row > boundary)
        query, named = self._matching(
            select(orm.returns), seller_id, where, items_named, page=(after, limit)
        )
        query = query.where(*position)
        if named > NAMED_SORTED:
            # Fetch the named returns, then sort. PostgreSQL would rather walk the page's
            # order looking for them (OFFSET 0 keeps it from): 40,000 returns and 89 ms for
            # a page of an email's 1,286 matches, where fetching and sorting them takes 13.
            # Fewer, it fetches them anyway, and the subquery costs a millisecond of CPU.
            named_rows = query.offset(0).subquery("named")
            query = select(named_rows)
            pair = (named_rows.c[where.sort.field], named_rows.c.id)
            order = tuple(o.desc() if where.sort.descending else o.asc() for o in pair)
        # Read as plain rows: a page is only shown, and the ORM's loading was 10-20% of its CPU.
        return return_pages.untracked_returns(self.session, query.order_by(*order).limit(limit))

    def _matching(
        self,
        query: Select[Any],
        seller_id: str,
        where: ReturnFilter,
        items_named: bool = True,
        page: tuple[Cursor | None, int] | None = None,
    ) -> tuple[Select[Any], int]:
        """``query`` narrowed to the seller's returns the filter shows, in the cheapest shape,
        and how many ids it names (none: 0).

        A search, a SKU or a reason (unless not ``items_named``) is looked up first when its
        matches are few: the statement then names those ids. For a ``page`` (its cursor and
        size) of a search alone, only those of its matches the page can show.
        """
        c = orm.returns.c
        found: list[Any] = []
        named = 0
        if where.search:
            key = (seller_id, where.search.strip())
            if key not in self._searched:
                self._searched[key] = self._search(*key)
            lookup = self._searched[key]
            where = replace(where, search=None)
            if (
                page is not None
                and lookup.keys is not None
                and lookup.named > page[1]
                and not _conditions(seller_id, where)  # the search alone
            ):
                shown = _first_in_order(lookup.keys, where.sort, *page)
                found.append(one_of(self.session.connection(), c.id, shown))
                named = len(shown)
            else:
                found.append(lookup.condition)
                named = lookup.named
        if where.reason_code is not None and items_named:
            few = self._few_with_item(seller_id, "reason_code", where.reason_code)
            if few is not None:
                found.append(few[0])
                named = min(named or few[1], few[1])
                where = replace(where, reason_code=None)
        if where.sku is not None and items_named:
            few = self._few_with_item(seller_id, "sku", where.sku)
            if few is not None:
                found.append(few[0])
                named = min(named or few[1], few[1])
                where = replace(where, sku=None)
        query = query.where(c.seller_id == seller_id, *found, *_conditions(seller_id, where))
        return query, named

    def _search(self, seller_id: str, term: str) -> _Lookup:
        """The condition a page of a search puts on each return (see ``return_search``), and
        the ids it names with their sort keys, if it names them.

        Most searches name something rare, which the trigram indexes find at once: the page
        is then those ids. A term in a large share of returns ("gmail"), or too short to
        have a trigram, would have the indexes fetch every match (or read all of the index)
        only to sort them: instead, the page tests the returns one by one in its order, and
        fills up long before it has read them all. PostgreSQL's estimate of the matches
        spots most such terms before the indexes are read (building the bitmap of "gmail"'s
        143,000 matches was most of its 40-60 ms); the cap catches the rest.
        """
        connection = self.session.connection()
        if len(term) < return_search.TRIGRAM or return_search.looks_broad(
            connection, seller_id, term, SEARCH_BROAD
        ):
            return _Lookup(return_search.matches_row(seller_id, term))
        found = return_search.matching_ids(seller_id, term, sorted_by=True)
        rows = self.session.execute(found.limit(SEARCH_IDS_CAP + 1)).all()  # with repeats
        if len(rows) <= SEARCH_IDS_CAP:
            keys = {row[0]: {"created_at": row[1], "updated_at": row[2]} for row in rows}
            named = sorted(keys)
            return _Lookup(one_of(connection, orm.returns.c.id, named), len(named), keys)
        return _Lookup(return_search.matches_row(seller_id, term))

    def _few_with_item(self, seller_id: str, field: str, value: str) -> tuple[Any, int] | None:
        """``id IN (the returns with an item of this SKU or reason)`` and how many, if few.

        Then the page reads just those returns and sorts them. If they are many, None: the
        page walks the returns in its order and checks each one's items, stopping as soon
        as the page is full. Left to PostgreSQL, a SKU on a few thousand items was walked
        (it expects the walk to stop sooner than it does): 1 to 2.5 s at 1M returns. The cap
        bounds both ways near 7,000 rows read: fewer ids than that, or a SKU on more than 1
        in 7,000 items, which fills a page within about 7,000 returns (51 x 1M / 7,000).
        """
        items = orm.return_items.c
        found = select(items.return_id).where(
            items.seller_id == seller_id, items[field] == _planned(value)
        )
        connection = self.session.connection()
        # Counted where they are: fetching 7,000 ids only to learn they are many cost the
        # page more CPU than the page itself.
        if return_pages.count_matching(connection, found, ITEM_IDS_CAP + 1) > ITEM_IDS_CAP:
            return None
        named = sorted(set(connection.scalars(found)))
        return one_of(connection, orm.returns.c.id, named), len(named)

    def ids_matching(self, seller_id: str, where: ReturnFilter, limit: int) -> list[str]:
        """The ids of the returns the filter shows, in its order."""
        c = orm.returns.c
        key = c[where.sort.field]
        order = (key.desc(), c.id.desc()) if where.sort.descending else (key.asc(), c.id.asc())
        query = select(c.id).where(c.seller_id == seller_id, *_conditions(seller_id, where))
        return list(self.session.scalars(query.order_by(*order).limit(limit)))

    def count_matching(
        self, seller_id: str, where: ReturnFilter, *, up_to: int | None = None
    ) -> int:
        """How many returns the filter shows; at most ``up_to``, when given."""
        c = orm.returns.c
        if up_to is not None:
            matching, _ = self._matching(select(c.id), seller_id, where)
            return return_pages.count_matching(self.session.connection(), matching, up_to)
        conditions = _conditions(seller_id, where, probed=False)  # every return: joined
        query = select(func.count()).where(c.seller_id == seller_id, *conditions)
        return int(self.session.execute(query).scalar_one())

    def to_authorize(self, seller_id: str, return_ids: Sequence[str]) -> list[ReturnToAuthorize]:
        found = bulk_authorization.read(self.session.connection(), seller_id, return_ids)
        self._versions.update(found.versions)
        return found.returns

    def save_authorizations(self, authorizations: Sequence[Authorization]) -> None:
        versions = [self._versions.pop(a.return_id) for a in authorizations]
        bulk_authorization.write(self.session.connection(), authorizations, versions)
        self.saved_events.extend(a.event() for a in authorizations)

    def rma_numbers_taken(self, seller_id: str, numbers: Sequence[str]) -> set[str]:
        c = orm.returns.c
        connection = self.session.connection()
        query = select(c.rma_number).where(
            c.seller_id == seller_id, one_of(connection, c.rma_number, numbers)
        )
        return {number for number in connection.scalars(query) if number is not None}

    def count_by_status(self, seller_id: str, *, up_to: int | None = None) -> dict[str, int]:
        if up_to is not None:
            return return_pages.count_by_status(self.session.connection(), seller_id, up_to)
        c = orm.returns.c
        rows = self.session.execute(
            select(c.status, func.count()).where(c.seller_id == seller_id).group_by(c.status)
        )
        return {str(status): count for status, count in rows}

    def count_by_reason(self, seller_id: str) -> dict[str, int]:
        items = orm.return_items.c
        rows = self.session.execute(
            select(items.reason_code, func.count())
            .where(items.seller_id == seller_id)
            .group_by(items.reason_code)
        )
        return {str(code): count for code, count in rows}

    def due_for_expiry(self, now: datetime) -> list[Return]:
        c = orm.returns.c
        query = select(Return).where(c.status == ReturnStatus.AUTHORIZED, c.deadline < now)
        return list(self.session.scalars(query.order_by(c.deadline).limit(1000)))


def _planned(value: Any, *, expanding: bool = False) -> Any:
    """``value`` written into the statement, so PostgreSQL plans for it, not for any value.

    A SKU, a reason and a status are skewed (a SKU on 80,000 items, another on 100; a status
    of 35% of returns, another of 1%), and psycopg prepares a statement run five times: the
    generic plan then made for a rare status with a common SKU sorted every match, 1 s at
    1M returns where the plan for those values takes 4 ms. Escaped as a literal; the
    statement cache keeps one entry per value.
    """
    return bindparam(None, value, expanding=expanding, literal_execute=True)


@dataclass(frozen=True)
class _Lookup:
    """How a search's page finds its matches: ``condition`` on each return, which names
    ``named`` ids (0: tests each row), each with its sort keys (``keys``) when named."""

    condition: Any
    named: int = 0
    keys: dict[str, dict[str, datetime]] | None = None


def _first_in_order(
    keys: dict[str, dict[str, datetime]], sort: ReturnSort, after: Cursor | None, limit: int
) -> list[str]:
    """The ids a page of ``limit`` after ``after`` can show, of those ``keys`` names.

    Chosen by the sort's time alone: every return at the cursor's time (which of them come
    after the cursor is the statement's to decide), then those past it up to the time of
    the ``limit``-th, all of them. The statement orders them and breaks the ties by id as
    the database compares ids, where Python might not.
    """
    field, descending = sort.field, sort.descending

    def past(at: datetime, mark: datetime) -> bool:
        return at < mark if descending else at > mark

    beyond = [k[field] for k in keys.values() if after is None or past(k[field], after.value)]
    beyond.sort(reverse=descending)
    last = beyond[limit - 1] if len(beyond) > limit else None

    def shown(at: datetime) -> bool:
        if after is not None and past(after.value, at):  # before the cursor's time
            return False
        return last is None or not past(at, last)

    return sorted(i for i, k in keys.items() if shown(k[field]))


def _walked_item(where: ReturnFilter) -> str | None:
    """The item field (SKU first) whose index a page in creation order walks, if any.

    A search leads instead: its matches are looked up first (``SqlReturns._search``).
    """
    if where.search or where.sort.field != "created_at":
        return None
    return next((f for f in ("sku", "reason_code") if getattr(where, f) is not None), None)


def _conditions(seller_id: str, where: ReturnFilter, *, probed: bool = True) -> list[Any]:
    """The filter's conditions on a return row; an item's, ``probed``, checked row by row.

    A read that stops at a page or a cap probes each return's items (``OFFSET 0``):
    PostgreSQL would rather merge-join every item of the SKU or reason in the range with
    the returns walked, a month of a reason in a rare status at a p95 of 13-18 ms against
    8-9. An exact count of them all is better joined.
    """
    c = orm.returns.c
    items = orm.return_items.c
    conditions: list[Any] = []
    if where.violation is not None:
        conditions.append(c.violation_codes.contains(f" {where.violation} ", autoescape=True))
    # The return's created_at too: one probe of the SKU or reason index, no heap; and its
    # range, or a merge join reads the index from the newest item down to the range.
    item_range = []
    if where.created_from is not None:
        item_range.append(items.return_created_at >= where.created_from)
    if where.created_to is not None:
        item_range.append(items.return_created_at < where.created_to)
    for column, value in ((items.reason_code, where.reason_code), (items.sku, where.sku)):
        if value is not None:
            found = select(items.id).where(
                items.seller_id == seller_id,
                column == _planned(value),
                items.return_created_at == c.created_at,
                items.return_id == c.id,
                *item_range,
            )
            conditions.append(exists(found.offset(0) if probed else found))
    if where.status:
        conditions.append(c.status.in_(_planned(list(where.status), expanding=True)))
    if where.order_id is not None:
        conditions.append(c.order_id == where.order_id)
    if where.order_number is not None:
        conditions.append(c.order_number == where.order_number)
    if where.customer_email is not None:
        conditions.append(func.lower(c.customer_email) == where.customer_email.lower())
    if where.in_policy is not None:
        conditions.append(c.in_policy.is_(where.in_policy))
    if where.created_from is not None:
        conditions.append(c.created_at >= where.created_from)
    if where.created_to is not None:
        conditions.append(c.created_at < where.created_to)
    if where.search:
        ids = return_search.matching_ids(seller_id, where.search.strip())
        conditions.append(orm.returns.c.id.in_(ids))
    return [and_(*conditions)] if conditions else []


class SqlIdempotency:
    def __init__(self, session: Session):
        self.session = session

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        c = orm.idempotency_keys.c
        row = self.session.execute(
            select(c.scope, c.key, c.request_hash, c.status_code, c.body, c.created_at).where(
                c.scope == scope, c.key == key
            )
        ).first()
        return IdempotencyRecord(*row) if row else None

    def save_response(self, scope: str, key: str, status_code: int, body: Any) -> None:
        c = orm.idempotency_keys.c
        self.session.execute(
            update(orm.idempotency_keys)
            .where(c.scope == scope, c.key == key)
            .values(status_code=status_code, body=body)
        )


# The statements a return request runs, built once: building a statement and working out
# its cache key cost more than running it from the compiled cache. Those selecting mapped
# classes are built on first use, once the mappers exist.

_PRODUCT_CATEGORIES = DriverQueryAmong(
    lambda skus: select(orm.products.c.sku, orm.products.c.category).where(
        orm.products.c.seller_id == bindparam("seller_id"), orm.products.c.sku.in_(skus)
    ),
    "sku",
)

_RMA_NUMBER_TAKEN = DriverQuery(
    select(orm.returns.c.id).where(
        orm.returns.c.seller_id == bindparam("seller_id"),
        orm.returns.c.rma_number == bindparam("rma_number"),
    )
)
_API_KEY_BY_HASH = DriverQuery(
    select(orm.api_keys).where(orm.api_keys.c.secret_hash == bindparam("secret_hash"))
)
_CUSTOMER_SESSION_BY_HASH = DriverQuery(
    select(orm.customer_sessions).where(
        orm.customer_sessions.c.token_hash == bindparam("token_hash")
    )
)


def _untracked_among(
    session: Session, entity: type[T], table: Table, column: str, seller_id: str, values: list[str]
) -> list[T]:
    """One seller's rows whose ``column`` is among ``values``, as objects the session ignores.

    For reads that only look (a request's reason codes and policies): no identity map and no
    ORM loading, a third of the cost. Never change what this answers: nothing would save it.
    """
    rows = _seller_rows_among(table, column).all(session, {"seller_id": seller_id}, values)
    return [instance_of(entity, row._asdict()) for row in rows]


def request_reads(
    seller_id: str, order_id: str, skus: Iterable[str], reason_codes: Iterable[str]
) -> list[tuple[DriverQuery, dict[str, Any]]]:
    """The statements a return request of an order reads with, as its repositories send
    them: the terms of its items (``term_reads``) and the order's earlier returns
    (``for_order``)."""
    return [
        *term_reads(seller_id, skus, reason_codes),
        (session_loads.RETURNS_OF_ORDER, {"seller_id": seller_id, "order_id": order_id}),
    ]


def term_reads(
    seller_id: str, skus: Iterable[str], reason_codes: Iterable[str]
) -> list[tuple[DriverQuery, dict[str, Any]]]:
    """The statements the terms of returning ``skus`` for ``reason_codes`` are read with:
    reason codes, products and SKU policies (``_untracked_among``, ``categories``,
    ``for_skus``)."""
    seller, skus = {"seller_id": seller_id}, list(skus)
    return [
        *_seller_rows_among(orm.reason_codes, "code").asks(seller, reason_codes),
        *_PRODUCT_CATEGORIES.asks(seller, skus),
        *_seller_rows_among(orm.sku_policies, "sku").asks(seller, skus),
    ]


@cache
def _seller_rows_among(table: Table, column: str) -> DriverQueryAmong:
    """One seller's rows whose ``column`` is among a list."""
    return DriverQueryAmong(
        lambda values: select(table).where(
            table.c.seller_id == bindparam("seller_id"), table.c[column].in_(values)
        ),
        column,
    )


@cache
def _order_by_number() -> Select[Order]:
    # Two round trips, not four: lines come joined to the order, items to their shipments.
    c = orm.orders.c
    return (
        select(Order)
        .where(c.seller_id == bindparam("seller_id"), c.number == bindparam("number"))
        .options(
            joinedload(Order.lines),  # type: ignore[arg-type]
            selectinload(Order.shipments).joinedload(Shipment.items),  # type: ignore[arg-type]
        )
    )


@cache
def _orders_by_numbers() -> Select[Order]:
    # Three round trips for a whole batch of orders: orders, their lines, their shipments.
    c = orm.orders.c
    return (
        select(Order)
        .where(
            c.seller_id == bindparam("seller_id"),
            c.number.in_(bindparam("numbers", expanding=True)),
        )
        .options(
            selectinload(Order.lines),  # type: ignore[arg-type]
            selectinload(Order.shipments).selectinload(Shipment.items),  # type: ignore[arg-type]
        )
    )


def _order_with_lines_locked() -> Select[Any]:
    o, line = orm.orders, orm.order_lines
    lines = line.c
    joined = o.outerjoin(line, and_(lines.seller_id == o.c.seller_id, lines.order_id == o.c.id))
    return (
        select(*(o.c[n] for n in _ORDER_COLUMNS), *(lines[n] for n in _LINE_COLUMNS))
        .select_from(joined)
        .where(o.c.seller_id == bindparam("seller_id"), o.c.number == bindparam("number"))
        .order_by(lines.pk)
        .with_for_update(of=o)
    )


_ORDER_COLUMNS = (
    "id", "number", "customer_email", "customer_name", "currency", "ordered_at",
    "shipping_amount", "shipping_address",
)  # fmt: skip
_SHIPMENT_COLUMNS = (
    "id", "shipped_at", "delivered_at", "carrier", "tracking_number", "facility_code",
)  # fmt: skip
_LINE_COLUMNS = ("line_id", "sku", "quantity", "unit_price", "name", "tax_per_unit")


def _shipments_with_items() -> Select[Any]:
    """An order's shipments and their items, the order found by its number (as it is locked:
    both go in one round trip)."""
    s, item, o = orm.shipments, orm.shipment_items, orm.orders
    items = item.c
    joined = s.join(o, and_(o.c.seller_id == s.c.seller_id, o.c.id == s.c.order_id)).outerjoin(
        item, and_(items.seller_id == s.c.seller_id, items.shipment_id == s.c.id)
    )
    return (
        select(*(s.c[name] for name in _SHIPMENT_COLUMNS), items.line_id, items.quantity)
        .select_from(joined)
        .where(o.c.seller_id == bindparam("seller_id"), o.c.number == bindparam("number"))
        .order_by(s.c.shipped_at, s.c.id, items.pk)
    )


_INSERT_RETURN = DriverInsert(orm.returns)
_INSERT_ITEMS = DriverInsert(orm.return_items)
_INSERT_HISTORY = DriverInsert(orm.return_history, returning=orm.return_history.c.pk)
_ORDER_WITH_LINES_LOCKED = DriverQuery(_order_with_lines_locked())
_SHIPMENTS_WITH_ITEMS = DriverQuery(_shipments_with_items())


@cache
def _locked_order_by_number() -> Select[Order]:
    return _order_by_number().with_for_update(of=orm.orders)
