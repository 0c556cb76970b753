"""Money: integer minor units of one currency."""

from __future__ import annotations

import pytest

from rma.domain.errors import InvalidInput
from rma.domain.money import Money


def test_amounts_of_one_currency_add_subtract_and_multiply() -> None:
    price = Money(2500, "USD")
    assert price + Money(100, "USD") == Money(2600, "USD")
    assert price - Money(2600, "USD") == Money(-100, "USD")
    assert price.times(3) == Money(7500, "USD")


def test_currencies_do_not_mix() -> None:
    with pytest.raises(InvalidInput):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(InvalidInput):
        Money(1, "USD") - Money(1, "EUR")


@pytest.mark.parametrize("currency", ["usd", "US", "USDX", "", "U$D"])
def test_currency_is_an_iso_4217_code(currency: str) -> None:
    with pytest.raises(InvalidInput):
        Money(1, currency)


def test_money_is_a_value() -> None:
    assert Money(1, "EUR") == Money(1, "EUR")
    assert len({Money(1, "EUR"), Money(1, "EUR"), Money(2, "EUR")}) == 2
