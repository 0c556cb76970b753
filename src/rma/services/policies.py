"""Use cases of a seller's return rules: category policies, SKU overrides, reason codes."""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.errors import NotFound
from rma.domain.sellers import (
    AuthorizationMode,
    CategoryPolicy,
    Fault,
    LabelPayer,
    ReasonCode,
    SkuPolicy,
)
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PutPolicy:
    seller_id: str
    category: str
    window_days: int
    returnable: bool = True
    restocking_fee_percent: int = 0
    label_paid_by: LabelPayer = LabelPayer.BY_FAULT


@dataclass(frozen=True)
class PutSkuPolicy:
    seller_id: str
    sku: str
    window_days: int | None = None
    returnable: bool | None = None
    restocking_fee_percent: int | None = None
    label_paid_by: LabelPayer | None = None
    prepaid_label_exempt: bool = False
    exempt_authorization: AuthorizationMode = AuthorizationMode.MANUAL


@dataclass(frozen=True)
class PutReasonCode:
    seller_id: str
    code: str
    description: str
    fault: Fault
    categories: list[str] | None = None
    active: bool = True


def put_policy(cmd: PutPolicy, uow: UnitOfWork) -> CategoryPolicy:
    """Create or replace the policy of one category."""
    with uow:
        _check_seller(uow, cmd.seller_id)
        policy = uow.policies.get(cmd.seller_id, cmd.category)
        if policy is None:
            policy = CategoryPolicy(cmd.seller_id, cmd.category)
            uow.policies.add(policy)
        policy.window_days = cmd.window_days
        policy.returnable = cmd.returnable
        policy.restocking_fee_percent = cmd.restocking_fee_percent
        policy.label_paid_by = cmd.label_paid_by
        uow.commit()
        return policy


def list_policies(seller_id: str, uow: UnitOfWork) -> list[CategoryPolicy]:
    with uow:
        return uow.policies.all(seller_id)


def delete_policy(seller_id: str, category: str, uow: UnitOfWork) -> None:
    """Drop a category's policy: its products follow the seller's return settings again."""
    with uow:
        policy = uow.policies.get(seller_id, category)
        if policy is None:
            raise NotFound(f"no policy for category {category}", code="policy_not_found")
        uow.policies.remove(policy)
        uow.commit()


def put_sku_policy(cmd: PutSkuPolicy, uow: UnitOfWork) -> SkuPolicy:
    """Create or replace the overrides of one SKU."""
    with uow:
        _check_seller(uow, cmd.seller_id)
        policy = uow.sku_policies.get(cmd.seller_id, cmd.sku)
        if policy is None:
            policy = SkuPolicy(cmd.seller_id, cmd.sku)
            uow.sku_policies.add(policy)
        policy.window_days = cmd.window_days
        policy.returnable = cmd.returnable
        policy.restocking_fee_percent = cmd.restocking_fee_percent
        policy.label_paid_by = cmd.label_paid_by
        policy.prepaid_label_exempt = cmd.prepaid_label_exempt
        policy.exempt_authorization = cmd.exempt_authorization
        uow.commit()
        return policy


def list_sku_policies(seller_id: str, uow: UnitOfWork) -> list[SkuPolicy]:
    with uow:
        return uow.sku_policies.all(seller_id)


def delete_sku_policy(seller_id: str, sku: str, uow: UnitOfWork) -> None:
    """Drop a SKU's overrides: its category's policy applies again."""
    with uow:
        policy = uow.sku_policies.get(seller_id, sku)
        if policy is None:
            raise NotFound(f"no policy for SKU {sku}", code="sku_policy_not_found")
        uow.sku_policies.remove(policy)
        uow.commit()


def put_reason_code(cmd: PutReasonCode, uow: UnitOfWork) -> ReasonCode:
    """Create or change a reason code; an inactive one can no longer be chosen."""
    with uow:
        _check_seller(uow, cmd.seller_id)
        reason = uow.reason_codes.get(cmd.seller_id, cmd.code)
        if reason is None:
            reason = ReasonCode(cmd.seller_id, cmd.code, cmd.description, cmd.fault)
            uow.reason_codes.add(reason)
        reason.description = cmd.description
        reason.fault = cmd.fault
        reason.categories = list(cmd.categories) if cmd.categories is not None else None
        reason.active = cmd.active
        uow.commit()
        return reason


def _check_seller(uow: UnitOfWork, seller_id: str) -> None:
    if uow.sellers.get(seller_id) is None:
        raise NotFound(f"no seller {seller_id}", code="seller_not_found")
