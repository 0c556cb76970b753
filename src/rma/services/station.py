"""The warehouse station's view of one return, and receiving a count into it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rma.domain.flags import Flag
from rma.domain.receiving import receivable
from rma.domain.returns import Actor, Receipt, Return, ReturnItem
from rma.domain.statuses import ReturnStatus
from rma.services.physical_ports import Photo
from rma.services.receiving import ReceiptOutcome, ReceivePackage, receive_package
from rma.services.returns import Scope, _find
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class StationItem:
    """One item as the station shows it: its name, what is still to come, flags and photos."""

    item: ReturnItem
    name: str
    expected: int  # units authorized that have not arrived yet
    flags: list[Flag]
    photos: list[Photo]


@dataclass(frozen=True)
class ReturnAtStation:
    ret: Return
    items: list[StationItem]
    flags: list[Flag]
    receivable: bool  # a box may be received into it
    inspectable: bool  # its received units may be judged


@dataclass(frozen=True)
class ReceiveCount:
    seller_id: str
    ref: str  # the return opened at the station (id or RMA number)
    actor: Actor
    counted: Sequence[Receipt]


def return_at_station(scope: Scope, ref: str, uow: UnitOfWork) -> ReturnAtStation:
    """One of the seller's returns with its items by name, flags and photos."""
    with uow:
        ret = _find(uow, scope, ref)
        order = uow.orders.get(ret.seller_id, ret.order_id)
        names = {line.line_id: line.name for line in order.lines} if order else {}
        flags = uow.flags.for_return(ret.seller_id, ret.id)
        photos = uow.photos.for_return(ret.seller_id, ret.id)
    items = [
        StationItem(
            item,
            names.get(item.line_id) or item.sku,
            max(item.authorized_quantity - item.received_quantity, 0),
            [f for f in flags if f.item_id == item.id],
            [p for p in photos if p.item_id == item.id],
        )
        for item in ret.items
    ]
    return ReturnAtStation(ret, items, flags, receivable(ret), _inspectable(ret))


def receive_count(cmd: ReceiveCount, uow: UnitOfWork) -> ReceiptOutcome:
    """Receive the units counted at the station into the return opened there.

    The return is looked up in the seller's scope first, so a return id of another seller
    is not found rather than queued as an unannounced box.
    """
    with uow:
        ret = _find(uow, Scope(cmd.seller_id), cmd.ref)
    # The packing-slip code (the return's id) names exactly this return.
    return receive_package(
        ReceivePackage(cmd.seller_id, ret.id, cmd.actor, counted=list(cmd.counted)), uow
    )


def _inspectable(ret: Return) -> bool:
    """Mirrors ``Return.inspect``: after receipt, or resolved early with units still unjudged."""
    if ret.status is ReturnStatus.RECEIVED:
        return True
    return ret.status is ReturnStatus.RESOLVED and not all(i.inspected for i in ret.items)
