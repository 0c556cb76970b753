"""Who pays a return's label, from each item's policy and its reason's fault."""

from __future__ import annotations

import pytest

from rma.domain.sellers import Fault, LabelPayer, label_payer

B, S, F = LabelPayer.BUYER, LabelPayer.SELLER, LabelPayer.BY_FAULT


@pytest.mark.parametrize(
    ("rules", "payer"),
    [
        ([(B, Fault.SELLER)], B),  # the policy says the buyer, whatever the reason
        ([(S, Fault.BUYER)], S),
        ([(F, Fault.BUYER)], B),  # by fault: the buyer's fault, the buyer's label
        ([(F, Fault.CARRIER)], S),
        ([(F, Fault.BUYER), (F, Fault.SELLER)], S),  # one box: the seller's item frees it
        ([(B, Fault.BUYER), (F, Fault.BUYER)], B),
        ([], S),
    ],
)
def test_the_buyer_pays_only_when_every_item_says_so(
    rules: list[tuple[LabelPayer, Fault]], payer: LabelPayer
) -> None:
    assert label_payer(rules) is payer
