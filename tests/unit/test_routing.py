"""Routing rules: first match wins, every condition counts, and the route explains itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rma.domain.errors import InvalidInput
from rma.domain.routing import (
    DEFAULT_ROUTE,
    Destination,
    DestinationKind,
    ItemFacts,
    RoutingRule,
    RuleConditions,
    route_item,
    split_by_destination,
)
from rma.domain.sellers import Fault

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOME = Destination(DestinationKind.FACILITY, "WH1")
ACME = Destination(DestinationKind.PARTNER, "ptn_acme")
FUL = Destination(DestinationKind.PARTNER, "ptn_ful")


def rule(position: int, name: str, destination: Destination, **when: object) -> RoutingRule:
    conditions = RuleConditions(**when)
    return RoutingRule(f"rule_{position}", "sel_1", position, name, conditions, destination, NOW)


def facts(key: str, sku: str, value: int = 1000, **more: object) -> ItemFacts:
    return ItemFacts(key, sku, value, **more)


RULES = [
    rule(2, "Expensive goes home", HOME, min_value=50_000),
    rule(1, "Dropshipped by Acme", ACME, supplier_id="ptn_acme"),
    rule(3, "EU shoes to the 3PL", FUL, categories=("shoes",), countries=("DE", "FR")),
]


def test_the_first_matching_rule_by_position_wins() -> None:
    expensive_dropship = facts("1", "MUG", 90_000, supplier_id="ptn_acme")
    route = route_item(RULES, expensive_dropship, "USD", {"ptn_acme": "Acme Mugs"})
    assert route.destination == ACME
    assert route.explanation == "rule 1 \u201cDropshipped by Acme\u201d: supplied by Acme Mugs"


def test_every_condition_a_rule_sets_must_hold() -> None:
    in_germany = facts("1", "BOOT", category="shoes", country="DE")
    in_the_us = facts("2", "BOOT", category="shoes", country="US")
    assert route_item(RULES, in_germany).destination == FUL
    assert route_item(RULES, in_the_us) is DEFAULT_ROUTE
    assert "default return address" in DEFAULT_ROUTE.explanation


@pytest.mark.parametrize(
    ("conditions", "item", "matches"),
    [
        ({"skus": ("TEE",)}, facts("1", "TEE"), True),
        ({"skus": ("TEE",)}, facts("1", "MUG"), False),
        ({"shipped_from": "WH2"}, facts("1", "TEE", shipped_from="WH2"), True),
        ({"shipped_from": "WH2"}, facts("1", "TEE", shipped_from=None), False),
        ({"regions": ("NV",)}, facts("1", "TEE", region="NV"), True),
        ({"max_value": 999}, facts("1", "TEE", 1000), False),
        ({"fault": Fault.SELLER}, facts("1", "TEE", fault=Fault.SELLER), True),
        ({"fault": Fault.SELLER}, facts("1", "TEE", fault=Fault.BUYER), False),
        ({}, facts("1", "ANY"), True),
    ],
)
def test_each_condition(conditions: dict[str, object], item: ItemFacts, matches: bool) -> None:
    assert RuleConditions(**conditions).matches(item) is matches


def test_a_mixed_request_splits_into_one_leg_per_destination() -> None:
    items = [
        facts("0", "TEE", 2500),
        facts("1", "MUG", 1200, supplier_id="ptn_acme"),
        facts("2", "SOCK", 500),
    ]
    legs = split_by_destination(RULES, items)
    assert [(leg.route.destination, leg.keys) for leg in legs] == [
        (None, ["0", "2"]),
        (ACME, ["1"]),
    ]


def test_conditions_refuse_a_value_range_upside_down() -> None:
    with pytest.raises(InvalidInput):
        RuleConditions(min_value=10, max_value=5)


def test_conditions_survive_their_stored_form() -> None:
    conditions = RuleConditions(skus=("A",), countries=("DE",), fault=Fault.CARRIER, min_value=1)
    assert RuleConditions.of(conditions.as_dict()) == conditions
