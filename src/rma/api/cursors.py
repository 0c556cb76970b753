"""Opaque list cursors: the sort value and id of the last row of a page."""

from __future__ import annotations

import base64
from datetime import datetime

from rma.domain.errors import InvalidInput
from rma.domain.returns import Return
from rma.services.unit_of_work import Cursor, ReturnSort


def encode_cursor(last: Return, sort: ReturnSort) -> str:
    value: datetime = getattr(last, sort.field)
    raw = f"{value.isoformat()}|{last.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, _, last_id = raw.partition("|")
        at = datetime.fromisoformat(value)
    except ValueError:
        at, last_id = None, ""
    if at is None or at.tzinfo is None or not last_id:
        raise InvalidInput(
            "this cursor was not given by a list answer",
            code="invalid_cursor",
            details=[{"field": "cursor"}],
        )
    return Cursor(at, last_id)
