"""Refund amounts: each fee rule, and how every division rounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rma.domain.errors import Conflict, InvalidInput
from rma.domain.refunds import (
    OrderedLine,
    Refund,
    RefundLine,
    RefundStatus,
    compute_refund,
    credit_bonus,
    half_up,
    largest_remainder,
    paid_for,
)
from rma.domain.sellers import Fault, PaymentGatewayKind
from rma.domain.store_credit import CreditAccount, CreditEntry, EntryKind

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
WEBHOOK = PaymentGatewayKind.WEBHOOK
TEE = OrderedLine("1", quantity=2, unit_price=2500, tax_per_unit=200)
MUG = OrderedLine("2", quantity=1, unit_price=1200, tax_per_unit=96)


def line(quantity: int, fault: Fault = Fault.BUYER, fee: int = 0, line_id: str = "1") -> RefundLine:
    return RefundLine("itm_1", line_id, quantity, fault, fee)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 10, 1), (4, 10, 0), (15, 10, 2), (25, 10, 3), (-5, 10, -1), (0, 7, 0), (2499, 100, 25)],
)
def test_half_up_rounds_halves_away_from_zero(
    numerator: int, denominator: int, expected: int
) -> None:
    assert half_up(numerator, denominator) == expected


def test_largest_remainder_shares_add_up_to_the_total_exactly() -> None:
    assert largest_remainder(1000, [1, 1, 1]) == [334, 333, 333]
    assert largest_remainder(1, [1, 1]) == [1, 0]
    assert largest_remainder(999, [5000, 1200]) == [806, 193]
    assert sum(largest_remainder(777, [3, 7, 11, 13])) == 777
    assert largest_remainder(500, [0, 0]) == [0, 0]


def test_buyer_fault_refund_is_goods_and_tax_less_the_restocking_fee() -> None:
    breakdown = compute_refund([line(2, fee=15)], [TEE, MUG], shipping_amount=999)
    assert breakdown.goods == 5000
    assert breakdown.tax == 400
    assert breakdown.shipping == 0  # the buyer's choice: shipping stays paid
    assert breakdown.restocking_fee == 750
    assert breakdown.total == 4650


def test_restocking_fee_rounds_half_up_per_line() -> None:
    cheap = OrderedLine("1", quantity=1, unit_price=333)
    # 333 x 15% = 49.95 -> 50; 333 x 10% = 33.3 -> 33
    assert compute_refund([line(1, fee=15)], [cheap]).restocking_fee == 50
    assert compute_refund([line(1, fee=10)], [cheap]).restocking_fee == 33


@pytest.mark.parametrize("fault", [Fault.SELLER, Fault.CARRIER])
def test_seller_or_carrier_fault_waives_the_fee_and_refunds_shipping(fault: Fault) -> None:
    breakdown = compute_refund([line(2, fault, fee=15)], [TEE, MUG], shipping_amount=999)
    assert breakdown.restocking_fee == 0
    # 999 split by value 5000 : 1200 -> 806 : 193; both tees come back, so all 806.
    assert breakdown.shipping == 806
    assert breakdown.total == 5000 + 400 + 806


def test_a_part_of_a_line_gets_its_shipping_share_rounded_down() -> None:
    # 1001 split by value 5000 : 1200 -> 807 : 194; one tee of two gets 807 / 2 -> 403.
    assert largest_remainder(1001, [5000, 1200]) == [807, 194]
    one = compute_refund([line(1, Fault.SELLER)], [TEE, MUG], shipping_amount=1001)
    assert one.shipping == 403


def test_shipping_of_every_line_returned_adds_up_to_what_was_paid() -> None:
    both = [line(2, Fault.SELLER), RefundLine("itm_2", "2", 1, Fault.SELLER)]
    assert compute_refund(both, [TEE, MUG], shipping_amount=1001).shipping == 1001


def test_label_cost_is_taken_off_and_the_total_never_goes_negative() -> None:
    assert compute_refund([line(1)], [TEE], label_cost=600).total == 2500 + 200 - 600
    assert compute_refund([line(1)], [TEE], label_cost=9000).total == 0


def test_adjustment_adds_exchange_credit() -> None:
    assert compute_refund([], [TEE], adjustment=300).total == 300


def test_partial_quantity_refunds_that_many_units() -> None:
    breakdown = compute_refund([line(1, fee=10)], [TEE])
    assert (breakdown.goods, breakdown.tax, breakdown.restocking_fee) == (2500, 200, 250)


def test_more_units_than_ordered_are_refused() -> None:
    with pytest.raises(InvalidInput):
        compute_refund([line(3)], [TEE])


def test_breakdown_lists_every_part() -> None:
    document = compute_refund([line(2, fee=10)], [TEE], label_cost=100).as_dict()
    assert document["total"] == 5000 + 400 - 500 - 100
    assert document["lines"][0]["restocking_fee"] == 500


def test_paid_for_counts_goods_tax_and_shipping() -> None:
    assert paid_for([TEE, MUG], 999) == 2 * 2700 + 1296 + 999


def test_credit_bonus_rounds_half_up() -> None:
    assert credit_bonus(4650, 10) == 465
    assert credit_bonus(1005, 10) == 101  # 100.5 -> 101
    assert credit_bonus(1004, 10) == 100


def _refund() -> Refund:
    return Refund("rfd_1", "sel_1", "ret_1", "ord_1", "USD", 4650, WEBHOOK, NOW, NOW)


def test_a_refund_carries_one_key_per_attempt() -> None:
    refund = _refund()
    assert refund.idempotency_key == "rfd_1.1"
    refund.fail(reason="card expired", now=NOW)
    refund.retry(NOW)
    assert (refund.status, refund.idempotency_key) == (RefundStatus.PENDING, "rfd_1.2")


def test_a_succeeded_refund_stays_succeeded() -> None:
    refund = _refund()
    refund.succeed(reference="pay_1", now=NOW)
    refund.succeed(reference="pay_1", now=NOW)  # a repeated confirmation changes nothing
    assert [e.type for e in refund.events] == ["refund.succeeded"]
    with pytest.raises(Conflict) as refused:
        refund.fail(reason="late", now=NOW)
    assert refused.value.code == "refund_already_succeeded"
    with pytest.raises(Conflict):
        refund.retry(NOW)


def test_an_unconfirmed_refund_is_asked_again_later_and_later() -> None:
    refund = _refund()
    refund.claim(NOW, timedelta(minutes=2))
    refund.still_pending(NOW, "timeout")
    first = refund.next_attempt_at
    refund.claim(NOW, timedelta(minutes=2))
    refund.still_pending(NOW, "timeout")
    assert first is not None
    assert refund.next_attempt_at is not None
    assert NOW < first < refund.next_attempt_at
    assert refund.status is RefundStatus.PENDING


def test_a_refund_of_nothing_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Refund("rfd_1", "sel_1", "ret_1", "ord_1", "USD", 0, WEBHOOK, NOW, NOW)


def test_credit_cannot_be_redeemed_above_the_balance() -> None:
    account = CreditAccount("sel_1", "ada@example.com", "USD")
    account.issue(CreditEntry("c1", "sel_1", "ada@example.com", "USD", EntryKind.ISSUED, 500, NOW))
    account.redeem(
        CreditEntry("c2", "sel_1", "ada@example.com", "USD", EntryKind.REDEEMED, 200, NOW)
    )
    with pytest.raises(Conflict) as refused:
        account.redeem(
            CreditEntry("c3", "sel_1", "ada@example.com", "USD", EntryKind.REDEEMED, 301, NOW)
        )
    assert refused.value.code == "insufficient_store_credit"
    assert (account.issued, account.redeemed, account.balance) == (500, 200, 300)
