"""The customer's side in plain Python: tracker steps, offers, languages, money in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rma.adapters.i18n import choose_language, last_day, money, speaking
from rma.domain import offers
from rma.domain.errors import InvalidInput
from rma.domain.journey import Step, progress
from rma.domain.orders import Product
from rma.domain.returns import Resolution
from rma.domain.sellers import Seller, SellerKind
from rma.domain.statuses import ReturnStatus as S

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _seller(**settings: int) -> Seller:
    return Seller("sel_1", "Shop", SellerKind.PROFESSIONAL, T0, **settings)  # type: ignore[arg-type]


def _current(states: list) -> Step:  # type: ignore[type-arg]
    return next(s.step for s in states if s.current)


def test_the_steps_follow_the_status_and_keep_when_each_was_reached() -> None:
    history = [(T0, S.REQUESTED), (T0, S.AUTHORIZED), (T0 + timedelta(days=3), S.RECEIVED)]
    states = progress(S.RECEIVED, history)
    assert _current(states) is Step.DELIVERED
    assert [s.done for s in states] == [True, True, True, True, False, False]
    assert states[3].at == T0 + timedelta(days=3)
    assert states[2].at is None  # received before any carrier scan reached rma


def test_a_carrier_scan_marks_the_box_shipped() -> None:
    scanned = T0 + timedelta(days=1)
    states = progress(S.IN_TRANSIT, [(T0, S.REQUESTED), (T0, S.AUTHORIZED)], shipped_at=scanned)
    assert _current(states) is Step.SHIPPED
    assert states[2].at == scanned


def test_a_closed_return_shows_how_far_it_got() -> None:
    history = [(T0, S.REQUESTED), (T0, S.AUTHORIZED), (T0, S.RESOLVED), (T0, S.CLOSED)]
    assert _current(progress(S.CLOSED, history)) is Step.RESOLVED


def test_keep_item_and_exchange_are_offered_only_when_the_settings_allow() -> None:
    stingy, generous = _seller(), _seller(keep_item_max_value=3000)
    assert Resolution.KEEP_ITEM not in offers.offered_resolutions(stingy, [2500], True)
    assert Resolution.KEEP_ITEM in offers.offered_resolutions(generous, [2500], True)
    assert Resolution.KEEP_ITEM not in offers.offered_resolutions(generous, [2500, 3100], True)
    assert Resolution.EXCHANGE not in offers.offered_resolutions(generous, [2500], False)


def test_an_exchange_is_for_another_sku_of_the_same_category() -> None:
    catalog = [Product("s", "TEE-M", "Tee M", "apparel"), Product("s", "TEE-L", "Tee L", "apparel")]
    catalog.append(Product("s", "MUG", "Mug", "kitchen"))
    assert [p.sku for p in offers.variants_of("TEE-M", "apparel", catalog)] == ["TEE-L"]
    assert offers.variants_of("TEE-M", None, catalog) == []
    by_sku = {p.sku: p for p in catalog}
    asked = [offers.AskedItem(0, "TEE-M", 2500, "MUG")]
    with pytest.raises(InvalidInput) as refused:
        offers.check_resolution(_seller(), Resolution.EXCHANGE, asked, {"TEE-M": "apparel"}, by_sku)
    assert refused.value.code == "exchange_not_a_variant"


@pytest.mark.parametrize(
    ("header", "default", "chosen"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "en", "de"),
        ("ja, fr;q=0.5", "en", "fr"),
        ("ja", "es", "es"),
        ("en;q=0.1, de;q=0.9", "fr", "de"),
        ("", "fr", "fr"),
        ("*", "xx", "en"),
    ],
)
def test_the_language_is_the_browsers_first_one_rma_speaks(
    header: str, default: str, chosen: str
) -> None:
    assert choose_language(header, default) == chosen


def test_money_and_dates_are_written_as_each_language_writes_them() -> None:
    with speaking("de"):
        assert money(4650, "EUR") == "46,50\xa0€"
        # A window closing at midnight ends on the day before, in the seller's zone.
        closes = datetime(2026, 12, 28, 5, 0, tzinfo=UTC)  # midnight in New York
        assert last_day(closes, "America/New_York") == "27. Dezember 2026"
    with speaking("en"):
        assert money(100, "JPY") == "¥100"
        assert money(4650, "USD") == "$46.50"
