"""Amounts as people read and type them, in their currency."""

from __future__ import annotations

import pytest

from rma.domain.errors import InvalidInput
from rma.domain.money import format_amount, parse_amount


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (9000, "USD", "$90.00"),
        (9000, "EUR", "90,00\u00a0€"),
        (123456789, "USD", "$1,234,567.89"),
        (123456789, "EUR", "1\u202f234\u202f567,89\u00a0€"),
        (-350, "GBP", "-£3.50"),
        (9000, "JPY", "¥9,000"),
        (1250, "CHF", "12.50\u00a0CHF"),
        (5, "USD", "$0.05"),
    ],
)
def test_amounts_are_written_in_their_currency(minor: int, currency: str, shown: str) -> None:
    assert format_amount(minor, currency) == shown


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("12.50", "USD", 1250),
        ("12,50", "EUR", 1250),
        ("12.5", "USD", 1250),
        ("$1,234.00", "USD", 123400),
        (" 7 ", "USD", 700),
        (".5", "USD", 50),
        ("900", "JPY", 900),
    ],
)
def test_typed_amounts_become_minor_units(typed: str, currency: str, minor: int) -> None:
    assert parse_amount(typed, currency) == minor


@pytest.mark.parametrize("typed", ["", "abc", "-5", "1.234", "1.2.3", "12,5x"])
def test_what_is_not_an_amount_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(typed, "USD")
