"""What the partner use cases ask of storage: partners, routing rules, supplier RMAs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rma.domain.partners import Partner
from rma.domain.returns import Return
from rma.domain.routing import RoutingRule
from rma.domain.supplier_rmas import SupplierRma


class PartnerRepository(Protocol):
    def add(self, partner: Partner) -> None: ...
    def get(self, seller_id: str, partner_id: str) -> Partner | None: ...
    def all(self, seller_id: str) -> list[Partner]: ...


class RoutingRuleRepository(Protocol):
    def all(self, seller_id: str) -> list[RoutingRule]:
        """The seller's rules by position."""

    def any(self, seller_id: str) -> bool:
        """Whether the seller has a rule at all."""

    def replace(self, seller_id: str, rules: Sequence[RoutingRule]) -> None:
        """Make ``rules`` the seller's whole ordered list."""


class SupplierRmaRepository(Protocol):
    def add(self, rma: SupplierRma) -> None: ...
    def get(self, seller_id: str, rma_id: str) -> SupplierRma | None: ...
    def for_return(self, seller_id: str, return_id: str) -> SupplierRma | None: ...
    def listed(self, seller_id: str, partner_id: str | None = None) -> list[SupplierRma]:
        """The seller's supplier RMAs (of one partner when named), newest first."""

    def unanswered(self, limit: int) -> list[SupplierRma]:
        """Requested or escalated ones of every seller, oldest first, locked until commit."""


class PartnerReturnQueries(Protocol):
    def routed_to(self, seller_id: str, partner_id: str, limit: int) -> list[Return]:
        """The returns routed to one partner, most recently updated first."""

    def in_group(self, seller_id: str, group_id: str) -> list[Return]:
        """The returns one request was split into."""
