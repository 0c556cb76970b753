"""Use cases of return-abuse signals: set rules and lists, assess a request, read profiles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rma.domain.errors import NotFound
from rma.domain.ids import new_id
from rma.domain.orders import Order
from rma.domain.returns import SYSTEM, DenyReason, HistoryEntry, Return
from rma.domain.risk import (
    Assessment,
    Effect,
    Profile,
    Request,
    ReturnHeld,
    ReturnRisk,
    RiskSettings,
    Rule,
    assess,
    list_value,
    normalize_address,
    normalize_email,
    profile_of,
)
from rma.domain.statuses import ReturnStatus
from rma.services.clock import utcnow
from rma.services.risk_ports import RiskRepository
from rma.services.unit_of_work import CustomerKeys, UnitOfWork

# Effects under which an authorization that is due to be automatic still is.
RISK_LETS_AUTHORIZE = frozenset({None, Effect.INSPECT_FIRST})
DENIED_NOTE = "This return cannot be accepted. Please contact the seller."


def _risk(uow: UnitOfWork) -> RiskRepository:
    return uow.risk


# -- the seller's rules and lists -------------------------------------------------------------


@dataclass(frozen=True)
class SetRiskRule:
    seller_id: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    effect: str | None = None
    enabled: bool = True


def set_risk_rule(cmd: SetRiskRule, uow: UnitOfWork) -> Rule:
    """Add or replace one rule of the seller (checked first: a bad one is a 422)."""
    rule = Rule.make(cmd.code, cmd.effect, cmd.params, cmd.enabled)
    with uow:
        settings = _settings_for_change(uow, cmd.seller_id)
        others = [r for r in settings.rules if r["code"] != rule.code]
        settings.rules = [*others, rule.as_dict()]
        settings.updated_at = utcnow()
        uow.commit()
    return rule


def remove_risk_rule(seller_id: str, code: str, uow: UnitOfWork) -> None:
    with uow:
        settings = _risk(uow).settings(seller_id)
        if settings is None or not any(r["code"] == code for r in settings.rules):
            raise NotFound(f"no rule {code}", code="risk_rule_not_found")
        settings.rules = [r for r in settings.rules if r["code"] != code]
        settings.updated_at = utcnow()
        uow.commit()


@dataclass(frozen=True)
class AddListEntry:
    seller_id: str
    list: str  # allow | block
    value: Any  # an email, or an address object
    note: str = ""


def add_list_entry(cmd: AddListEntry, uow: UnitOfWork) -> dict[str, Any]:
    """Put an email or an address on the seller's allow or block list (normalized)."""
    kind, value = list_value(cmd.value)
    entry = {"id": new_id("rle"), "kind": kind, "value": value, "note": cmd.note}
    with uow:
        settings = _settings_for_change(uow, cmd.seller_id)
        if cmd.list == "allow":
            settings.allow = [*settings.allow, entry]
        else:
            settings.block = [*settings.block, entry]
        settings.updated_at = utcnow()
        uow.commit()
    return {**entry, "list": cmd.list}


def remove_list_entry(seller_id: str, entry_id: str, uow: UnitOfWork) -> None:
    with uow:
        settings = _risk(uow).settings(seller_id)
        listed = [*(settings.allow if settings else []), *(settings.block if settings else [])]
        if settings is None or not any(e["id"] == entry_id for e in listed):
            raise NotFound(f"no list entry {entry_id}", code="list_entry_not_found")
        settings.allow = [e for e in settings.allow if e["id"] != entry_id]
        settings.block = [e for e in settings.block if e["id"] != entry_id]
        settings.updated_at = utcnow()
        uow.commit()


def get_risk_settings(seller_id: str, uow: UnitOfWork) -> RiskSettings:
    with uow:
        found = _risk(uow).settings(seller_id)
        return found or RiskSettings(seller_id, [], [], [], utcnow())


def _settings_for_change(uow: UnitOfWork, seller_id: str) -> RiskSettings:
    settings = _risk(uow).settings(seller_id)
    if settings is None:
        settings = RiskSettings(seller_id, [], [], [], utcnow())
        _risk(uow).add_settings(settings)
    return settings


# -- assessing a request, in the request's transaction ----------------------------------------


def order_address(order: Order) -> dict[str, Any] | None:
    """The order's shipping address when orders carry one (the customer portal adds it)."""
    address = getattr(order, "shipping_address", None)
    if address is None:
        return None
    if isinstance(address, dict):
        return address
    as_dict = getattr(address, "as_dict", None)
    return as_dict() if callable(as_dict) else None


def customer_keys(order: Order) -> CustomerKeys:
    """The order's customer as the rules know one: the email as given and normalized, and
    the normalized shipping address ("" when the order has none)."""
    shipped_to = order_address(order)
    address = normalize_address(shipped_to) if shipped_to else ""
    return sorted({order.customer_email, normalize_email(order.customer_email)}), address


def assess_request(uow: UnitOfWork, order: Order, ret: Return, now: datetime) -> Assessment:
    """Check the seller's rules against the customer; record the decision with the return.

    One statement reads the rules, the lists and the customer's past returns; a seller with
    no rules pays that one indexed read and nothing else. The return is new, not written
    yet: the history excludes nothing, and a request reads it ahead with its other reads.
    """
    emails, address = customer_keys(order)
    email = normalize_email(order.customer_email)
    context = _risk(uow).context(ret.seller_id, emails, address)
    value = sum(item.unit_price * item.requested_quantity for item in ret.items)
    if context is None:
        return Assessment()
    settings = context.settings
    request = Request(
        value=value,
        now=now,
        allowed=bool(settings.matches(settings.allow, (email, address))),
        blocked=settings.matches(settings.block, (email, address)),
    )
    profile = profile_of(email, address, context.orders, context.past)
    found = assess(settings.parsed_rules(), profile, context.past, request)
    if not found.reasons and not address:
        return found  # nothing to show, and no address for later profiles to match
    codes = " ".join(r.code for r in found.reasons)
    _risk(uow).record(
        ReturnRisk(
            return_id=ret.id,
            seller_id=ret.seller_id,
            customer=email,
            address=address,
            value=value,
            effect=str(found.effect or ""),
            reasons=[r.as_dict() for r in found.reasons],
            reason_codes=f" {codes} " if codes else "",
            decided_at=now,
        )
    )
    return found


def apply_assessment(ret: Return, found: Assessment, now: datetime) -> None:
    """Hold a return that was sent to review, or deny it; say so in its history and events."""
    if found.effect is None:
        return
    if found.denies:
        ret.deny(reason=DenyReason.OTHER, note=DENIED_NOTE, actor=SYSTEM, now=now)
    elif found.holds and ret.status is ReturnStatus.PENDING_REVIEW:
        # Customers read the history: the reasons stay on the desk, the note only says "held".
        ret.history.append(
            HistoryEntry(now, "system:risk", "hold", ret.status, ret.status, "held for review")
        )
    data = {"effect": str(found.effect), "reasons": [r.as_dict() for r in found.reasons]}
    ret.events.append(ReturnHeld(ret.seller_id, ret.id, now, data))


def early_refund_withheld(uow: UnitOfWork, ret: Return) -> bool:
    """Whether a risk decision keeps this return's refund until a person inspects it."""
    decision = _risk(uow).for_return(ret.seller_id, ret.id)
    return decision is not None and decision.withholds_early_refund


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnRiskView:
    decision: ReturnRisk | None
    profile: Profile


def customer_profile(seller_id: str, email: str, uow: UnitOfWork, address: str = "") -> Profile:
    """The seller's profile of a customer, by email (and address when known)."""
    normalized = normalize_email(email)
    with uow:
        emails = sorted({email, normalized})
        context = _risk(uow).context(seller_id, emails, address, with_settings=False)
        assert context is not None  # without settings, the history alone is always read
        return profile_of(normalized, address, context.orders, context.past)


def return_risk_view(seller_id: str, ret: Return, uow: UnitOfWork) -> ReturnRiskView:
    with uow:
        decision = _risk(uow).for_return(seller_id, ret.id)
    address = decision.address if decision else ""
    profile = customer_profile(seller_id, ret.customer_email, uow, address)
    return ReturnRiskView(decision, profile)


def review_queue(
    seller_id: str, reason: str | None, uow: UnitOfWork, limit: int = 100
) -> list[ReturnRisk]:
    """Returns held by a rule and still waiting for review, optionally for one reason code."""
    with uow:
        return _risk(uow).held(seller_id, reason, limit)
