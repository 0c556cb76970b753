"""Signed links to a return's RMA page and label: what a customer may open without signing in.

Every page link rma hands out (the portal, the desk, the emails, the label's QR code) is made
here, so how the links are signed is decided in one place.
"""

from __future__ import annotations

from rma.adapters.signing import Signer

PAGE_PURPOSE = "rma-page"


def page_path(signer: Signer, return_id: str, rma_number: str, suffix: str = "") -> str:
    """The signed path of a return's RMA page, or of ``suffix`` under it (``/label.pdf``)."""
    return f"/rma/{rma_number}{suffix}?t={signer.sign(PAGE_PURPOSE, {'r': return_id})}"
