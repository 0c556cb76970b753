"""A small world of facts with known times, for checking every measure by hand.

The seller's zone is America/New_York (UTC-5 in February, UTC-4 from 8 March 2026), so a
shipment at 03:00 UTC on 1 March falls on 28 February there: grouping in UTC would differ.

Shipped units, by local month: February TEE 20 (10 direct from WH1, 10 Amazon), MUG 4;
March MUG 6, CAP 5. Returns: R1 (Feb, ada, WH1) TEE 2 defective + MUG 1 unwanted, refunded;
R2 (28 Feb local, bob, Amazon) TEE 3 damaged by FEDEX; R3 (Mar, ada) MUG 2 unwanted + CAP 1
defective, store credit; R4 (Mar, ada) denied, never counted; R5 in April, outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from rma.adapters import orm, orm_amazon, orm_money, orm_physical
from rma.bootstrap import Container

TZ = "America/New_York"


def at(text: str) -> datetime:
    """A UTC instant from ``YYYY-MM-DD HH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ADDRESS = {
    "name": "WH",
    "line1": "1 Dock St",
    "line2": "",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "US",
}


@dataclass
class World:
    seller_id: str
    returns: dict[str, str]  # R1.. -> return id


class Rows:
    """Inserts facts straight into the tables, as the use cases would have left them."""

    def __init__(self, container: Container, seller_id: str):
        self.container = container
        self.seller_id = seller_id
        self.batches: list[tuple[Any, list[dict[str, Any]]]] = []

    def add(self, table: Any, **values: Any) -> None:
        self.batches.append((table, [{"seller_id": self.seller_id, **values}]))

    def write(self) -> None:
        with self.container.engine.begin() as connection:
            for table, rows in self.batches:
                connection.execute(insert(table), rows)


def order(rows: Rows, number: str, email: str, lines: list[tuple[str, str, int, int]]) -> str:
    order_id = f"ord_{rows.seller_id[-6:]}_{number}"
    rows.add(
        orm.orders,
        id=order_id,
        number=number,
        customer_email=email,
        customer_name="",
        currency="USD",
        ordered_at=at("2026-01-15 12:00"),
        shipping_amount=0,
    )
    for line_id, sku, quantity, price in lines:
        rows.add(
            orm.order_lines,
            order_id=order_id,
            line_id=line_id,
            sku=sku,
            name=f"{sku} item",
            quantity=quantity,
            unit_price=price,
            tax_per_unit=0,
        )
    return order_id


def shipment(
    rows: Rows, order_id: str, ship_id: str, when: str, items: list[tuple[str, int]], **more: Any
) -> None:
    rows.add(orm.shipments, id=ship_id, order_id=order_id, shipped_at=at(when), **more)
    for line_id, quantity in items:
        rows.add(orm.shipment_items, shipment_id=ship_id, line_id=line_id, quantity=quantity)


def a_return(
    rows: Rows,
    name: str,
    order_id: str,
    email: str,
    status: str,
    created: str,
    history: list[tuple[str, str]],
    **more: Any,
) -> str:
    return_id = f"ret_{rows.seller_id[-6:]}_{name}"
    rows.add(
        orm.returns,
        id=return_id,
        order_id=order_id,
        order_number=order_id.rsplit("_", 1)[1],
        customer_email=email,
        currency="USD",
        status=status,
        resolution=more.pop("resolution", "refund"),
        rma_number=f"RMA-{name}",
        in_policy=True,
        violations=[],
        violation_codes="",
        customer_note="",
        created_at=at(created),
        updated_at=at(created),
        version=1,
        **more,
    )
    previous = None
    for to_status, when in [("requested", created), *history]:
        rows.add(
            orm.return_history,
            return_id=return_id,
            at=at(when),
            actor="test",
            action=to_status,
            from_status=previous,
            to_status=to_status,
            note="",
        )
        previous = to_status
    return return_id


def item(rows: Rows, return_id: str, item_id: str, line_id: str, sku: str, **values: Any) -> None:
    quantity = values.pop("quantity")
    received = values.pop("received", 0)
    rows.add(
        orm.return_items,
        id=item_id,
        return_id=return_id,
        line_id=line_id,
        sku=sku,
        unit_price=values.pop("price"),
        requested_quantity=quantity,
        authorized_quantity=quantity,
        received_quantity=received,
        accepted_quantity=values.pop("accepted", 0),
        rejected_quantity=0,
        reason_code=values.pop("reason"),
        return_created_at=_created(rows, return_id),
        comment=values.pop("comment", ""),
        inspection_note="",
        **values,
    )


def _created(rows: Rows, return_id: str) -> Any:
    """When the return was created: as added to ``rows``, or as stored before."""
    for table, [row] in rows.batches:
        if table is orm.returns and row["id"] == return_id:
            return row["created_at"]
    r = orm.returns.c
    with rows.container.engine.connect() as connection:
        return connection.execute(select(r.created_at).where(r.id == return_id)).scalar_one()


def build(container: Container, seller_id: str) -> World:
    """The facts described in the module docstring, for ``seller_id``."""
    with container.engine.begin() as connection:
        connection.execute(
            update(orm.sellers).where(orm.sellers.c.id == seller_id).values(timezone=TZ)
        )
    rows = Rows(container, seller_id)
    rows.add(orm.products, sku="TEE", name="Tee", category="apparel", asin="B000TEE001",
             fnsku="X000TEE001")  # fmt: skip
    rows.add(orm.products, sku="MUG", name="Mug", category="kitchen")
    rows.add(orm.facilities, code="WH1", name="Main", address=_address())
    o1 = order(rows, "1001", "ada@example.com", [("1", "TEE", 10, 2500), ("2", "MUG", 4, 1200)])
    o2 = order(rows, "1002", "bob@example.com", [("1", "TEE", 10, 2500)])
    o3 = order(rows, "1003", "ada@example.com", [("1", "MUG", 6, 1200), ("2", "CAP", 5, 1000)])
    rows.add(
        orm_amazon.fulfillment_order_details,
        order_id=o2,
        marketplace_id="ATVPDKIKX0DER",
        displayable_order_id="1002",
        displayable_order_date=at("2026-01-15 12:00"),
        displayable_order_comment="",
        shipping_speed_category="Standard",
        destination_address={},
        notification_emails=[],
        received_at=at("2026-01-15 12:00"),
    )
    shipment(rows, o1, "S1", "2026-02-10 12:00", [("1", 10), ("2", 4)], facility_code="WH1",
             carrier="UPS")  # fmt: skip
    shipment(rows, o2, "S2", "2026-03-01 03:00", [("1", 10)])
    shipment(rows, o3, "S3", "2026-03-15 15:00", [("1", 6), ("2", 5)])

    r1 = a_return(
        rows, "R1", o1, "ada@example.com", "closed", "2026-02-12 15:00",
        [("authorized", "2026-02-12 17:00"), ("received", "2026-02-15 17:00"),
         ("inspected", "2026-02-16 10:00"), ("resolved", "2026-02-16 17:00"),
         ("closed", "2026-02-17 09:00")],
        carrier="UPS", tracking_number="1Z1", label_cost=700, label_paid_by="buyer",
        label_type="prepaid",
    )  # fmt: skip
    item(rows, r1, "itm_R1a", "1", "TEE", quantity=2, received=2, accepted=2, price=2500,
         reason="CR-DEFECTIVE", condition="defective", disposition="return_to_vendor",
         inspected_at=at("2026-02-16 10:00"), comment="stopped working")  # fmt: skip
    item(rows, r1, "itm_R1b", "2", "MUG", quantity=1, received=1, accepted=1, price=1200,
         reason="CR-UNWANTED_ITEM", condition="sellable", disposition="restock",
         inspected_at=at("2026-02-16 10:00"))  # fmt: skip
    rows.add(
        orm_money.refunds,
        id="rfd_R1",
        return_id=r1,
        order_id=o1,
        currency="USD",
        amount=5380,
        breakdown={"goods": 6200, "restocking_fee": 120, "label_cost": 700, "total": 5380},
        gateway="manual",
        status="succeeded",
        attempt=1,
        asks=1,
        idempotency_key=f"refund-{r1}",
        reference="",
        failure_reason="",
        created_at=at("2026-02-16 10:00"),
        updated_at=at("2026-02-16 17:00"),
    )
    for item_id, sku, bucket, quantity in (
        ("itm_R1a", "TEE", "return_to_vendor", 2),
        ("itm_R1b", "MUG", "available", 1),
    ):
        rows.add(orm_physical.inventory_movements, sku=sku, location="WH1", bucket=bucket,
                 quantity=quantity, return_id=r1, item_id=item_id,
                 created_at=at("2026-02-16 10:00"))  # fmt: skip
    rows.add(orm_physical.package_receipts, id="rcp_R1", scan="RMA-R1", status="matched",
             actor="test", created_at=at("2026-02-15 17:00"), facility_code="WH1",
             return_id=r1, lines=[], flags=[], notes="")  # fmt: skip

    r2 = a_return(
        rows, "R2", o2, "bob@example.com", "received", "2026-03-01 04:00",
        [("authorized", "2026-03-01 10:00"), ("received", "2026-03-03 10:00")],
        carrier="FEDEX", tracking_number="FX2",
    )  # fmt: skip
    item(rows, r2, "itm_R2a", "1", "TEE", quantity=3, received=3, accepted=3, price=2500,
         reason="CR-DAMAGED_BY_CARRIER", condition="carrier_damaged", disposition="dispose",
         inspected_at=at("2026-03-05 12:00"))  # fmt: skip
    rows.add(orm_physical.inventory_movements, sku="TEE", location="WH1", bucket="dispose",
             quantity=3, return_id=r2, item_id="itm_R2a",
             created_at=at("2026-03-05 12:00"))  # fmt: skip
    for event_id, status, when in (("e1", "in_transit", "2026-03-01 20:00"),
                                   ("e2", "exception", "2026-03-02 12:00")):  # fmt: skip
        rows.add(orm_physical.tracking_events, source_id="src", event_id=event_id,
                 tracking_number="FX2", carrier="FEDEX", status=status, occurred_at=at(when),
                 received_at=at(when), message="", location="")  # fmt: skip

    r3 = a_return(
        rows, "R3", o3, "ada@example.com", "authorized", "2026-03-16 12:00",
        [("authorized", "2026-03-16 22:00")], resolution="store_credit",
    )  # fmt: skip
    item(rows, r3, "itm_R3a", "1", "MUG", quantity=2, price=1200, reason="CR-UNWANTED_ITEM")
    item(rows, r3, "itm_R3b", "2", "CAP", quantity=1, price=1000, reason="CR-DEFECTIVE")
    rows.add(orm_money.credit_entries, id="crd_R3", customer_email="ada@example.com",
             currency="USD", kind="issued", amount=1500, bonus=0, return_id=r3, note="",
             created_at=at("2026-03-20 10:00"))  # fmt: skip

    r4 = a_return(rows, "R4", o3, "ada@example.com", "denied", "2026-03-17 12:00",
                  [("denied", "2026-03-17 13:00")])  # fmt: skip
    item(rows, r4, "itm_R4a", "1", "MUG", quantity=1, price=1200, reason="CR-UNWANTED_ITEM")
    r5 = a_return(rows, "R5", o3, "ada@example.com", "requested", "2026-04-02 12:00", [])
    item(rows, r5, "itm_R5a", "1", "MUG", quantity=1, price=1200, reason="CR-UNWANTED_ITEM")
    rows.write()
    return World(seller_id, {"R1": r1, "R2": r2, "R3": r3, "R4": r4, "R5": r5})


def _address() -> Any:
    from rma.domain.addresses import Address

    return Address(**ADDRESS)
