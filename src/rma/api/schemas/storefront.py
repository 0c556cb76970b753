"""The seller's portal settings."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from rma.api.schemas.base import In
from rma.domain.storefront import PortalSettings


class PortalSettingsPut(In):
    shop_handle: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None,
        description="Short handle: customers of this shop use /s/{shop_handle}/returns.",
    )
    language: Annotated[str, StringConstraints(pattern=r"^(en|de|fr|es)$")] = Field(
        default="en", description="Pages and emails when the customer's browser asks for none."
    )
    reply_to: Annotated[str, StringConstraints(max_length=320)] = Field(
        default="", description="Where customers' answers to rma's emails go."
    )


class PortalSettingsPublic(BaseModel):
    shop_handle: str | None
    language: str
    reply_to: str
    portal_path: str = Field(description="The shop's own portal, or /returns without a handle.")

    @classmethod
    def of(cls, settings: PortalSettings) -> PortalSettingsPublic:
        path = f"/s/{settings.shop_handle}/returns" if settings.shop_handle else "/returns"
        return cls(
            shop_handle=settings.shop_handle,
            language=settings.language,
            reply_to=settings.reply_to,
            portal_path=path,
        )
