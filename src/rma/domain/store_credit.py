"""Store credit: a ledger per customer, seller and currency (issued, redeemed, balance)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rma.domain.errors import Conflict, InvalidInput


class EntryKind(StrEnum):
    ISSUED = "issued"  # credit given for a return (bonus included)
    REDEEMED = "redeemed"  # credit spent


@dataclass(eq=False)
class CreditEntry:
    """One line of the ledger; ``amount`` is positive for both kinds."""

    id: str
    seller_id: str
    customer_email: str
    currency: str
    kind: EntryKind
    amount: int
    created_at: datetime
    bonus: int = 0  # part of an issued amount that is the seller's bonus
    return_id: str | None = None
    note: str = ""


@dataclass(eq=False)
class CreditAccount:
    """The running totals of one customer's credit with one seller, in one currency."""

    seller_id: str
    customer_email: str
    currency: str
    issued: int = 0
    redeemed: int = 0

    @property
    def balance(self) -> int:
        return self.issued - self.redeemed

    def issue(self, entry: CreditEntry) -> None:
        """Add credit."""
        self._check(entry, EntryKind.ISSUED)
        self.issued += entry.amount

    def redeem(self, entry: CreditEntry) -> None:
        """Spend credit; never more than the balance."""
        self._check(entry, EntryKind.REDEEMED)
        if entry.amount > self.balance:
            raise Conflict(
                f"the balance is {self.balance}; {entry.amount} cannot be redeemed",
                code="insufficient_store_credit",
                details=[{"field": "amount", "balance": self.balance}],
            )
        self.redeemed += entry.amount

    def _check(self, entry: CreditEntry, kind: EntryKind) -> None:
        if entry.kind is not kind or entry.amount <= 0:
            raise InvalidInput(
                "a ledger entry moves a positive amount", details=[{"field": "amount"}]
            )
        if entry.currency != self.currency:
            raise InvalidInput(f"this account is in {self.currency}", code="currency_mismatch")


def account_email(email: str) -> str:
    """The form of an email the ledger is kept under."""
    return email.strip().lower()
