"""Routing rules: where each returned item goes, first matching rule wins, explained.

Rules are ordered by ``position``. A rule matches an item when every condition it sets holds
(conditions it leaves empty match anything). An item no rule matches goes to the seller's
default return address. Items of one request bound for different destinations are split into
one return (one authorization, one label) per destination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from rma.domain.errors import InvalidInput
from rma.domain.sellers import Fault


class DestinationKind(StrEnum):
    ADDRESS = "address"  # one of the seller's own saved return addresses
    FACILITY = "facility"  # one of the seller's facilities (its own warehouse)
    PARTNER = "partner"  # a supplier or a 3PL, at its address or facility


@dataclass(frozen=True)
class Destination:
    """Where items go: a kind and the id or code it names."""

    kind: DestinationKind
    ref: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


@dataclass(frozen=True)
class RuleConditions:
    """What an item must be for a rule to take it; empty conditions match anything."""

    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    supplier_id: str | None = None  # the partner that supplied the item (dropship)
    shipped_from: str | None = None  # the facility code the order's shipment left from
    countries: tuple[str, ...] = ()  # the customer's country (ISO 3166-1 alpha-2)
    regions: tuple[str, ...] = ()  # the customer's state or province code
    min_value: int | None = None  # the item's value (units x price), minor units
    max_value: int | None = None
    fault: Fault | None = None  # whose fault the reason is

    def __post_init__(self) -> None:
        low, high = self.min_value, self.max_value
        if (low is not None and low < 0) or (high is not None and high < 0):
            raise InvalidInput("values are 0 or more", details=[{"field": "conditions"}])
        if low is not None and high is not None and low > high:
            raise InvalidInput(
                "min_value is above max_value", details=[{"field": "conditions.min_value"}]
            )

    def as_dict(self) -> dict[str, Any]:
        raw = asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in raw.items()}

    @classmethod
    def of(cls, raw: dict[str, Any]) -> RuleConditions:
        fault = raw.get("fault")
        return cls(
            skus=tuple(raw.get("skus") or ()),
            categories=tuple(raw.get("categories") or ()),
            supplier_id=raw.get("supplier_id"),
            shipped_from=raw.get("shipped_from"),
            countries=tuple(raw.get("countries") or ()),
            regions=tuple(raw.get("regions") or ()),
            min_value=raw.get("min_value"),
            max_value=raw.get("max_value"),
            fault=Fault(fault) if fault else None,
        )

    def matches(self, facts: ItemFacts) -> bool:
        """Whether every condition set holds for ``facts``."""
        checks = [
            not self.skus or facts.sku in self.skus,
            not self.categories or facts.category in self.categories,
            self.supplier_id is None or facts.supplier_id == self.supplier_id,
            self.shipped_from is None or facts.shipped_from == self.shipped_from,
            not self.countries or (facts.country or "").upper() in self.countries,
            not self.regions or (facts.region or "").upper() in self.regions,
            self.min_value is None or facts.value >= self.min_value,
            self.max_value is None or facts.value <= self.max_value,
            self.fault is None or facts.fault is self.fault,
        ]
        return all(checks)

    def explain(self, currency: str = "", names: Mapping[str, str] | None = None) -> str:
        """The conditions in words, for the return's page and the desk (partners by name)."""
        said = []
        if self.skus:
            said.append("SKU " + " or ".join(self.skus))
        if self.categories:
            said.append("category " + " or ".join(self.categories))
        if self.supplier_id:
            said.append(f"supplied by {(names or {}).get(self.supplier_id, self.supplier_id)}")
        if self.shipped_from:
            said.append(f"shipped from {self.shipped_from}")
        if self.countries:
            said.append("customer in " + " or ".join(self.countries))
        if self.regions:
            said.append("customer's region " + " or ".join(self.regions))
        if self.min_value is not None:
            said.append(f"worth at least {_amount(self.min_value, currency)}")
        if self.max_value is not None:
            said.append(f"worth at most {_amount(self.max_value, currency)}")
        if self.fault is not None:
            said.append(f"{self.fault}'s fault")
        return ", ".join(said) or "every item"


@dataclass(eq=False)
class RoutingRule:
    """One of a seller's ordered rules: items matching ``conditions`` go to ``destination``."""

    id: str
    seller_id: str
    position: int
    name: str
    conditions: RuleConditions
    destination: Destination
    created_at: datetime


@dataclass(frozen=True)
class ItemFacts:
    """What routing knows of one returned item."""

    key: str  # the order line it comes from
    sku: str
    value: int
    category: str | None = None
    supplier_id: str | None = None
    shipped_from: str | None = None
    country: str | None = None
    region: str | None = None
    fault: Fault | None = None


@dataclass(frozen=True)
class Route:
    """Where an item goes and why: the rule that matched, or none (the seller's default)."""

    destination: Destination | None
    rule_id: str | None
    rule_name: str
    explanation: str

    @property
    def key(self) -> str:
        return str(self.destination) if self.destination else "default"


DEFAULT_ROUTE = Route(None, None, "", "no rule matched: the seller's default return address")


def route_item(
    rules: Sequence[RoutingRule],
    facts: ItemFacts,
    currency: str = "",
    names: Mapping[str, str] | None = None,
) -> Route:
    """The first rule (by position) that matches ``facts``, as a route with its reason."""
    for rule in sorted(rules, key=lambda r: r.position):
        if rule.conditions.matches(facts):
            said = rule.conditions.explain(currency, names)
            why = f"rule {rule.position} \u201c{rule.name}\u201d: {said}"
            return Route(rule.destination, rule.id, rule.name, why)
    return DEFAULT_ROUTE


@dataclass
class Leg:
    """Items of one request bound for one destination: one return authorization."""

    route: Route
    keys: list[str] = field(default_factory=list)


def split_by_destination(
    rules: Sequence[RoutingRule],
    items: Sequence[ItemFacts],
    currency: str = "",
    names: Mapping[str, str] | None = None,
) -> list[Leg]:
    """Items grouped by where they go, in the order their destinations first appear."""
    legs: dict[str, Leg] = {}
    for facts in items:
        route = route_item(rules, facts, currency, names)
        legs.setdefault(route.key, Leg(route)).keys.append(facts.key)
    return list(legs.values())


def _amount(minor: int, currency: str) -> str:
    return f"{minor / 100:.2f} {currency}".strip()
