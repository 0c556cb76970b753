"""Return-abuse signals: the customer's profile, the seller's rules, and what they decide.

A rule has a stable ``code``, parameters, and an ``effect``; every rule that fires gives a
``Reason`` in plain words. The allow list overrides every rule; the block list denies.
Effects, mildest first::

    inspect_first   no early refund (first scan, receipt, keep-item): wait for inspection
    review          an authorization that would be automatic waits for a person
    deny            the request is denied at once
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from rma.domain.errors import InvalidInput
from rma.domain.events import Event


class RuleCode(StrEnum):
    RETURN_COUNT = "return_count"  # more than max_returns returns within window_days
    RETURN_VALUE = "return_value"  # more than max_value returned within window_days
    RETURN_RATE = "return_rate"  # returns per order above max_percent, once min_orders exist
    BAD_INSPECTIONS = "bad_inspections"  # max_bad or more bad outcomes within window_days
    HIGH_VALUE = "high_value"  # this request is worth min_value or more
    SHARED_ADDRESS = "shared_address"  # more than max_customers emails at one address
    BLOCK_LIST = "block_list"  # the email or address is on the seller's block list


class Effect(StrEnum):
    INSPECT_FIRST = "inspect_first"  # no early refund before inspection
    REVIEW = "review"  # hold for a person, with the reasons
    DENY = "deny"  # deny outright


PARAMETERS: dict[RuleCode, tuple[str, ...]] = {
    RuleCode.RETURN_COUNT: ("window_days", "max_returns"),
    RuleCode.RETURN_VALUE: ("window_days", "max_value"),
    RuleCode.RETURN_RATE: ("min_orders", "max_percent"),
    RuleCode.BAD_INSPECTIONS: ("window_days", "max_bad"),
    RuleCode.HIGH_VALUE: ("min_value",),
    RuleCode.SHARED_ADDRESS: ("max_customers",),
    RuleCode.BLOCK_LIST: (),
}
DEFAULT_EFFECT = {
    RuleCode.HIGH_VALUE: Effect.INSPECT_FIRST,
    RuleCode.BLOCK_LIST: Effect.DENY,
}
_STRENGTH = {Effect.INSPECT_FIRST: 1, Effect.REVIEW: 2, Effect.DENY: 3}


@dataclass(frozen=True)
class Rule:
    """One of the seller's rules, checked when made."""

    code: RuleCode
    effect: Effect
    params: dict[str, int] = field(default_factory=dict)
    enabled: bool = True

    @classmethod
    def make(
        cls, code: str, effect: str | None, params: Mapping[str, Any], enabled: bool = True
    ) -> Rule:
        """A rule from what a seller sent, or ``InvalidInput`` saying what is wrong."""
        try:
            rule_code = RuleCode(code)
        except ValueError:
            known = ", ".join(c.value for c in RuleCode)
            raise InvalidInput(
                f"{code!r} is not a rule code; the codes are {known}",
                code="unknown_risk_rule",
                details=[{"field": "code", "value": code}],
            ) from None
        try:
            rule_effect = Effect(effect) if effect else DEFAULT_EFFECT.get(rule_code, Effect.REVIEW)
        except ValueError:
            raise InvalidInput(
                f"{effect!r} is not an effect; use inspect_first, review or deny",
                code="invalid_risk_effect",
                details=[{"field": "effect", "value": effect}],
            ) from None
        wanted = PARAMETERS[rule_code]
        unknown = sorted(set(params) - set(wanted))
        missing = [name for name in wanted if name not in params]
        if unknown or missing:
            raise InvalidInput(
                f"{rule_code} takes {', '.join(wanted) or 'no parameters'}",
                code="invalid_risk_parameter",
                details=[{"field": "params", "unknown": unknown, "missing": missing}],
            )
        checked = {}
        for name in wanted:
            value = params[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(
                    f"{name} must be a whole number, 0 or more",
                    code="invalid_risk_parameter",
                    details=[{"field": f"params.{name}", "value": value}],
                )
            if name == "window_days" and value < 1:
                raise InvalidInput(
                    "window_days must be at least 1",
                    code="invalid_risk_parameter",
                    details=[{"field": "params.window_days", "value": value}],
                )
            checked[name] = value
        return cls(rule_code, rule_effect, checked, enabled)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "effect": str(self.effect),
            "params": dict(self.params),
            "enabled": self.enabled,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Rule:
        return cls.make(data["code"], data["effect"], data["params"], data.get("enabled", True))


# -- who the customer is ---------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WORDS = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "apartment": "apt",
    "suite": "ste",
    "drive": "dr",
    "lane": "ln",
    "boulevard": "blvd",
}


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text.strip()))


def normalize_email(email: str) -> str:
    """One spelling per mailbox: lower case, no ``+tag``, no dots in a Gmail name."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def normalize_address(address: Mapping[str, Any]) -> str:
    """One spelling per door: street lines, postal code and country, case and marks folded."""
    parts = [
        address.get("line1", ""),
        address.get("line2", ""),
        address.get("postal_code", ""),
        address.get("country", ""),
    ]
    if not str(parts[0]).strip() or not str(parts[3]).strip():
        return ""
    text = unicodedata.normalize("NFKD", " ".join(str(p) for p in parts)).lower()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return "addr:" + " ".join(_WORDS.get(word, word) for word in words)


def list_value(value: Any) -> tuple[str, str]:
    """A block- or allow-list entry: ``("email", normalized)`` or ``("address", normalized)``."""
    if isinstance(value, str) and is_email(value):
        return "email", normalize_email(value)
    if isinstance(value, Mapping):
        normalized = normalize_address(value)
        if normalized:
            return "address", normalized
    raise InvalidInput(
        "a list entry is an email address or a postal address (line1, postal_code, country)",
        code="invalid_list_entry",
        details=[{"field": "value"}],
    )


@dataclass(frozen=True)
class PastReturn:
    """One earlier return of the customer (by email or at the address), as the profile needs."""

    return_id: str
    email: str
    status: str
    created_at: datetime
    value: int
    rejected_units: int = 0
    wrong_item: int = 0
    empty_box: int = 0
    sku_mismatch: int = 0

    @property
    def bad_outcomes(self) -> int:
        return self.rejected_units + self.wrong_item + self.empty_box + self.sku_mismatch


@dataclass(frozen=True)
class Profile:
    """What the seller knows of one customer: by normalized email and shipping address."""

    email: str
    address: str
    orders: int
    returns: int
    value_returned: int
    rejected_units: int
    wrong_item: int
    empty_box: int
    sku_mismatch: int
    cancels: int
    expiries: int
    customers_at_address: int

    @property
    def return_rate(self) -> float:
        """Returns per order, in percent (0 with no orders)."""
        return round(100 * self.returns / self.orders, 1) if self.orders else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "address": self.address,
            "orders": self.orders,
            "returns": self.returns,
            "return_rate": self.return_rate,
            "value_returned": self.value_returned,
            "rejected_units": self.rejected_units,
            "wrong_item": self.wrong_item,
            "empty_box": self.empty_box,
            "sku_mismatch": self.sku_mismatch,
            "cancels": self.cancels,
            "expiries": self.expiries,
            "customers_at_address": self.customers_at_address,
        }


def profile_of(email: str, address: str, orders: int, past: Sequence[PastReturn]) -> Profile:
    """The profile made of the customer's past returns."""
    return Profile(
        email=email,
        address=address,
        orders=orders,
        returns=len(past),
        value_returned=sum(p.value for p in past),
        rejected_units=sum(p.rejected_units for p in past),
        wrong_item=sum(p.wrong_item for p in past),
        empty_box=sum(p.empty_box for p in past),
        sku_mismatch=sum(p.sku_mismatch for p in past),
        cancels=sum(1 for p in past if p.status == "cancelled"),
        expiries=sum(1 for p in past if p.status == "expired"),
        customers_at_address=len({normalize_email(p.email) for p in past} | {email}),
    )


# -- what the rules decide -------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a rule fired, in the seller's words."""

    code: str
    effect: str
    explanation: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "effect": self.effect, "explanation": self.explanation}


@dataclass(frozen=True)
class Assessment:
    """Every reason found (none when allow-listed), and the strongest effect among them."""

    reasons: tuple[Reason, ...] = ()
    allow_listed: bool = False

    @property
    def effect(self) -> Effect | None:
        effects = [Effect(r.effect) for r in self.reasons]
        return max(effects, key=_STRENGTH.__getitem__) if effects else None

    @property
    def denies(self) -> bool:
        return self.effect is Effect.DENY

    @property
    def holds(self) -> bool:
        return self.effect is Effect.REVIEW

    @property
    def withholds_early_refund(self) -> bool:
        return self.effect is not None

    def explanation(self) -> str:
        return " ".join(r.explanation for r in self.reasons)


@dataclass(frozen=True)
class Request:
    """The request being assessed, with what the lists say of its customer."""

    value: int
    now: datetime
    allowed: bool = False
    blocked: str = ""  # the block-listed value that matched, if any


def assess(
    rules: Iterable[Rule], profile: Profile, past: Sequence[PastReturn], req: Request
) -> Assessment:
    """Check every enabled rule against the profile and this request."""
    if req.allowed:
        return Assessment((), allow_listed=True)
    reasons = []
    for rule in rules:
        if rule.enabled:
            why = _fires(rule, profile, past, req)
            if why:
                reasons.append(Reason(str(rule.code), str(rule.effect), why))
    if req.blocked and not any(r.code == RuleCode.BLOCK_LIST for r in reasons):
        # The block list denies even when the seller set no block_list rule.
        reasons.append(Reason(RuleCode.BLOCK_LIST, Effect.DENY, _blocked(req.blocked)))
    return Assessment(tuple(reasons))


def _within(past: Sequence[PastReturn], days: int, now: datetime) -> list[PastReturn]:
    since = now - timedelta(days=days)
    return [p for p in past if p.created_at >= since]


def _money(minor: int) -> str:
    return f"{minor / 100:,.2f}"


def _blocked(value: str) -> str:
    what = "address" if value.startswith("addr:") else "email address"
    return f"The customer's {what} is on your block list."


def _fires(rule: Rule, profile: Profile, past: Sequence[PastReturn], req: Request) -> str:
    p, code = rule.params, rule.code
    if code is RuleCode.RETURN_COUNT:
        recent = len(_within(past, p["window_days"], req.now)) + 1
        if recent > p["max_returns"]:
            return (
                f"This is the customer's return number {recent} in {p['window_days']} days; "
                f"more than {p['max_returns']} is held."
            )
    elif code is RuleCode.RETURN_VALUE:
        total = sum(r.value for r in _within(past, p["window_days"], req.now)) + req.value
        if total > p["max_value"]:
            return (
                f"The customer has returned {_money(total)} in {p['window_days']} days, "
                f"counting this request; the limit is {_money(p['max_value'])}."
            )
    elif code is RuleCode.RETURN_RATE:
        if profile.orders >= p["min_orders"] and profile.return_rate > p["max_percent"]:
            return (
                f"The customer returned {profile.returns} of {profile.orders} orders "
                f"({profile.return_rate:g}%), above {p['max_percent']}%."
            )
    elif code is RuleCode.BAD_INSPECTIONS:
        bad = sum(r.bad_outcomes for r in _within(past, p["window_days"], req.now))
        if bad >= p["max_bad"] > 0:
            return (
                f"{bad} returned units of this customer failed inspection (rejected, wrong "
                f"item, SKU mismatch or empty box) in {p['window_days']} days."
            )
    elif code is RuleCode.HIGH_VALUE:
        if req.value >= p["min_value"]:
            return f"This request is worth {_money(req.value)}, at least {_money(p['min_value'])}."
    elif code is RuleCode.SHARED_ADDRESS:
        if profile.address and profile.customers_at_address > p["max_customers"]:
            return (
                f"{profile.customers_at_address} different customers return from this "
                f"address; more than {p['max_customers']} is held."
            )
    elif code is RuleCode.BLOCK_LIST and req.blocked:
        return _blocked(req.blocked)
    return ""


class ReturnHeld(Event):
    """A risk rule held, denied or marked a return; ``data.reasons`` says why."""

    type = "return.held"


@dataclass(eq=False)
class RiskSettings:
    """A seller's rules and lists, kept together: one row read with the customer's profile."""

    seller_id: str
    rules: list[dict[str, Any]]
    allow: list[dict[str, Any]]  # [{id, kind, value, note}]
    block: list[dict[str, Any]]
    updated_at: datetime

    def parsed_rules(self) -> list[Rule]:
        return [Rule.of(data) for data in self.rules]

    def matches(self, listed: list[dict[str, Any]], values: Iterable[str]) -> str:
        wanted = {v for v in values if v}
        return next((e["value"] for e in listed if e["value"] in wanted), "")


@dataclass(eq=False)
class ReturnRisk:
    """What the rules decided for one return, kept for the desk, the queue and refunds."""

    return_id: str
    seller_id: str
    customer: str  # normalized email
    address: str  # normalized shipping address, "" when unknown
    value: int
    effect: str  # "" when nothing fired
    reasons: list[dict[str, str]]
    reason_codes: str  # " code1 code2 ", for the review queue's filter
    decided_at: datetime

    @property
    def withholds_early_refund(self) -> bool:
        return bool(self.effect)
