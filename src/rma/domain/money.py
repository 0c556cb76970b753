"""Money as integer minor units of one ISO 4217 currency."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rma.domain.errors import InvalidInput

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents for USD) and its currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not _CURRENCY.match(self.currency):
            raise InvalidInput(f"{self.currency!r} is not an ISO 4217 currency code")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        """This amount ``quantity`` times."""
        return Money(self.amount * quantity, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput(f"cannot mix {self.currency} and {other.currency}")


# How people write amounts of each currency: symbol, where it goes, separators. Currencies
# not listed show their code after the amount ("12.50 CHF"): never a bare number of cents.
_DECIMALS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0, "BHD": 3, "KWD": 3, "JOD": 3}
_STYLES = {
    # currency: (symbol, symbol before, decimal separator, thousands separator)
    "USD": ("$", True, ".", ","),
    "CAD": ("CA$", True, ".", ","),
    "AUD": ("A$", True, ".", ","),
    "GBP": ("£", True, ".", ","),
    "JPY": ("¥", True, ".", ","),
    "EUR": ("€", False, ",", "\u202f"),
    "SEK": ("kr", False, ",", "\u202f"),
    "DKK": ("kr.", False, ",", "."),
    "PLN": ("zł", False, ",", "\u202f"),
}


def minor_digits(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (2 for USD, 0 for JPY)."""
    return _DECIMALS.get(currency, 2)


def format_amount(minor: int, currency: str) -> str:
    """An amount in minor units as people read it: ``$90.00``, ``90,00 €``, ``-£3.50``."""
    digits = minor_digits(currency)
    whole, fraction = divmod(abs(minor), 10**digits)
    symbol, before, point, thousands = _STYLES.get(currency, (currency, False, ".", ","))
    number = f"{whole:,}".replace(",", thousands)
    if digits:
        number += point + str(fraction).zfill(digits)
    sign = "-" if minor < 0 else ""
    return f"{sign}{symbol}{number}" if before else f"{sign}{number}\u00a0{symbol}"


def parse_amount(text: str, currency: str) -> int:
    """Minor units from what a person typed (``12.5``, ``12,50``, ``1,234.00``); else InvalidInput.

    A comma followed by exactly the currency's decimals is read as the decimal point, so
    both ``12,50`` and ``12.50`` are twelve and a half.
    """
    digits = minor_digits(currency)
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    for mark in ("$", "€", "£", "¥", currency):
        cleaned = cleaned.replace(mark, "")
    if "," in cleaned and "." not in cleaned and len(cleaned.rsplit(",", 1)[1]) == digits:
        cleaned = cleaned[: cleaned.rindex(",")] + "." + cleaned[cleaned.rindex(",") + 1 :]
    cleaned = cleaned.replace(",", "")
    whole, _, fraction = cleaned.partition(".")
    if not whole.isdigit() and not (whole == "" and fraction.isdigit()):
        raise InvalidInput(f"{text!r} is not an amount", code="amount_not_a_number")
    if fraction and (not fraction.isdigit() or len(fraction) > digits):
        raise InvalidInput(
            f"{text!r} has more than {digits} decimals for {currency}", code="amount_not_a_number"
        )
    scale: int = 10**digits
    return int(whole or "0") * scale + int(fraction.ljust(digits, "0") or "0")
