"""Pages of SKUs: measures split by SKU answer a page of SKUs at a time, most returned first.

A seller with a thousand SKUs asks for 90,000 rows of return rates over 90 days by day; a
page keeps an answer to what a screen or a client reads at once, and the cursor walks the
rest. SKUs are ranked by the units returned over the whole period (then by SKU), read from
month-grained rows whatever the grouping asked for: a few thousand rows, not the page's.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass, replace

from rma.domain.analytics import Dimension, Grain, MeasureFilter
from rma.domain.errors import InvalidInput
from rma.services.unit_of_work import UnitOfWork

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000


@dataclass(frozen=True)
class SkuPage:
    """Which SKUs to answer: ``limit`` of them, after the one ``cursor`` names."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def encode_sku_cursor(units: int, sku: str) -> str:
    raw = f"{units}|{sku}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_sku_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        units, bar, sku = raw.partition("|")
        if bar and sku:
            return int(units), sku
    except ValueError:
        pass
    raise InvalidInput(
        "this cursor was not given by an answer split by SKU",
        code="invalid_cursor",
        details=[{"field": "cursor"}],
    )


def sku_page(
    uow: UnitOfWork, seller_id: str, f: MeasureFilter, page: SkuPage, *, shipped: bool
) -> tuple[list[str], str | None]:
    """The SKUs of the page (most units returned first) and the cursor of the next page.

    With ``shipped``, SKUs shipped in the period but never returned come last (return rates
    list them at 0); without, only SKUs returned count (reasons). Called inside ``uow``.
    """
    after = decode_sku_cursor(page.cursor) if page.cursor else None
    months = replace(f, grain=Grain.MONTH)
    totals: dict[str, int] = defaultdict(int)
    for _, sku, units in uow.analytics.returned_units(seller_id, months, Dimension.SKU):
        totals[str(sku)] += int(units or 0)
    if shipped:
        for _, sku, _ in uow.analytics.shipped_units(
            seller_id, replace(months, reason=None), Dimension.SKU
        ):
            totals.setdefault(str(sku), 0)
    ranked = sorted(((-units, sku) for sku, units in totals.items() if units or shipped))
    if after is not None:
        ranked = [rank for rank in ranked if rank > (-after[0], after[1])]
    chosen = ranked[: page.limit]
    more = len(ranked) > page.limit
    following = encode_sku_cursor(-chosen[-1][0], chosen[-1][1]) if more else None
    return [sku for _, sku in chosen], following
