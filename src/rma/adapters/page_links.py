"""Links to a return's RMA page: signed, expiring, and made in this one place.

Whoever holds the link sees the page (the customer, from an email, a label's QR code, an
Amazon-compatible client): so it cannot be guessed or altered, and it ages out after
``RMA_RMA_PAGE_LINK_DAYS`` (180 by default). Asking for the links again (the API, the desk,
the portal) reissues one with a fresh expiry; an expired one shows a page that says how.
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import quote

from rma.adapters.signing import BadSignature, Signer
from rma.domain.returns import Return

PURPOSE = "rma-page"
DAY = 86_400


class LinkExpired(Exception):
    """The link was ours, but its time is up."""


class PageLinks:
    def __init__(self, signer: Signer, base_url: str, lifetime: timedelta):
        self._signer = signer
        self._base_url = base_url.rstrip("/")
        self._lifetime = lifetime

    def path(self, ret: Return, suffix: str = "") -> str:
        """The page's path (or its label's, with ``suffix="/label.pdf"``), for this site.

        The expiry is rounded up to a whole day, so a link made twice in a day is the same
        link: a label drawn with it (its QR code) stays cached for the day.
        """
        expires = -(-int(time.time() + self._lifetime.total_seconds()) // DAY) * DAY
        token = self._signer.sign(PURPOSE, {"r": ret.id, "e": expires})
        return f"/rma/{quote(ret.rma_number or '', safe='-')}{suffix}?t={token}"

    def url(self, ret: Return, suffix: str = "") -> str:
        """The absolute link, on the configured base URL (never the Host header)."""
        return self._base_url + self.path(ret, suffix)

    def return_id(self, token: str) -> str:
        """The return a link opens; ``BadSignature`` if forged, ``LinkExpired`` if old."""
        payload = self._signer.unsign(PURPOSE, token)
        expires = payload.get("e")
        if not isinstance(expires, int):
            raise BadSignature(PURPOSE)  # made before links expired: never valid now
        if expires < time.time():
            raise LinkExpired(PURPOSE)
        return str(payload.get("r", ""))
