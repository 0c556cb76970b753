"""The return policy: windows in the seller's time zone, violations, deadlines, authorization."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rma.domain.errors import InvalidInput
from rma.domain.orders import Order
from rma.domain.policy import (
    PolicyDecision,
    RequestedItem,
    ViolationCode,
    authorization_deadline,
    evaluate_request,
    window_closes_at,
)
from rma.domain.sellers import (
    AuthorizationMode,
    CategoryPolicy,
    EffectivePolicy,
    OutOfPolicyHandling,
    SellerKind,
)
from tests.unit.factories import NOW, decide, order, seller

TEE = RequestedItem("1", 1, "CR-DEFECTIVE")


def _category(policy: CategoryPolicy) -> EffectivePolicy:
    """What applies to a SKU of ``policy``'s category that has no overrides of its own."""
    return EffectivePolicy.of(seller(), policy, None)


def _local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


# Delivered late in the evening of day D (local), so in UTC it is often already D + 1; the
# New York and Berlin windows cross a daylight-saving change.
WINDOW_EDGES = [
    # zone, delivered (local), last minute in (local: D + 30, 23:59), first moment out
    ("UTC", (2026, 3, 1, 23, 30), (2026, 3, 31, 23, 59), (2026, 4, 1, 0, 0)),
    ("America/New_York", (2026, 10, 20, 22, 0), (2026, 11, 19, 23, 59), (2026, 11, 20, 0, 0)),
    ("Europe/Berlin", (2026, 3, 10, 0, 30), (2026, 4, 9, 23, 59), (2026, 4, 10, 0, 0)),
    ("Asia/Tokyo", (2026, 7, 1, 8, 0), (2026, 7, 31, 23, 59), (2026, 8, 1, 0, 0)),
]


@pytest.mark.parametrize(("zone", "delivered", "last_in", "first_out"), WINDOW_EDGES)
def test_day_30_is_in_until_its_last_minute_and_day_31_is_out_in_the_sellers_zone(
    zone: str,
    delivered: tuple[int, ...],
    last_in: tuple[int, ...],
    first_out: tuple[int, ...],
) -> None:
    shop = seller(timezone=zone)
    shipped = order(
        delivered_at=_local(zone, *delivered).astimezone(UTC),
        ordered_at=_local(zone, *delivered).astimezone(UTC) - timedelta(days=5),
    )
    inside = decide(shipped, [TEE], the_seller=shop, now=_local(zone, *last_in).astimezone(UTC))
    outside = decide(shipped, [TEE], the_seller=shop, now=_local(zone, *first_out).astimezone(UTC))

    assert inside.in_policy
    assert not inside.violations
    assert [v.code for v in outside.violations] == [ViolationCode.RETURN_WINDOW_ENDED]
    assert not outside.in_policy
    assert outside.valid_items
    assert inside.window_closes_at == _local(zone, *first_out)


@pytest.mark.parametrize(("zone", "delivered", "last_in", "first_out"), WINDOW_EDGES)
def test_the_order_date_starts_the_window_when_delivery_is_unknown(
    zone: str,
    delivered: tuple[int, ...],
    last_in: tuple[int, ...],
    first_out: tuple[int, ...],
) -> None:
    shop = seller(timezone=zone)
    undelivered = order(delivered_at=None, ordered_at=_local(zone, *delivered).astimezone(UTC))
    inside = decide(undelivered, [TEE], the_seller=shop, now=_local(zone, *last_in))
    outside = decide(undelivered, [TEE], the_seller=shop, now=_local(zone, *first_out))
    assert inside.in_policy
    assert [v.code for v in outside.violations] == [ViolationCode.RETURN_WINDOW_ENDED]


def test_window_close_is_a_local_midnight_across_a_daylight_saving_change() -> None:
    delivered = _local("America/New_York", 2026, 10, 31, 12, 0)  # EDT, UTC-4
    closes = window_closes_at(delivered, 1, "America/New_York")  # Nov 1 is the change
    assert closes == _local("America/New_York", 2026, 11, 2, 0, 0)
    assert closes.utcoffset() == timedelta(hours=-5)  # EST by then


def test_the_last_delivered_shipment_of_a_line_starts_its_window() -> None:
    shipped = order(delivered_at=NOW - timedelta(days=40))
    late = shipped.shipments[0]
    shipped.shipments.append(
        type(late)(id="shp_2", shipped_at=late.shipped_at, delivered_at=NOW - timedelta(days=2))
    )
    shipped.shipments[1].items = list(late.items)
    assert decide(shipped, [TEE]).in_policy


def test_a_category_window_replaces_the_sellers_one() -> None:
    shipped = order(delivered_at=NOW - timedelta(days=20))
    decision = evaluate_request(
        shipped,
        [TEE],
        seller=seller(),
        policies={"TEE": _category(CategoryPolicy("sel_1", "electronics", window_days=15))},
        held={},
        now=NOW,
    )
    assert [v.code for v in decision.violations] == [ViolationCode.RETURN_WINDOW_ENDED]
    assert "15-day" in decision.violations[0].message


def test_the_sellers_own_window_applies_to_items_without_a_category_policy() -> None:
    shipped = order(delivered_at=NOW - timedelta(days=50))
    assert decide(shipped, [TEE], the_seller=seller(window_days=60)).in_policy
    assert not decide(shipped, [TEE], the_seller=seller(window_days=45)).in_policy


def test_a_zero_day_window_admits_returns_on_the_day_of_delivery_only() -> None:
    delivered = NOW - timedelta(hours=1)
    shipped = order(delivered_at=delivered)
    same_day = decide(shipped, [TEE], the_seller=seller(window_days=0))
    next_day = decide(shipped, [TEE], the_seller=seller(window_days=0), now=NOW + timedelta(days=1))
    assert same_day.in_policy
    assert not next_day.in_policy


# One scenario per violation code: a new code without a scenario fails the coverage test.
def _window_ended() -> PolicyDecision:
    return decide(order(delivered_at=NOW - timedelta(days=31)), [TEE])


def _non_returnable() -> PolicyDecision:
    return evaluate_request(
        order(delivered_at=NOW - timedelta(days=1)),
        [TEE],
        seller=seller(),
        policies={"TEE": _category(CategoryPolicy("sel_1", "final-sale", returnable=False))},
        held={},
        now=NOW,
    )


def _not_shipped() -> PolicyDecision:
    return decide(order(shipped={"1": 0, "2": 1}), [TEE])


def _quantity_exceeds() -> PolicyDecision:
    return decide(
        order(delivered_at=NOW - timedelta(days=1)),
        [RequestedItem("1", 2, "CR-DEFECTIVE")],
        held={"1": 1},
    )


SCENARIOS: dict[ViolationCode, tuple[Callable[[], PolicyDecision], bool]] = {
    ViolationCode.RETURN_WINDOW_ENDED: (_window_ended, True),
    ViolationCode.NON_RETURNABLE: (_non_returnable, False),
    ViolationCode.NOT_SHIPPED: (_not_shipped, False),
    ViolationCode.QUANTITY_EXCEEDS_RETURNABLE: (_quantity_exceeds, False),
}


def test_every_violation_code_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(ViolationCode)


@pytest.mark.parametrize("code", list(ViolationCode))
def test_each_violation_is_reported_with_its_code_line_and_message(code: ViolationCode) -> None:
    scenario, item_stays_valid = SCENARIOS[code]
    decision = scenario()
    assert [v.code for v in decision.violations] == [code]
    violation = decision.violations[0]
    assert violation.line_id == "1"
    assert violation.message
    assert violation.as_dict()["code"] == str(code)
    assert bool(decision.valid_items) is item_stays_valid
    assert not decision.in_policy or not item_stays_valid


def test_every_violation_of_an_item_is_listed_not_just_the_first() -> None:
    decision = evaluate_request(
        order(delivered_at=NOW - timedelta(days=90)),
        [RequestedItem("1", 5, "CR-DEFECTIVE")],
        seller=seller(),
        policies={"TEE": _category(CategoryPolicy("sel_1", "final-sale", returnable=False))},
        held={},
        now=NOW,
    )
    assert {v.code for v in decision.violations} == {
        ViolationCode.NON_RETURNABLE,
        ViolationCode.QUANTITY_EXCEEDS_RETURNABLE,
        ViolationCode.RETURN_WINDOW_ENDED,
    }


def test_returnable_quantity_is_shipped_minus_what_other_returns_hold() -> None:
    shipped = order(delivered_at=NOW - timedelta(days=1))
    verdict = decide(shipped, [TEE], held={"1": 1}).items[0]
    assert verdict.returnable_quantity == 1
    assert verdict.valid
    assert decide(shipped, [TEE], held={"1": 2}).items[0].returnable_quantity == 0
    partly = order(shipped={"1": 1, "2": 0}, delivered_at=NOW - timedelta(days=1))
    assert decide(partly, [TEE]).items[0].returnable_quantity == 1


def test_valid_items_proceed_beside_invalid_ones() -> None:
    shipped = order(shipped={"1": 2, "2": 0}, delivered_at=NOW - timedelta(days=1))
    decision = decide(shipped, [TEE, RequestedItem("2", 1, "CR-DEFECTIVE")])
    assert [v.item.line_id for v in decision.valid_items] == ["1"]
    assert [v.item.line_id for v in decision.invalid_items] == ["2"]
    assert decision.in_policy  # the invalid item does not take the valid one out of policy


@pytest.mark.parametrize(
    ("items", "code", "field"),
    [
        ([], "invalid_input", "items"),
        ([RequestedItem("9", 1, "X")], "unknown_line", "items[0].line_id"),
        ([TEE, TEE], "duplicate_line", "items[1].line_id"),
        ([RequestedItem("1", 0, "X")], "invalid_input", "items[0].quantity"),
    ],
)
def test_malformed_requests_name_the_field(
    items: list[RequestedItem], code: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        decide(order(), items)
    assert raised.value.code == code
    assert raised.value.details[0]["field"] == field


def test_deadline_is_window_close_plus_transit_days() -> None:
    closes = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
    authorized = closes - timedelta(days=10)
    assert authorization_deadline(closes, authorized, 15) == closes + timedelta(days=15)


def test_deadline_counts_from_a_late_manual_authorization() -> None:
    closes = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
    authorized = closes + timedelta(days=9)
    assert authorization_deadline(closes, authorized, 15) == authorized + timedelta(days=15)


PRO, IND = SellerKind.PROFESSIONAL, SellerKind.INDIVIDUAL
AUTO, MANUAL = AuthorizationMode.AUTOMATIC, AuthorizationMode.MANUAL
REVIEW, AUTHORIZE = OutOfPolicyHandling.REVIEW, OutOfPolicyHandling.AUTHORIZE

AUTHORIZATION_MATRIX = [
    # kind, mode, in policy, out-of-policy handling, authorized without a person
    (PRO, AUTO, True, REVIEW, True),
    (PRO, AUTO, True, AUTHORIZE, True),
    (PRO, AUTO, False, REVIEW, False),
    (PRO, AUTO, False, AUTHORIZE, True),
    (PRO, MANUAL, True, REVIEW, True),  # professionals cannot opt out of automatic
    (PRO, MANUAL, True, AUTHORIZE, True),
    (PRO, MANUAL, False, REVIEW, False),
    (PRO, MANUAL, False, AUTHORIZE, True),
    (IND, AUTO, True, REVIEW, True),
    (IND, AUTO, True, AUTHORIZE, True),
    (IND, AUTO, False, REVIEW, False),
    (IND, AUTO, False, AUTHORIZE, True),
    (IND, MANUAL, True, REVIEW, False),
    (IND, MANUAL, True, AUTHORIZE, False),
    (IND, MANUAL, False, REVIEW, False),
    (IND, MANUAL, False, AUTHORIZE, False),
]


@pytest.mark.parametrize(
    ("kind", "mode", "in_policy", "handling", "automatic"), AUTHORIZATION_MATRIX
)
def test_authorization_mode_matrix(
    kind: SellerKind,
    mode: AuthorizationMode,
    in_policy: bool,
    handling: OutOfPolicyHandling,
    automatic: bool,
) -> None:
    shop = seller(kind, authorization_mode=mode, out_of_policy=handling)
    age = timedelta(days=3 if in_policy else 31)
    decision = decide(order(delivered_at=NOW - age), [TEE], the_seller=shop)
    assert decision.in_policy is in_policy
    assert decision.authorizes_automatically(shop) is automatic


def test_order_helpers_count_shipments_and_match_email_loosely() -> None:
    shipped: Order = order(delivered_at=NOW)
    assert shipped.shipped_quantity("1") == 2
    assert shipped.line("9") is None
    assert shipped.owned_by("  ADA@example.COM ")
    assert not shipped.owned_by("eve@example.com")
