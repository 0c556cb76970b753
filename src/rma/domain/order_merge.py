"""Merging an order as a file or a store describes it into the order rma has, idempotently.

Lines are matched by ``line_id`` and shipments by their id: new ones are added, delivery
dates, carriers and tracking numbers are updated, and merging the same draft twice changes
nothing the second time. Everything is checked before anything changes.
"""

from __future__ import annotations

from rma.domain.order_import import OrderDraft, RowProblem, ShipmentRow
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem


def build_order(draft: OrderDraft, order_id: str, seller_id: str) -> Order:
    """A new order made of the draft."""
    head = draft.head
    order = Order(
        id=order_id,
        seller_id=seller_id,
        number=draft.number,
        customer_email=head.customer_email,
        currency=head.currency,
        ordered_at=head.ordered_at,
        customer_name=head.customer_name,
        shipping_amount=head.shipping_amount,
    )
    merge_into(order, draft)
    return order


def merge_into(order: Order, draft: OrderDraft) -> list[RowProblem] | bool:
    """Add the draft's new lines and shipments to ``order``; update delivery and tracking.

    Answers whether anything changed, or the problems that forbid the merge (then ``order``
    is left as it was). Lines already there keep their quantity and price: returns may
    already stand on them.
    """
    problems = _conflicts(order, draft) + _over_shipped(order, draft)
    if problems:
        return problems
    changed = False
    for row in draft.rows:
        if order.line(row.line.line_id) is None:
            order.lines.append(_copy_line(row.line))
            changed = True
        if row.shipment is not None:
            changed = _merge_shipment(order, row.line.line_id, row.shipment) or changed
    return changed


# -- merging --------------------------------------------------------------------------------


def _conflicts(order: Order, draft: OrderDraft) -> list[RowProblem]:
    problems: list[RowProblem] = []
    for row in draft.rows:
        line = order.line(row.line.line_id)
        if line is not None and line.sku != row.line.sku:
            problems.append(
                RowProblem(
                    row.row,
                    "sku",
                    "line_changed",
                    f"line {line.line_id} of this order is {line.sku}",
                    draft.number,
                )
            )
    return problems


def _merge_shipment(order: Order, line_id: str, row: ShipmentRow) -> bool:
    shipment = next((s for s in order.shipments if s.id == row.id), None)
    if shipment is None:
        order.shipments.append(
            Shipment(
                id=row.id,
                shipped_at=row.shipped_at,
                delivered_at=row.delivered_at,
                carrier=row.carrier,
                tracking_number=row.tracking_number,
                facility_code=row.facility_code,
                items=[ShipmentItem(line_id, row.quantity)],
            )
        )
        return True
    changed = False
    for name in ("delivered_at", "carrier", "tracking_number", "facility_code"):
        value = getattr(row, name)
        if value is not None and getattr(shipment, name) != value:
            setattr(shipment, name, value)
            changed = True
    item = next((i for i in shipment.items if i.line_id == line_id), None)
    if item is None:
        shipment.items.append(ShipmentItem(line_id, row.quantity))
        changed = True
    elif item.quantity != row.quantity:
        item.quantity = row.quantity
        changed = True
    return changed


def _over_shipped(order: Order, draft: OrderDraft) -> list[RowProblem]:
    # Computed before anything changes, so a refused draft leaves the order untouched.
    shipped = {
        (shipment.id, item.line_id): item.quantity
        for shipment in order.shipments
        for item in shipment.items
    }
    ordered = {line.line_id: line.quantity for line in order.lines}
    for row in draft.rows:
        ordered.setdefault(row.line.line_id, row.line.quantity)
        if row.shipment is not None:
            shipped[(row.shipment.id, row.line.line_id)] = row.shipment.quantity
    totals: dict[str, int] = {}
    for (_, line_id), quantity in shipped.items():
        totals[line_id] = totals.get(line_id, 0) + quantity
    return [
        RowProblem(
            row.row,
            "shipped_quantity",
            "over_shipped",
            f"more units shipped than the {ordered[row.line.line_id]} ordered",
            draft.number,
        )
        for row in draft.rows
        if totals.get(row.line.line_id, 0) > ordered[row.line.line_id]
    ]


def _copy_line(line: OrderLine) -> OrderLine:
    return OrderLine(
        line.line_id, line.sku, line.quantity, line.unit_price, line.name, line.tax_per_unit
    )
