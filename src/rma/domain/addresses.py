"""Postal addresses: where returns go, and where shipments left from."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Address:
    """A postal address as printed on a label."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    line2: str = ""
    region: str = ""  # state or province code
    phone: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The address as the lines of a label, empty parts left out."""
        city_line = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        return [p for p in (self.name, self.line1, self.line2, city_line, self.country) if p]


@dataclass(eq=False)
class ReturnAddress:
    """A seller's saved address to which customers send returns."""

    id: str
    seller_id: str
    label: str
    address: Address


@dataclass(eq=False)
class Facility:
    """A warehouse or fulfillment center of a seller, known by the seller's own code."""

    seller_id: str
    code: str
    name: str
    address: Address
