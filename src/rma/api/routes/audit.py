"""The audit trail over HTTP: list entries, verify the chains (admins), the public key (all)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from rma.adapters.audit_chain import EntryFilter
from rma.api.deps import ContainerDep, PrincipalDep
from rma.api.schemas.audit import (
    AuditEntriesPublic,
    AuditEntryPublic,
    AuditPublicKey,
    AuditVerificationPublic,
)
from rma.domain.access import Principal, Role
from rma.domain.errors import Forbidden
from rma.services.audit import audit_seller, verify_audit
from rma.trust_wiring import audit_chains, audit_keys

router = APIRouter(prefix="/v1", tags=["audit"])

SellerQuery = Annotated[
    str | None,
    Query(max_length=40, description="Platform admin: whose trail (else the platform's)"),
]


def _admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden("the audit trail is for admin keys")


@router.get(
    "/audit",
    operation_id="audit-list",
    response_model=AuditEntriesPublic,
    summary="Audit entries, newest first, with filters (admin)",
)
def list_audit(
    container: ContainerDep,
    principal: PrincipalDep,
    seller_id: SellerQuery = None,
    entity: Annotated[str | None, Query(max_length=64, description="A table, e.g. returns")] = None,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(pattern="^(insert|update|delete)$")] = None,
    actor: Annotated[str | None, Query(max_length=160, description="e.g. seller:key_...")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditEntriesPublic:
    _admin(principal)
    wanted = EntryFilter(
        audit_seller(principal.seller_id, seller_id),
        entity,
        entity_id,
        action,
        actor,
        since,
        until,
        cursor,
        limit,
    )
    rows = audit_chains(container).entries(wanted)
    data = [AuditEntryPublic.of(row) for row in rows]
    return AuditEntriesPublic(data=data, next_cursor=data[-1].id if len(data) == limit else None)


@router.get(
    "/audit/verify",
    operation_id="audit-verify",
    response_model=AuditVerificationPublic,
    summary="Check the seller's chain: the first altered, deleted, inserted or moved entry (admin)",
)
def verify(
    container: ContainerDep, principal: PrincipalDep, seller_id: SellerQuery = None
) -> AuditVerificationPublic:
    _admin(principal)
    whose = audit_seller(principal.seller_id, seller_id)
    found = verify_audit(
        audit_chains(container),
        audit_keys(container),
        whose,
        container.settings.retention_history_months,
    )
    chains = [v.as_dict() for v in found]
    return AuditVerificationPublic.model_validate(
        {"ok": all(c["ok"] for c in chains), "chains": chains}
    )


@router.get(
    "/audit/public-key",
    operation_id="audit-public-key",
    response_model=AuditPublicKey,
    summary="The Ed25519 key that signs audit checkpoints (public)",
)
def public_key(container: ContainerDep) -> AuditPublicKey:
    keys = audit_keys(container)
    return AuditPublicKey(
        algorithm="Ed25519",
        key_id=keys.key_id,
        public_key=keys.public_raw,
        public_key_pem=keys.public_pem,
    )
