"""New rows of a busy kind inserted by the driver at the start of each flush.

Resolving a return by refund adds one new ``Refund``; the ORM's flush of that one row (its
unit of work sorting the session's changes, the insert, reading back what it wrote) was a
tenth of a resolution in the API process. Here such a row is inserted by the driver
(``driver_rows``) with the transaction's next round trip (the commit's, for a resolution:
``driver_rows.ride``), the trail told of it, and the object held by the session as its
flush holds what it inserted. A failed insert raises where it is sent what the flush would
have raised (an ``IntegrityError`` for a second first refund of a return, which the unit
of work answers as a conflict).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from rma.adapters.driver_rows import DriverInsert
from rma.adapters.orm_money import refunds
from rma.domain.refunds import Refund

_INSERTS: dict[type[Any], DriverInsert] = {Refund: DriverInsert(refunds)}


def write_new_rows(session: Session) -> None:
    """Insert each new object of a kind above; the flush goes on with the rest."""
    for obj in [obj for obj in session.new if type(obj) in _INSERTS]:
        _INSERTS[type(obj)].objects(session, [obj], riding=True)
        # What the flush ends with for a row it inserted: the object gets its identity and
        # its values become its loaded ones.
        session._register_persistent({inspect(obj)})
