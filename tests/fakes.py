"""An in-memory unit of work: the repositories of ``rma.services.unit_of_work`` over dicts.

New objects are kept aside until ``commit()``, like rows of an uncommitted transaction, and
commit moves the events of touched returns to ``outbox``, as the SQL unit of work does.
Repositories no unit-tested use case touches (money, events, the physical flow, Amazon) are
``_Untested``: using one raises ``NotImplementedError`` instead of pretending to store.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from rma.domain import rma_numbers
from rma.domain.access import ApiKey, CustomerSession, StaffSession
from rma.domain.addresses import Facility, ReturnAddress
from rma.domain.authorization import Authorization
from rma.domain.events import Event
from rma.domain.orders import Order, Product
from rma.domain.partners import Partner
from rma.domain.returns import Return
from rma.domain.routing import RoutingRule
from rma.domain.sellers import CategoryPolicy, ReasonCode, Seller, SkuPolicy
from rma.domain.statuses import ReturnStatus
from rma.domain.supplier_rmas import SupplierRma
from rma.services.clock import utcnow
from rma.services.unit_of_work import (
    Cursor,
    CustomerKeys,
    IdempotencyRecord,
    ReturnFilter,
    ReturnToAuthorize,
)


class _Store:
    """Committed objects by kind and key, and the ones added since the last commit."""

    def __init__(self) -> None:
        self.committed: dict[str, dict[Any, Any]] = {}
        self.pending: dict[str, dict[Any, Any]] = {}

    def add(self, kind: str, key: Any, obj: Any) -> None:
        self.pending.setdefault(kind, {})[key] = obj

    def all(self, kind: str) -> list[Any]:
        merged = {**self.committed.get(kind, {}), **self.pending.get(kind, {})}
        return list(merged.values())

    def get(self, kind: str, key: Any) -> Any:
        return self.pending.get(kind, {}).get(key) or self.committed.get(kind, {}).get(key)

    def remove(self, kind: str, key: Any) -> None:
        self.pending.get(kind, {}).pop(key, None)
        self.committed.get(kind, {}).pop(key, None)

    def commit(self) -> None:
        for kind, objects in self.pending.items():
            self.committed.setdefault(kind, {}).update(objects)
        self.pending.clear()

    def rollback(self) -> None:
        self.pending.clear()


class _Repo:
    def __init__(self, store: _Store):
        self.store = store


class FakeSellers(_Repo):
    def add(self, seller: Seller) -> None:
        self.store.add("sellers", seller.id, seller)

    def get(self, seller_id: str) -> Seller | None:
        found: Seller | None = self.store.get("sellers", seller_id)
        return found

    def settings(self, seller_id: str) -> Seller | None:
        found = self.get(seller_id)
        return None if found is None else copy.deepcopy(found)


class FakeReturnAddresses(_Repo):
    def add(self, address: ReturnAddress) -> None:
        self.store.add("addresses", address.id, address)

    def get(self, seller_id: str, address_id: str) -> ReturnAddress | None:
        return next((a for a in self.all(seller_id) if a.id == address_id), None)

    def all(self, seller_id: str) -> list[ReturnAddress]:
        return sorted(
            (a for a in self.store.all("addresses") if a.seller_id == seller_id),
            key=lambda a: a.id,
        )


class FakeFacilities(_Repo):
    def add(self, facility: Facility) -> None:
        self.store.add("facilities", (facility.seller_id, facility.code), facility)

    def get(self, seller_id: str, code: str) -> Facility | None:
        found: Facility | None = self.store.get("facilities", (seller_id, code))
        return found

    def all(self, seller_id: str) -> list[Facility]:
        return sorted(
            (f for f in self.store.all("facilities") if f.seller_id == seller_id),
            key=lambda f: f.code,
        )


class FakeApiKeys(_Repo):
    def add(self, key: ApiKey) -> None:
        self.store.add("api_keys", key.secret_hash, key)

    def by_hash(self, secret_hash: str) -> ApiKey | None:
        found: ApiKey | None = self.store.get("api_keys", secret_hash)
        return found

    def get(self, key_id: str) -> ApiKey | None:
        return next((k for k in self.store.all("api_keys") if k.id == key_id), None)

    def listed(self, seller_id: str | None) -> list[ApiKey]:
        keys = self.store.all("api_keys")
        return [k for k in keys if seller_id is None or k.seller_id == seller_id]


class FakeStaffSessions(_Repo):
    def add(self, staff_session: StaffSession) -> None:
        self.store.add("staff_sessions", staff_session.token_hash, staff_session)

    def by_hash(self, token_hash: str) -> StaffSession | None:
        found: StaffSession | None = self.store.get("staff_sessions", token_hash)
        return found

    def remove(self, token_hash: str) -> None:
        self.store.remove("staff_sessions", token_hash)


class FakeCustomerSessions(_Repo):
    def add(self, session: CustomerSession) -> None:
        self.store.add("sessions", session.token_hash, session)

    def by_hash(self, token_hash: str) -> CustomerSession | None:
        found: CustomerSession | None = self.store.get("sessions", token_hash)
        return found


class FakePolicies(_Repo):
    def all(self, seller_id: str) -> list[CategoryPolicy]:
        return sorted(
            (p for p in self.store.all("policies") if p.seller_id == seller_id),
            key=lambda p: p.category,
        )

    def for_categories(self, seller_id: str, categories: Iterable[str]) -> list[CategoryPolicy]:
        wanted = set(categories)
        return [p for p in self.all(seller_id) if p.category in wanted]

    def get(self, seller_id: str, category: str) -> CategoryPolicy | None:
        found: CategoryPolicy | None = self.store.get("policies", (seller_id, category))
        return found

    def add(self, policy: CategoryPolicy) -> None:
        self.store.add("policies", (policy.seller_id, policy.category), policy)


class FakeSkuPolicies(_Repo):
    def all(self, seller_id: str) -> list[SkuPolicy]:
        return sorted(
            (p for p in self.store.all("sku_policies") if p.seller_id == seller_id),
            key=lambda p: p.sku,
        )

    def for_skus(self, seller_id: str, skus: Iterable[str]) -> list[SkuPolicy]:
        wanted = set(skus)
        return [p for p in self.all(seller_id) if p.sku in wanted]

    def get(self, seller_id: str, sku: str) -> SkuPolicy | None:
        return next((p for p in self.all(seller_id) if p.sku == sku), None)

    def add(self, policy: SkuPolicy) -> None:
        self.store.add("sku_policies", (policy.seller_id, policy.sku), policy)

    def remove(self, policy: SkuPolicy) -> None:
        raise NotImplementedError("no unit-tested use case removes a SKU policy")


class FakeReasonCodes(_Repo):
    def all(self, seller_id: str) -> list[ReasonCode]:
        return sorted(
            (r for r in self.store.all("reasons") if r.seller_id == seller_id),
            key=lambda r: r.code,
        )

    def among(self, seller_id: str, codes: Iterable[str]) -> list[ReasonCode]:
        wanted = set(codes)
        return [r for r in self.all(seller_id) if r.code in wanted]

    def get(self, seller_id: str, code: str) -> ReasonCode | None:
        found: ReasonCode | None = self.store.get("reasons", (seller_id, code))
        return found

    def add(self, code: ReasonCode) -> None:
        self.store.add("reasons", (code.seller_id, code.code), code)

    def add_all(self, codes: Iterable[ReasonCode]) -> None:
        for code in codes:
            self.store.add("reasons", (code.seller_id, code.code), code)


class FakeProducts(_Repo):
    def add(self, product: Product) -> None:
        self.store.add("products", (product.seller_id, product.sku), product)

    def get(self, seller_id: str, sku: str) -> Product | None:
        found: Product | None = self.store.get("products", (seller_id, sku))
        return found

    def categories(self, seller_id: str, skus: Iterable[str]) -> dict[str, str | None]:
        wanted = set(skus)
        return {
            p.sku: p.category
            for p in self.store.all("products")
            if p.seller_id == seller_id and p.sku in wanted
        }

    def in_categories(self, seller_id: str, categories: Iterable[str]) -> list[Product]:
        wanted = set(categories)
        found = [
            p
            for p in self.store.all("products")
            if p.seller_id == seller_id and p.category in wanted
        ]
        return sorted(found, key=lambda p: p.sku)


class FakeOrders(_Repo):
    def add(self, order: Order) -> None:
        self.store.add("orders", order.id, order)

    def get(self, seller_id: str, order_id: str) -> Order | None:
        found: Order | None = self.store.get("orders", order_id)
        return found if found is not None and found.seller_id == seller_id else None

    def by_number(self, seller_id: str, number: str, *, lock: bool = False) -> Order | None:
        return next(
            (o for o in self.by_number_any_seller(number) if o.seller_id == seller_id), None
        )

    def to_return_from(self, seller_id: str, number: str) -> Order | None:
        return self.by_number(seller_id, number, lock=True)

    def by_number_any_seller(self, number: str) -> list[Order]:
        return [o for o in self.store.all("orders") if o.number == number]

    def by_numbers(self, seller_id: str, numbers: Sequence[str]) -> list[Order]:
        wanted = set(numbers)
        return [
            o for o in self.store.all("orders") if o.seller_id == seller_id and o.number in wanted
        ]


class FakeReturns(_Repo):
    def __init__(self, store: _Store):
        super().__init__(store)
        self.drawn: dict[str, str] = {}

    def add(self, ret: Return) -> None:
        self.store.add("returns", ret.id, ret)

    def _of(self, seller_id: str) -> list[Return]:
        return [r for r in self.store.all("returns") if r.seller_id == seller_id]

    def get(self, seller_id: str, return_id: str) -> Return | None:
        return next((r for r in self._of(seller_id) if r.id == return_id), None)

    def by_rma_number(self, seller_id: str, rma_number: str) -> Return | None:
        return next((r for r in self._of(seller_id) if r.rma_number == rma_number), None)

    def for_order(self, seller_id: str, order_id: str) -> list[Return]:
        return [r for r in self._of(seller_id) if r.order_id == order_id]

    def rma_number_taken(self, seller_id: str, rma_number: str) -> bool:
        return self.by_rma_number(seller_id, rma_number) is not None

    def draw_rma_number(self, seller_id: str) -> None:
        self.drawn[seller_id] = rma_numbers.generate_rma_number()

    def unused_rma_number(self, seller_id: str) -> str:
        number = self.drawn.pop(seller_id, None) or rma_numbers.generate_rma_number()
        while self.rma_number_taken(seller_id, number):
            number = rma_numbers.generate_rma_number()
        return number

    def rma_numbers_taken(self, seller_id: str, numbers: Sequence[str]) -> set[str]:
        wanted = set(numbers)
        return {r.rma_number for r in self._of(seller_id) if r.rma_number in wanted}

    def page(
        self, seller_id: str, where: ReturnFilter, *, after: Cursor | None, limit: int
    ) -> list[Return]:
        unsupported = {"status", "order_id", "sort"}
        asked = {f for f, v in vars(where).items() if v not in (None, ())} - unsupported
        if asked:
            raise NotImplementedError(f"the fake does not filter by {sorted(asked)}")

        def position(ret: Return) -> tuple[datetime, str]:
            return getattr(ret, where.sort.field), ret.id

        found = [
            r
            for r in self._of(seller_id)
            if (not where.status or r.status in where.status)
            and (where.order_id is None or r.order_id == where.order_id)
        ]
        if after is not None:
            boundary = (after.value, after.id)
            found = [
                r
                for r in found
                if (position(r) < boundary if where.sort.descending else position(r) > boundary)
            ]
        return sorted(found, key=position, reverse=where.sort.descending)[:limit]

    def to_authorize(self, seller_id: str, return_ids: Sequence[str]) -> list[ReturnToAuthorize]:
        raise NotImplementedError("bulk authorization is tested on the SQL unit of work")

    def save_authorizations(self, authorizations: Sequence[Authorization]) -> None:
        raise NotImplementedError("bulk authorization is tested on the SQL unit of work")

    def count_by_status(self, seller_id: str, *, up_to: int | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for ret in self._of(seller_id):
            counts[str(ret.status)] = counts.get(str(ret.status), 0) + 1
        if up_to is not None:
            counts = {status: min(n, up_to) for status, n in counts.items()}
        return counts

    def due_for_expiry(self, now: datetime) -> list[Return]:
        return [
            r
            for r in self.store.all("returns")
            if r.status is ReturnStatus.AUTHORIZED and r.deadline is not None and r.deadline < now
        ]


class FakeIdempotency(_Repo):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        found: IdempotencyRecord | None = self.store.get("idempotency", (scope, key))
        return found

    def save_response(self, scope: str, key: str, status_code: int, body: Any) -> None:
        record = self.get(scope, key)
        if record is not None:
            self.store.add(
                "idempotency",
                (scope, key),
                IdempotencyRecord(
                    scope, key, record.request_hash, status_code, body, record.created_at
                ),
            )


class FakePartners(_Repo):
    def add(self, partner: Partner) -> None:
        self.store.add("partners", (partner.seller_id, partner.id), partner)

    def get(self, seller_id: str, partner_id: str) -> Partner | None:
        found: Partner | None = self.store.get("partners", (seller_id, partner_id))
        return found

    def all(self, seller_id: str) -> list[Partner]:
        mine = [p for p in self.store.all("partners") if p.seller_id == seller_id]
        return sorted(mine, key=lambda p: (p.name, p.id))


class FakeRoutingRules(_Repo):
    def all(self, seller_id: str) -> list[RoutingRule]:
        rules: list[RoutingRule] = self.store.get("routing_rules", seller_id) or []
        return sorted(rules, key=lambda r: r.position)

    def any(self, seller_id: str) -> bool:
        return bool(self.all(seller_id))

    def replace(self, seller_id: str, rules: Sequence[RoutingRule]) -> None:
        self.store.add("routing_rules", seller_id, list(rules))


class FakeSupplierRmas(_Repo):
    def add(self, rma: SupplierRma) -> None:
        self.store.add("supplier_rmas", (rma.seller_id, rma.id), rma)

    def get(self, seller_id: str, rma_id: str) -> SupplierRma | None:
        found: SupplierRma | None = self.store.get("supplier_rmas", (seller_id, rma_id))
        return found

    def for_return(self, seller_id: str, return_id: str) -> SupplierRma | None:
        return next(
            (r for r in self.listed(seller_id) if r.return_id == return_id),
            None,
        )

    def listed(self, seller_id: str, partner_id: str | None = None) -> list[SupplierRma]:
        return [
            r
            for r in self.store.all("supplier_rmas")
            if r.seller_id == seller_id and partner_id in (None, r.partner_id)
        ]

    def unanswered(self, limit: int) -> list[SupplierRma]:
        waiting = [r for r in self.store.all("supplier_rmas") if r.waiting_for_supplier]
        return sorted(waiting, key=lambda r: r.requested_at)[:limit]


class FakeRisk:
    """A seller with no risk rules: nothing is held, nothing is withheld."""

    def context(self, *args: Any, **kwargs: Any) -> None:
        return None

    def for_return(self, seller_id: str, return_id: str) -> None:
        return None


class _Untested:
    """A repository no unit-tested use case touches: any use of it is a test to write."""

    def __init__(self, name: str):
        self.name = name

    def __getattr__(self, method: str) -> Any:
        raise NotImplementedError(f"the fake unit of work has no {self.name}.{method}")


_UNTESTED = (
    "amazon",
    "webhook_endpoints",
    "deliveries",
    "emails",
    "action_tokens",
    "refunds",
    "store_credit",
    "outbound_orders",
    "repair_orders",
    "carrier_sources",
    "store_sources",
    "broker",
    "tracking_events",
    "physical",
    "receipts",
    "flags",
    "photos",
    "inventory",
    "portal_settings",
    "partner_returns",
)


class FakeUnitOfWork:
    """Every repository over one in-memory store; reusable like a factory's fresh units."""

    def __init__(self) -> None:
        self.store = _Store()
        # The events committed, in order; it stands for the outbox table, not its repository.
        self.outbox: list[Event] = []
        self.commits = 0
        self._claim: tuple[str, str, str] | None = None
        self.sellers = FakeSellers(self.store)
        self.return_addresses = FakeReturnAddresses(self.store)
        self.facilities = FakeFacilities(self.store)
        self.api_keys = FakeApiKeys(self.store)
        self.customer_sessions = FakeCustomerSessions(self.store)
        self.staff_sessions = FakeStaffSessions(self.store)
        self.policies = FakePolicies(self.store)
        self.sku_policies = FakeSkuPolicies(self.store)
        self.reason_codes = FakeReasonCodes(self.store)
        self.products = FakeProducts(self.store)
        self.orders = FakeOrders(self.store)
        self.returns = FakeReturns(self.store)
        self.idempotency = FakeIdempotency(self.store)
        self.partners = FakePartners(self.store)
        self.routing_rules = FakeRoutingRules(self.store)
        self.supplier_rmas = FakeSupplierRmas(self.store)
        self.risk = FakeRisk()
        for name in _UNTESTED:
            setattr(self, name, _Untested(name))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def read_ahead_for_request(
        self, seller_id: str, order: Order, reason_codes: Iterable[str], customer: CustomerKeys
    ) -> None:
        pass  # the store answers each read at once

    def read_ahead_for_resolution(self, ret: Return) -> None:
        pass  # the store answers each read at once

    def claim_idempotency_key(self, scope: str, key: str, request_hash: str) -> None:
        self._claim = (scope, key, request_hash)

    def spend_action_token(self, token_id: str, seller_id: str) -> None:
        raise NotImplementedError("single-use links are tested on the SQL unit of work")

    def commit(self) -> None:
        if self._claim is not None:
            scope, key, request_hash = self._claim
            record = IdempotencyRecord(scope, key, request_hash, None, None, utcnow())
            self.store.add("idempotency", (scope, key), record)
            self._claim = None
        for aggregate in [*self.store.all("returns"), *self.store.all("supplier_rmas")]:
            self.outbox.extend(aggregate.events)
            aggregate.events.clear()
        self.store.commit()
        self.commits += 1

    def rollback(self) -> None:
        self.store.rollback()
