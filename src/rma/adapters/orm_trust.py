"""Tables of trust: the audit trail (entries, chain heads, signed checkpoints) and risk rules.

Audit entries are written unsealed (``seq`` and ``hash`` empty) in the transaction of the
change; the sealer gives each seller's entries their place in the chain later, so writers
never wait on one another for a chain head.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, String, Table, Text
from sqlalchemy.orm import registry

from rma.adapters.orm import ID, UtcDateTime, metadata, orders, returns
from rma.domain.risk import ReturnRisk, RiskSettings

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("id", ID, primary_key=True),  # time-ordered: the order the sealer takes them in
    Column("seller_id", ID, primary_key=True),  # "" for the platform's own chain
    Column("entity", String(64), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor", String(160), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("body", Text, nullable=False),  # the canonical JSON the hash commits to
    Column("seq", BigInteger),  # place in the seller's chain, once sealed
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
    Index("ix_audit_entries_seller_id_seq", "seller_id", "seq"),
    Index("ix_audit_entries_seller_id_entity_entity_id", "seller_id", "entity", "entity_id"),
    Index("ix_audit_entries_seller_id_occurred_at", "seller_id", "occurred_at"),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("sealed_at", UtcDateTime, nullable=False),
)

# Since when live rows are held to the trail (one row, ``what`` = "rows"): set by the
# migration that began it, so rows and entries written before, in an earlier form, are not.
audit_holds = Table(
    "audit_holds",
    metadata,
    Column("what", String(32), primary_key=True),
    Column("since", UtcDateTime, nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
    Index("ix_audit_checkpoints_seller_id_seq", "seller_id", "seq"),
)

risk_settings = Table(
    "risk_settings",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("rules", JSON, nullable=False),
    Column("allow", JSON, nullable=False),
    Column("block", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

return_risk = Table(
    "return_risk",
    metadata,
    Column("return_id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("customer", String(320), nullable=False),  # the normalized email
    Column("address", String(400), nullable=False),  # the normalized shipping address, or ""
    Column("value", BigInteger, nullable=False),
    Column("effect", String(16), nullable=False),  # the strongest effect, "" when none fired
    Column("reasons", JSON, nullable=False),  # [{code, effect, explanation}]
    Column("reason_codes", String(400), nullable=False),  # " code1 code2 " for filtering
    Column("decided_at", UtcDateTime, nullable=False),
    Index("ix_return_risk_seller_id_reason_codes", "seller_id", "reason_codes"),
    Index("ix_return_risk_seller_id_address", "seller_id", "address"),
)

# The profile is read with one query over the customer's returns (and a count of orders):
# these indexes keep that query to the customer's own rows.
Index(
    "ix_returns_seller_id_customer_email_created_at",
    returns.c.seller_id,
    returns.c.customer_email,
    returns.c.created_at,
)
Index("ix_orders_seller_id_customer_email", orders.c.seller_id, orders.c.customer_email)


def map_trust(mapper_registry: registry) -> None:
    """Map the risk classes (audit entries are written and read as plain rows)."""
    mapper_registry.map_imperatively(RiskSettings, risk_settings)
    mapper_registry.map_imperatively(ReturnRisk, return_risk, primary_key=[return_risk.c.return_id])
