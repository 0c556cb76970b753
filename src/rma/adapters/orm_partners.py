"""Tables of suppliers and 3PLs: partners, routing rules, supplier RMAs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Dialect,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import registry

from rma.adapters.orm import ID, AddressType, UtcDateTime, _enum, metadata
from rma.domain.partners import Partner, PartnerKind, Remedy, ShippingPayer, SupplierTerms
from rma.domain.routing import Destination, DestinationKind, RoutingRule, RuleConditions
from rma.domain.supplier_rmas import SupplierOutcome, SupplierRma, SupplierRmaStatus


class TermsType(TypeDecorator[SupplierTerms]):
    """A supplier's terms kept as a JSON object."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: SupplierTerms | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return {
            "window_days": value.window_days,
            "shipping_paid_by": str(value.shipping_paid_by),
            "restocking_fee_percent": value.restocking_fee_percent,
            "remedy": str(value.remedy),
            "answer_hours": value.answer_hours,
        }

    def process_result_value(self, value: Any, dialect: Dialect) -> SupplierTerms | None:
        if value is None:
            return None
        return SupplierTerms(
            window_days=int(value["window_days"]),
            shipping_paid_by=ShippingPayer(value["shipping_paid_by"]),
            restocking_fee_percent=int(value["restocking_fee_percent"]),
            remedy=Remedy(value["remedy"]),
            answer_hours=int(value["answer_hours"]),
        )


class ConditionsType(TypeDecorator[RuleConditions]):
    """A rule's conditions kept as a JSON object."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: RuleConditions | None, dialect: Dialect) -> Any:
        return value.as_dict() if value is not None else None

    def process_result_value(self, value: Any, dialect: Dialect) -> RuleConditions | None:
        return RuleConditions.of(value) if value is not None else None


class DestinationType(TypeDecorator[Destination]):
    """A rule's destination kept as ``{"kind", "ref"}``."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Destination | None, dialect: Dialect) -> Any:
        return {"kind": str(value.kind), "ref": value.ref} if value is not None else None

    def process_result_value(self, value: Any, dialect: Dialect) -> Destination | None:
        if value is None:
            return None
        return Destination(DestinationKind(value["kind"]), str(value["ref"]))


partners = Table(
    "partners",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("kind", _enum(PartnerKind), nullable=False),
    Column("name", String(200), nullable=False),
    Column("contact_email", String(320), nullable=False),
    Column("address", AddressType),
    Column("facility_code", String(40)),
    Column("skus", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("terms", TermsType, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("seller_id", "id"),
    Index("ix_partners_seller_id_kind", "seller_id", "kind"),
)

routing_rules = Table(
    "routing_rules",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("conditions", ConditionsType, nullable=False),
    Column("destination", DestinationType, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_routing_rules_seller_id_position", "seller_id", "position"),
)

supplier_rmas = Table(
    "supplier_rmas",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, nullable=False),
    Column("partner_id", ID, nullable=False),
    Column("status", _enum(SupplierRmaStatus), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("remedy", _enum(Remedy), nullable=False),
    Column("expected_credit", BigInteger, nullable=False),
    Column("received_credit", BigInteger, nullable=False),
    Column("supplier_rma_number", String(32)),
    Column("supplier_address", AddressType),
    Column("refusal_reason", Text, nullable=False),
    Column("outcome", _enum(SupplierOutcome)),
    Column("outcome_note", Text, nullable=False),
    Column("credit_memo", String(100), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("reminded_at", UtcDateTime),
    Column("escalated_at", UtcDateTime),
    Column("answered_at", UtcDateTime),
    Column("resolved_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    ForeignKeyConstraint(["seller_id", "return_id"], ["returns.seller_id", "returns.id"]),
    ForeignKeyConstraint(["seller_id", "partner_id"], ["partners.seller_id", "partners.id"]),
    UniqueConstraint("seller_id", "return_id"),
    Index("ix_supplier_rmas_seller_id_partner_id", "seller_id", "partner_id"),
    Index("ix_supplier_rmas_status_requested_at", "status", "requested_at"),
)


def map_partners(mapper_registry: registry) -> None:
    """Map partners, rules and supplier RMAs (called once by ``start_mappers``)."""
    mapper_registry.map_imperatively(Partner, partners, primary_key=[partners.c.id])
    mapper_registry.map_imperatively(RoutingRule, routing_rules, primary_key=[routing_rules.c.id])
    mapper_registry.map_imperatively(
        SupplierRma,
        supplier_rmas,
        primary_key=[supplier_rmas.c.id],
        version_id_col=supplier_rmas.c.version,
    )
    event.listen(SupplierRma, "load", _fresh_event_list)


def _fresh_event_list(rma: SupplierRma, _context: object) -> None:
    # Loaded rows skip __init__, so the transient event list has to be made here.
    rma.events = []
