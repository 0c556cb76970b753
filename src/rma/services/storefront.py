"""The seller's customer-facing settings: the shop's portal handle, language, reply address."""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.errors import Conflict, NotFound
from rma.domain.storefront import PortalSettings, check_portal_settings
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Shop:
    """A shop as its own portal (``/s/{handle}/returns``) shows it."""

    seller_id: str
    name: str
    handle: str
    language: str


@dataclass(frozen=True)
class PutPortalSettings:
    seller_id: str
    shop_handle: str | None
    language: str
    reply_to: str


def find_shop(handle: str, uow: UnitOfWork) -> Shop:
    """The shop with this portal handle (case-insensitive), or ``NotFound``."""
    with uow:
        settings = uow.portal_settings.by_handle(handle.strip().lower())
        seller = uow.sellers.get(settings.seller_id) if settings else None
        if settings is None or seller is None or settings.shop_handle is None:
            raise NotFound(f"no shop {handle!r}", code="shop_not_found")
        return Shop(seller.id, seller.name, settings.shop_handle, settings.language)


def get_portal_settings(seller_id: str, uow: UnitOfWork) -> PortalSettings:
    """The seller's portal settings, or the defaults when it never set any."""
    with uow:
        return uow.portal_settings.get(seller_id) or PortalSettings(seller_id)


def put_portal_settings(cmd: PutPortalSettings, uow: UnitOfWork) -> PortalSettings:
    """Replace the seller's portal settings; a handle another shop has is a 409."""
    handle = cmd.shop_handle.strip().lower() if cmd.shop_handle else None
    wanted = check_portal_settings(
        PortalSettings(cmd.seller_id, handle or None, cmd.language, cmd.reply_to.strip())
    )
    with uow:
        if wanted.shop_handle is not None:
            holder = uow.portal_settings.by_handle(wanted.shop_handle)
            if holder is not None and holder.seller_id != cmd.seller_id:
                raise Conflict(
                    f"another shop has the handle {wanted.shop_handle!r}",
                    code="shop_handle_taken",
                    details=[{"field": "shop_handle", "value": wanted.shop_handle}],
                )
        current = uow.portal_settings.get(cmd.seller_id)
        if current is None:
            uow.portal_settings.add(wanted)
            current = wanted
        else:
            current.shop_handle = wanted.shop_handle
            current.language = wanted.language
            current.reply_to = wanted.reply_to
        uow.commit()
        return current
