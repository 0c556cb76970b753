"""Which resolutions a customer may ask for, and which variants an exchange may send.

The seller's settings decide: keeping the item (a refund without sending it back) only when
every item is worth at most ``keep_item_max_value``; an exchange only for another SKU of the
returned item's category (named now, or by the seller when resolving). Asking for anything
else is refused before a return is created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rma.domain.errors import InvalidInput
from rma.domain.orders import Product
from rma.domain.returns import Resolution
from rma.domain.sellers import Seller

# What the portal offers, in this order; repair and replacement are the seller's to give.
CUSTOMER_CHOICES = (
    Resolution.REFUND,
    Resolution.STORE_CREDIT,
    Resolution.EXCHANGE,
    Resolution.KEEP_ITEM,
)


@dataclass(frozen=True)
class AskedItem:
    """One item of a request as the offer rules read it."""

    index: int
    sku: str
    unit_price: int
    exchange_sku: str = ""


def may_keep(seller: Seller, unit_prices: Sequence[int]) -> bool:
    """Whether the customer may keep items of these prices and be refunded."""
    return bool(unit_prices) and all(p <= seller.keep_item_max_value for p in unit_prices)


def offered_resolutions(
    seller: Seller, unit_prices: Sequence[int], has_variants: bool
) -> list[Resolution]:
    """The resolutions a customer returning items of ``unit_prices`` may choose from."""
    offered = []
    for choice in CUSTOMER_CHOICES:
        if choice is Resolution.KEEP_ITEM and not may_keep(seller, unit_prices):
            continue
        if choice is Resolution.EXCHANGE and not has_variants:
            continue
        offered.append(choice)
    return offered


def variants_of(sku: str, category: str | None, catalog: Sequence[Product]) -> list[Product]:
    """The other SKUs an item may be exchanged for: the same category, not itself."""
    if category is None:
        return []
    return [p for p in catalog if p.category == category and p.sku != sku]


def check_resolution(
    seller: Seller,
    resolution: Resolution,
    items: Sequence[AskedItem],
    categories: Mapping[str, str | None],
    catalog: Mapping[str, Product],
) -> None:
    """``InvalidInput`` with a stable code unless the seller allows ``resolution`` for ``items``."""
    if resolution is Resolution.KEEP_ITEM and not may_keep(seller, [i.unit_price for i in items]):
        raise InvalidInput(
            "this shop lets customers keep items worth at most "
            f"{seller.keep_item_max_value}; choose another resolution",
            code="resolution_not_allowed",
            details=[{"field": "resolution", "value": str(resolution)}],
        )
    if resolution is not Resolution.EXCHANGE:
        return
    for item in items:
        field = f"items[{item.index}].exchange_sku"
        if not item.exchange_sku:
            continue  # the seller names the variant when resolving (the portal always asks)
        product = catalog.get(item.exchange_sku)
        if product is None or item.exchange_sku == item.sku:
            raise InvalidInput(
                f"{item.exchange_sku!r} is not another product of the catalog",
                code="exchange_sku_unknown",
                details=[{"field": field, "value": item.exchange_sku}],
            )
        if categories.get(item.sku) is None or product.category != categories.get(item.sku):
            raise InvalidInput(
                f"{item.exchange_sku!r} is not a variant of {item.sku!r} (another category)",
                code="exchange_not_a_variant",
                details=[{"field": field, "value": item.exchange_sku}],
            )
