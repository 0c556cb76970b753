"""Risk settings, decisions, and the one query that reads a customer's profile."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, Text, and_, bindparam, case, cast, func, select, union
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from rma.adapters.driver_rows import DriverQuery
from rma.adapters.orm import orders, return_items, returns
from rma.adapters.orm_physical import return_flags
from rma.adapters.orm_trust import return_risk, risk_settings
from rma.domain.risk import PastReturn, ReturnRisk, RiskSettings

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RiskContext:
    """A seller's settings with the customer's order count and past returns, read at once."""

    settings: RiskSettings
    orders: int
    past: list[PastReturn]


class SqlRisk:
    def __init__(self, session: Session):
        self.session = session

    def settings(self, seller_id: str) -> RiskSettings | None:
        return self.session.get(RiskSettings, seller_id)

    def add_settings(self, settings: RiskSettings) -> None:
        self.session.add(settings)

    def record(self, decision: ReturnRisk) -> None:
        self.session.add(decision)

    def for_return(self, seller_id: str, return_id: str) -> ReturnRisk | None:
        found = self.session.get(ReturnRisk, return_id)
        return found if found is not None and found.seller_id == seller_id else None

    def held(self, seller_id: str, reason: str | None, limit: int) -> list[ReturnRisk]:
        """Decisions that fired, newest first, for returns still waiting for review."""
        query = (
            select(ReturnRisk)
            .join(
                returns,
                and_(
                    returns.c.seller_id == return_risk.c.seller_id,
                    returns.c.id == return_risk.c.return_id,
                ),
            )
            .where(
                return_risk.c.seller_id == seller_id,
                return_risk.c.effect != "",
                returns.c.status == "pending_review",
            )
            .order_by(return_risk.c.decided_at.desc())
            .limit(limit)
        )
        if reason:
            query = query.where(return_risk.c.reason_codes.contains(f" {reason} "))
        return list(self.session.scalars(query))

    def context(
        self,
        seller_id: str,
        emails: Sequence[str],
        address: str,
        with_settings: bool = True,
    ) -> RiskContext | None:
        """The settings and the customer's history in one statement; None without settings.

        Past returns are the customer's by email (index on seller, email, created) and, when
        the shipping address is known, those decided at the same address (index on seller,
        address); each carries its value and inspection outcomes from correlated subqueries
        over its own items and flags.
        """
        params = _context_params(seller_id, emails, address)
        if not with_settings:
            rows = self.session.execute(_history_statement(), params).all()
            orders_count = rows[0][0] if rows else self.session.scalar(_orders_statement(), params)
            past = [_past(row[1:]) for row in rows]
            empty = RiskSettings(seller_id, [], [], [], _NEVER)
            return RiskContext(empty, int(orders_count or 0), past)
        found = self._context_rows(params)
        if not found:
            return None
        first = found[0]
        settings = RiskSettings(
            seller_id, json.loads(first[0]), json.loads(first[1]), json.loads(first[2]), first[3]
        )
        past = [_past(row[5:]) for row in found if row[5] is not None]
        return RiskContext(settings, int(first[4] or 0), past)

    def _context_rows(self, params: dict[str, str]) -> Sequence[Sequence[Any]]:
        # On every return request: sent by the driver (``driver_rows``). Through SQLAlchemy,
        # reading the rows cost as much again as running the statement on SQLite.
        return _CONTEXT.all(self.session, params)


# The statements are built once: building and keying a select of this size costs more than
# running it, on the request path of every return.


def _history_columns() -> tuple[Any, ...]:
    """The order count, then per past return: id, email, status, time, value and outcomes."""
    items = return_items.c
    mismatch = (
        select(func.count())
        .select_from(return_flags)
        .where(
            return_flags.c.seller_id == returns.c.seller_id,
            return_flags.c.return_id == returns.c.id,
            return_flags.c.code == "sku_mismatch",
        )
        .scalar_subquery()
    )
    return (
        _orders_statement().scalar_subquery(),
        returns.c.id,
        returns.c.customer_email,
        returns.c.status,
        returns.c.created_at,
        func.coalesce(func.sum(items.unit_price * items.requested_quantity), 0),
        func.coalesce(func.sum(items.rejected_quantity), 0),
        func.coalesce(func.sum(case((items.condition == "wrong_item", 1), else_=0)), 0),
        func.coalesce(func.sum(case((items.condition == "missing", 1), else_=0)), 0),
        mismatch,
    )


def _with_items(joined: Any) -> Any:
    return joined.outerjoin(
        return_items,
        and_(
            return_items.c.seller_id == returns.c.seller_id,
            return_items.c.return_id == returns.c.id,
        ),
    )


_PER_RETURN = (returns.c.id, returns.c.customer_email, returns.c.status, returns.c.created_at)
# With the id, the rest of the key of returns: grouped by its whole key, PostgreSQL lets the
# per-return subqueries read the return's columns.
_RETURN_KEY = (returns.c.seller_id,)


@functools.cache
def _orders_statement() -> Select[Any]:
    return (
        select(func.count())
        .select_from(orders)
        .where(
            orders.c.seller_id == bindparam("seller_id"),
            orders.c.customer_email.in_([bindparam("email_1"), bindparam("email_2")]),
        )
    )


def _customer_match() -> ColumnElement[bool]:
    # One IN over a UNION, not an OR of two conditions: an OR would have the databases walk
    # every return of the seller, where this looks up the customer's ids in two indexes.
    by_email = select(returns.c.id).where(
        returns.c.seller_id == bindparam("seller_id"),
        returns.c.customer_email.in_([bindparam("email_1"), bindparam("email_2")]),
    )
    at_address = select(return_risk.c.return_id).where(
        return_risk.c.seller_id == bindparam("seller_id"),
        return_risk.c.address == bindparam("address"),
    )
    return returns.c.id.in_(union(by_email, at_address))


@functools.cache
def _history_statement() -> Select[Any]:
    return (
        select(*_history_columns())
        .select_from(_with_items(returns))
        .where(returns.c.seller_id == bindparam("seller_id"), _customer_match())
        .group_by(*_PER_RETURN, *_RETURN_KEY)
    )


@functools.cache
def _context_statement() -> Select[Any]:
    joined = risk_settings.outerjoin(
        returns,
        and_(
            returns.c.seller_id == risk_settings.c.seller_id,
            _customer_match(),
        ),
    )
    # As text: decoded once, not once per past return.
    settings = (
        cast(risk_settings.c.rules, Text),
        cast(risk_settings.c.allow, Text),
        cast(risk_settings.c.block, Text),
        risk_settings.c.updated_at,
    )
    # Grouped by the settings' key, not by their text: the rules' JSON need not be compared
    # for every row grouped (the databases read the rest of a row grouped by its key).
    return (
        select(*settings, *_history_columns())
        .select_from(_with_items(joined))
        .where(risk_settings.c.seller_id == bindparam("seller_id"))
        .group_by(risk_settings.c.seller_id, *_PER_RETURN, *_RETURN_KEY)
    )


def _past(row: Sequence[Any]) -> PastReturn:
    created: datetime = row[3]
    return PastReturn(
        return_id=row[0],
        email=row[1],
        status=str(row[2]),
        created_at=created,
        value=int(row[4] or 0),
        rejected_units=int(row[5] or 0),
        wrong_item=int(row[6] or 0),
        empty_box=int(row[7] or 0),
        sku_mismatch=int(row[8] or 0),
    )


_CONTEXT = DriverQuery(_context_statement())


def context_reads(
    seller_id: str, emails: Sequence[str], address: str
) -> list[tuple[DriverQuery, dict[str, str]]]:
    """The read ``SqlRisk.context`` makes for a new return's customer, to be asked ahead."""
    return [(_CONTEXT, _context_params(seller_id, emails, address))]


def _context_params(seller_id: str, emails: Sequence[str], address: str) -> dict[str, str]:
    return {
        "seller_id": seller_id,
        "email_1": emails[0],
        "email_2": emails[-1],
        # Normalized addresses never end in "-": this one matches no return.
        "address": address or "addr:-",
    }
