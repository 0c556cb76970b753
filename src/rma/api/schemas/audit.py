"""Schemas of the audit trail: entries, a page of them, and what verification found."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel


class AuditEntryPublic(BaseModel):
    """One change: who, what, when, before and after (secrets only say they changed)."""

    id: str
    seller_id: str
    seq: int | None  # place in the seller's chain; null until the sealer has chained it
    entity: str
    entity_id: str
    action: str
    actor: str
    actor_name: str
    at: str
    before: dict[str, Any]
    after: dict[str, Any]
    hash: str | None

    @classmethod
    def of(cls, row: Any) -> AuditEntryPublic:
        # Shown from the body the hash commits to, not from the columns kept for filtering.
        body = json.loads(row.body)
        return cls(
            id=body["id"],
            seller_id=body["seller_id"],
            seq=row.seq,
            entity=body["entity"],
            entity_id=body["entity_id"],
            action=body["action"],
            actor=body["actor"],
            actor_name=body.get("actor_name", ""),
            at=body["at"],
            before=body["before"],
            after=body["after"],
            hash=row.hash,
        )


class AuditEntriesPublic(BaseModel):
    data: list[AuditEntryPublic]
    next_cursor: str | None


class AuditBreakPublic(BaseModel):
    entry_id: str | None
    seq: int | None
    problem: str  # inserted | missing | reordered | altered | checkpoint_mismatch | bad_signature
    message: str


class AuditChainPublic(BaseModel):
    seller_id: str
    ok: bool
    entries: int
    head: str
    unsealed: int
    checkpoints: int
    history_rows: int  # the returns' history rows checked against their entries
    returns: int  # the returns whose columns were checked against their entries
    first_bad: AuditBreakPublic | None


class AuditVerificationPublic(BaseModel):
    ok: bool
    chains: list[AuditChainPublic]


class AuditPublicKey(BaseModel):
    algorithm: str
    key_id: str
    public_key: str  # the raw 32 bytes, base64
    public_key_pem: str
