"""SQL repositories of partners, routing rules and supplier RMAs; all filter by seller."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from rma.adapters import orm
from rma.adapters.driver_rows import DriverQuery
from rma.adapters.orm_partners import partners, routing_rules, supplier_rmas
from rma.domain.partners import Partner
from rma.domain.returns import Return
from rma.domain.routing import RoutingRule
from rma.domain.supplier_rmas import SupplierRma, SupplierRmaStatus


class SqlPartners:
    def __init__(self, session: Session):
        self.session = session

    def add(self, partner: Partner) -> None:
        self.session.add(partner)

    def get(self, seller_id: str, partner_id: str) -> Partner | None:
        c = partners.c
        query = select(Partner).where(c.seller_id == seller_id, c.id == partner_id)
        return self.session.scalars(query).first()

    def all(self, seller_id: str) -> list[Partner]:
        c = partners.c
        query = select(Partner).where(c.seller_id == seller_id).order_by(c.name, c.id)
        return list(self.session.scalars(query))


class SqlRoutingRules:
    def __init__(self, session: Session):
        self.session = session

    def all(self, seller_id: str) -> list[RoutingRule]:
        c = routing_rules.c
        query = select(RoutingRule).where(c.seller_id == seller_id).order_by(c.position)
        return list(self.session.scalars(query))

    def any(self, seller_id: str) -> bool:
        # Most sellers route nothing: a row, not objects, is enough to tell.
        return _ANY_RULE.first(self.session, {"seller_id": seller_id}) is not None

    def replace(self, seller_id: str, rules: Sequence[RoutingRule]) -> None:
        for old in self.all(seller_id):
            self.session.expunge(old)
        self.session.execute(delete(routing_rules).where(routing_rules.c.seller_id == seller_id))
        self.session.add_all(rules)


class SqlSupplierRmas:
    def __init__(self, session: Session):
        self.session = session

    def add(self, rma: SupplierRma) -> None:
        self.session.add(rma)

    def get(self, seller_id: str, rma_id: str) -> SupplierRma | None:
        c = supplier_rmas.c
        query = select(SupplierRma).where(c.seller_id == seller_id, c.id == rma_id)
        return self.session.scalars(query).first()

    def for_return(self, seller_id: str, return_id: str) -> SupplierRma | None:
        c = supplier_rmas.c
        query = select(SupplierRma).where(c.seller_id == seller_id, c.return_id == return_id)
        return self.session.scalars(query).first()

    def listed(self, seller_id: str, partner_id: str | None = None) -> list[SupplierRma]:
        c = supplier_rmas.c
        query = select(SupplierRma).where(c.seller_id == seller_id)
        if partner_id is not None:
            query = query.where(c.partner_id == partner_id)
        return list(self.session.scalars(query.order_by(c.requested_at.desc(), c.id.desc())))

    def unanswered(self, limit: int) -> list[SupplierRma]:
        c = supplier_rmas.c
        waiting = [SupplierRmaStatus.REQUESTED, SupplierRmaStatus.ESCALATED]
        query = (
            select(SupplierRma)
            .where(c.status.in_(waiting))
            .order_by(c.requested_at, c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(query))


class SqlPartnerReturns:
    def __init__(self, session: Session):
        self.session = session

    def routed_to(self, seller_id: str, partner_id: str, limit: int) -> list[Return]:
        c = orm.returns.c
        query = (
            select(Return)
            .where(c.seller_id == seller_id, c.partner_id == partner_id)
            .order_by(c.updated_at.desc(), c.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def in_group(self, seller_id: str, group_id: str) -> list[Return]:
        c = orm.returns.c
        query = (
            select(Return).where(c.seller_id == seller_id, c.group_id == group_id).order_by(c.id)
        )
        return list(self.session.scalars(query))


_ANY_RULE = DriverQuery(
    select(routing_rules.c.position)
    .where(routing_rules.c.seller_id == bindparam("seller_id"))
    .limit(1)
)


def routing_reads(seller_id: str) -> list[tuple[DriverQuery, dict[str, str]]]:
    """The read ``SqlRoutingRules.any`` makes, to be asked ahead."""
    return [(_ANY_RULE, {"seller_id": seller_id})]
