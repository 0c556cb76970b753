"""SQLAlchemy repositories: every query of a seller's rows filters by its ``seller_id``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, literal, or_, select, tuple_, update
from sqlalchemy.orm import Session

from rma.adapters import bulk_authorization, orm
from rma.adapters.orm import UtcDateTime
from rma.adapters.row_sets import one_of
from rma.domain.access import ApiKey, CustomerSession
from rma.domain.addresses import Facility, ReturnAddress
from rma.domain.authorization import Authorization
from rma.domain.events import Event
from rma.domain.orders import Order, Product
from rma.domain.returns import Return
from rma.domain.sellers import CategoryPolicy, ReasonCode, Seller, SkuPolicy
from rma.domain.statuses import ReturnStatus
from rma.services.unit_of_work import Cursor, IdempotencyRecord, ReturnFilter, ReturnToAuthorize


class SqlSellers:
    def __init__(self, session: Session):
        self.session = session

    def add(self, seller: Seller) -> None:
        self.session.add(seller)

    def get(self, seller_id: str) -> Seller | None:
        return self.session.get(Seller, seller_id)


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
        return self.session.scalars(
            select(ApiKey).where(orm.api_keys.c.secret_hash == secret_hash)
        ).first()


class SqlCustomerSessions:
    def __init__(self, session: Session):
        self.session = session

    def add(self, customer_session: CustomerSession) -> None:
        self.session.add(customer_session)

    def by_hash(self, token_hash: str) -> CustomerSession | None:
        return self.session.get(CustomerSession, token_hash)


class SqlPolicies:
    def __init__(self, session: Session):
        self.session = session

    def all(self, seller_id: str) -> list[CategoryPolicy]:
        c = orm.category_policies.c
        query = select(CategoryPolicy).where(c.seller_id == seller_id).order_by(c.category)
        return list(self.session.scalars(query))

    def get(self, seller_id: str, category: str) -> CategoryPolicy | None:
        return self.session.get(CategoryPolicy, (seller_id, category))

    def add(self, policy: CategoryPolicy) -> None:
        self.session.add(policy)


class SqlSkuPolicies:
    def __init__(self, session: Session):
        self.session = session

    def all(self, seller_id: str) -> list[SkuPolicy]:
        c = orm.sku_policies.c
        query = select(SkuPolicy).where(c.seller_id == seller_id).order_by(c.sku)
        return list(self.session.scalars(query))

    def for_skus(self, seller_id: str, skus: Iterable[str]) -> list[SkuPolicy]:
        c = orm.sku_policies.c
        query = select(SkuPolicy).where(c.seller_id == seller_id, c.sku.in_(list(skus)))
        return list(self.session.scalars(query))

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

    def add_all(self, codes: Iterable[ReasonCode]) -> None:
        self.session.add_all(codes)


class SqlProducts:
    def __init__(self, session: Session):
        self.session = session

    def add(self, product: Product) -> None:
        self.session.add(product)

    def get(self, seller_id: str, sku: str) -> Product | None:
        return self.session.get(Product, (seller_id, sku))

    def categories(self, seller_id: str, skus: Iterable[str]) -> dict[str, str | None]:
        c = orm.products.c
        rows = self.session.execute(
            select(c.sku, c.category).where(c.seller_id == seller_id, c.sku.in_(list(skus)))
        )
        return {sku: category for sku, category in rows}  # noqa: C416 (rows are Row objects)


class SqlOrders:
    def __init__(self, session: Session):
        self.session = session

    def add(self, order: Order) -> None:
        self.session.add(order)

    def get(self, seller_id: str, order_id: str) -> Order | None:
        c = orm.orders.c
        return self.session.scalars(
            select(Order).where(c.seller_id == seller_id, c.id == order_id)
        ).first()

    def by_number(self, seller_id: str, number: str, *, lock: bool = False) -> Order | None:
        c = orm.orders.c
        query = select(Order).where(c.seller_id == seller_id, c.number == number)
        if lock:
            # Serializes requests against one order, so two cannot both return the last unit.
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def by_number_any_seller(self, number: str) -> list[Order]:
        return list(self.session.scalars(select(Order).where(orm.orders.c.number == number)))


class SqlReturns:
    def __init__(self, session: Session):
        self.session = session
        # Written by save_authorizations, not tracked by the session: the unit of work reads
        # the events, and the versions read stand in for the session's version check.
        self.saved_events: list[Event] = []
        self._versions: dict[str, int] = {}

    def add(self, ret: Return) -> None:
        self.session.add(ret)

    def get(self, seller_id: str, return_id: str) -> Return | None:
        c = orm.returns.c
        return self.session.scalars(
            select(Return).where(c.seller_id == seller_id, c.id == return_id)
        ).first()

    def by_rma_number(self, seller_id: str, rma_number: str) -> Return | None:
        c = orm.returns.c
        return self.session.scalars(
            select(Return).where(c.seller_id == seller_id, c.rma_number == rma_number)
        ).first()

    def rma_number_taken(self, seller_id: str, rma_number: str) -> bool:
        c = orm.returns.c
        query = select(c.id).where(c.seller_id == seller_id, c.rma_number == rma_number)
        return self.session.execute(query).first() is not None

    def for_order(self, seller_id: str, order_id: str) -> list[Return]:
        c = orm.returns.c
        query = select(Return).where(c.seller_id == seller_id, c.order_id == order_id)
        return list(self.session.scalars(query))

    def page(
        self, seller_id: str, where: ReturnFilter, *, after: Cursor | None, limit: int
    ) -> list[Return]:
        c = orm.returns.c
        key = c[where.sort.field]
        query = select(Return).where(c.seller_id == seller_id, *_conditions(seller_id, where))
        if after is not None:
            position = tuple_(key, c.id)
            boundary = tuple_(literal(after.value, UtcDateTime()), literal(after.id))
            query = query.where(
                position < boundary if where.sort.descending else position > boundary
            )
        order = (key.desc(), c.id.desc()) if where.sort.descending else (key.asc(), c.id.asc())
        return list(self.session.scalars(query.order_by(*order).limit(limit)))

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

    def count_by_status(self, seller_id: str) -> dict[str, int]:
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


def _conditions(seller_id: str, where: ReturnFilter) -> list[Any]:
    c = orm.returns.c
    items = orm.return_items.c
    conditions: list[Any] = []
    if where.violation is not None:
        conditions.append(c.violation_codes.contains(f" {where.violation} ", autoescape=True))
    for column, value in ((items.reason_code, where.reason_code), (items.sku, where.sku)):
        if value is not None:
            conditions.append(
                exists().where(
                    items.seller_id == seller_id, items.return_id == c.id, column == value
                )
            )
    if where.status:
        conditions.append(c.status.in_(list(where.status)))
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
        term = where.search.strip()
        conditions.append(
            or_(
                c.rma_number == term.upper(),
                c.order_number == term,
                c.tracking_number == term,
            )
        )
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
