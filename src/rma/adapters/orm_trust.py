"""Tables of trust: the audit trail (entries, chain heads, signed checkpoints) and risk rules.

Audit entries are written unsealed (``seq`` and ``hash`` empty) in the transaction of the
change; the sealer gives each seller's entries their place in the chain later, so writers
never wait on one another for a chain head.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, String, Table, Text

from rma.adapters.orm import ID, UtcDateTime, metadata, orders, returns

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("id", ID, primary_key=True),  # time-ordered: the order the sealer takes them in
    Column("seller_id", ID, nullable=False),  # "" for the platform's own chain
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

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
    Index("ix_audit_checkpoints_seller_id_seq", "seller_id", "seq"),
)

risk_rules = Table(
    "risk_rules",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("code", String(40), primary_key=True),
    Column("effect", String(32), nullable=False),
    Column("params", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

risk_list_entries = Table(
    "risk_list_entries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, nullable=False),
    Column("list", String(8), nullable=False),  # allow | block
    Column("kind", String(8), nullable=False),  # email | address
    Column("value", String(400), nullable=False),  # normalized
    Column("note", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_risk_list_entries_seller_id_value", "seller_id", "value"),
)

return_risk = Table(
    "return_risk",
    metadata,
    Column("return_id", ID, primary_key=True),
    Column("seller_id", ID, nullable=False),
    Column("customer", String(400), nullable=False),  # the normalized email
    Column("held", Boolean, nullable=False),
    Column("reasons", JSON, nullable=False),  # [{code, effect, explanation}]
    Column("reason_codes", String(400), nullable=False),  # " code1 code2 " for filtering
    Column("decided_at", UtcDateTime, nullable=False),
    Index("ix_return_risk_seller_id_reason_codes", "seller_id", "reason_codes"),
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
