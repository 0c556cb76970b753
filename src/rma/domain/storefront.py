"""What a seller sets for its customers: the shop's portal handle, language and reply address."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rma.domain.errors import InvalidInput

LANGUAGES = ("en", "de", "fr", "es")  # the catalogues shipped; English is the source text
_HANDLE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(eq=False)
class PortalSettings:
    """One seller's customer-facing settings; a seller without a row gets the defaults."""

    seller_id: str
    shop_handle: str | None = None  # /s/{shop_handle}/returns finds orders of this shop only
    language: str = "en"  # pages and emails when the browser asks for none we have
    reply_to: str = ""  # where customers' answers to rma's emails go; empty: nowhere


def check_portal_settings(settings: PortalSettings) -> PortalSettings:
    """``settings`` once each value is one rma accepts; else ``InvalidInput`` naming the field."""
    if settings.shop_handle is not None and not _HANDLE.match(settings.shop_handle):
        raise InvalidInput(
            "a shop handle is 1-40 of a-z, 0-9 and -, starting and ending with a letter or digit",
            code="invalid_shop_handle",
            details=[{"field": "shop_handle", "value": settings.shop_handle}],
        )
    if settings.language not in LANGUAGES:
        raise InvalidInput(
            f"the language is one of {', '.join(LANGUAGES)}",
            code="unsupported_language",
            details=[{"field": "language", "value": settings.language}],
        )
    if settings.reply_to and not _EMAIL.match(settings.reply_to):
        raise InvalidInput(
            "reply_to is an email address",
            code="invalid_reply_to",
            details=[{"field": "reply_to", "value": settings.reply_to}],
        )
    return settings
