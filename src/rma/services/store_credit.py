"""Store credit: a customer's balance and history with a seller, and spending it."""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.errors import NotFound
from rma.domain.ids import new_id
from rma.domain.store_credit import CreditAccount, CreditEntry, EntryKind, account_email
from rma.services.clock import utcnow
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RedeemStoreCredit:
    seller_id: str
    customer_email: str
    currency: str
    amount: int
    note: str = ""


@dataclass(frozen=True)
class StoreCreditStatement:
    """Balances (one per currency) and every entry, oldest first."""

    customer_email: str
    accounts: list[CreditAccount]
    entries: list[CreditEntry]


def redeem_store_credit(cmd: RedeemStoreCredit, uow: UnitOfWork) -> CreditEntry:
    """Spend credit; refused above the balance."""
    email = account_email(cmd.customer_email)
    with uow:
        account = uow.store_credit.account(cmd.seller_id, email, cmd.currency)
        if account is None:
            raise NotFound(
                f"{email} has no store credit in {cmd.currency}", code="store_credit_not_found"
            )
        entry = CreditEntry(
            id=new_id("crd"),
            seller_id=cmd.seller_id,
            customer_email=email,
            currency=cmd.currency,
            kind=EntryKind.REDEEMED,
            amount=cmd.amount,
            created_at=utcnow(),
            note=cmd.note,
        )
        account.redeem(entry)
        uow.store_credit.add_entry(entry)
        uow.commit()
        return entry


def store_credit_statement(seller_id: str, email: str, uow: UnitOfWork) -> StoreCreditStatement:
    """What a customer holds with a seller, and how it came to be."""
    email = account_email(email)
    with uow:
        return StoreCreditStatement(
            email,
            uow.store_credit.accounts(seller_id, email),
            uow.store_credit.entries(seller_id, email),
        )


def credit_holders(seller_id: str, uow: UnitOfWork, limit: int = 200) -> list[CreditAccount]:
    """The seller's customers with store credit left, largest balance first."""
    with uow:
        return uow.store_credit.holders(seller_id, limit)
