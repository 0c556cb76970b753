"""Return requests by email: which seller an inbound address names, which order a text names.

Each seller's inbound address is ``<seller id>@<RMA_MAIL_IN_DOMAIN>``. An email names its
order by number in the subject or the text ("order 1001", "order #1001", "Order no. A-7",
"#1001"); every candidate is tried, subject first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_ORDER = re.compile(
    r"(?:\border\b\s*(?:number|no\.?|nr\.?)?\s*[:#]?\s*#?|#)([A-Za-z0-9][A-Za-z0-9-]{0,99})",
    re.IGNORECASE,
)
_LOCAL_PART = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def inbound_address(seller_id: str, domain: str) -> str:
    """The address a seller's customers write to for returns."""
    return f"{seller_id}@{domain}"


def seller_of(address: str, domain: str) -> str | None:
    """The seller id an inbound address names, if it is one of ``domain``'s."""
    local, _, host = address.strip().strip("<>").rpartition("@")
    if host.lower() != domain.lower() or not _LOCAL_PART.match(local):
        return None
    return local


def order_numbers(subject: str, text: str) -> Iterator[str]:
    """Order numbers the email may mean, most likely first, each once."""
    seen: set[str] = set()
    for source in (subject, text[:20_000]):
        for match in _ORDER.finditer(source):
            number = match.group(1).rstrip("-")
            if number and number.upper() not in seen:
                seen.add(number.upper())
                yield number
