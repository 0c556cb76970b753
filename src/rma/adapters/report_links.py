"""Signed, expiring links to download a report: the token is the only credential."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from rma.adapters.signing import BadSignature, Signer
from rma.domain.errors import NotFound
from rma.domain.reports import Report
from rma.services.report_schedules import ReportLink

PURPOSE = "report-link"


def link_maker(signer: Signer, base_url: str) -> Callable[[ReportLink], str]:
    """A function turning a ``ReportLink`` into a signed URL under ``base_url``."""

    def make(link: ReportLink) -> str:
        token = signer.sign(
            PURPOSE,
            {
                "s": link.seller_id,
                "r": link.report.value,
                "a": link.start.isoformat(),
                "b": link.end.isoformat(),
                "e": int(link.expires_at.timestamp()),
            },
        )
        return f"{base_url.rstrip('/')}/reports/download?{urlencode({'t': token})}"

    return make


def read_link(signer: Signer, token: str, now: datetime) -> ReportLink:
    """The link a token stands for; ``NotFound`` if forged, altered or expired."""
    try:
        payload = signer.unsign(PURPOSE, token)
        link = ReportLink(
            str(payload["s"]),
            Report(payload["r"]),
            date.fromisoformat(payload["a"]),
            date.fromisoformat(payload["b"]),
            datetime.fromtimestamp(int(payload["e"]), UTC),
        )
    except (BadSignature, KeyError, ValueError, TypeError) as error:
        raise NotFound("this link is not valid", code="report_link_invalid") from error
    if link.expires_at <= now:
        raise NotFound("this link has expired; the next report brings a new one",
                       code="report_link_expired")  # fmt: skip
    return link
