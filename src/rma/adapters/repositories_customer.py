"""Storage of the customer's side: each seller's portal settings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rma.adapters.orm_customer import portal_settings
from rma.domain.storefront import PortalSettings


class SqlPortalSettings:
    def __init__(self, session: Session):
        self.session = session

    def get(self, seller_id: str) -> PortalSettings | None:
        return self.session.get(PortalSettings, seller_id)

    def by_handle(self, shop_handle: str) -> PortalSettings | None:
        c = portal_settings.c
        return self.session.scalars(
            select(PortalSettings).where(c.shop_handle == shop_handle)
        ).first()

    def add(self, settings: PortalSettings) -> None:
        self.session.add(settings)
