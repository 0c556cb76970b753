"""What the customer's side asks of storage: each seller's portal settings."""

from __future__ import annotations

from typing import Protocol

from rma.domain.storefront import PortalSettings


class PortalSettingsRepository(Protocol):
    def get(self, seller_id: str) -> PortalSettings | None: ...
    def by_handle(self, shop_handle: str) -> PortalSettings | None: ...
    def add(self, settings: PortalSettings) -> None: ...
