"""Demo data: a seller, its catalog and orders, and returns in many statuses.

Everything goes through the same use cases as the API, so the demo is also a smoke test.
The keys are well known on purpose: they are for trying rma out, never for production.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from rma.bootstrap import Container
from rma.demo_partners import PARTNER_KEYS, load_partners
from rma.domain.access import Role
from rma.domain.addresses import Address, Facility
from rma.domain.errors import Unauthenticated
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Product, Shipment, ShipmentItem
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor, Condition, DenyReason, Disposition, Inspection, Receipt
from rma.domain.tracking import SourceKind, sign
from rma.services import (
    addresses,
    catalog,
    inspection,
    policies,
    receiving,
    returns,
    review,
    sellers,
    storefront,
    tracking,
)
from rma.services.access import authenticate
from rma.services.clock import utcnow
from rma.services.unit_of_work import ReturnFilter

DEMO_KEYS = {
    "platform": "rma_sk_demo_platform",
    "admin": "rma_sk_demo_admin",
    "seller": "rma_sk_demo_seller",
    "warehouse": "rma_sk_demo_warehouse",
    **PARTNER_KEYS,
}

_PRODUCTS = (
    ("TEE-BLUE-M", "Organic tee, blue, M", "apparel", 2500),
    ("HOODIE-GREY-L", "Hoodie, grey, L", "apparel", 6500),
    ("HEADPHONES-X1", "X1 wireless headphones", "electronics", 12900),
    ("GIFTCARD-50", "Gift card 50", "final-sale", 5000),
)
_CUSTOMERS = (
    ("ada@example.com", "Ada Lovelace", "12 St James's Square", "London", "SW1Y 4JH", "GB", ""),
    ("grace@example.com", "Grace Hopper", "1 Navy Yard Ave", "Arlington", "22202", "US", "VA"),
    ("alan@example.com", "Alan Turing", "78 High Street", "Wilmslow", "SK9 1AB", "GB", ""),
    ("edsger@example.com", "Edsger Dijkstra", "Nuenen 4", "Nuenen", "5671 AA", "NL", ""),
)


def load_demo(container: Container) -> tuple[str, bool]:
    """Load the demo unless it is there; answer the demo seller's id and whether it is new."""
    try:
        seller_id = authenticate(DEMO_KEYS["seller"], container.uow()).seller_id
    except Unauthenticated:
        pass
    else:
        assert seller_id is not None
        return seller_id, False
    uow = container.uow
    seller = sellers.create_seller(sellers.CreateSeller("Demo Outfitters"), uow())
    warehouse_address = Address(
        "Demo Outfitters Returns", "200 Dock Street", "Reno", "89502", "US", region="NV"
    )
    addresses.add_return_address(
        addresses.AddReturnAddress(seller.id, "Reno warehouse", warehouse_address), uow()
    )
    addresses.put_facility(Facility(seller.id, "RNO1", "Reno warehouse", warehouse_address), uow())
    sellers.issue_api_key(
        sellers.IssueApiKey(Role.ADMIN, None, "demo platform", DEMO_KEYS["platform"]), uow()
    )
    for role in (Role.ADMIN, Role.SELLER, Role.WAREHOUSE):
        sellers.issue_api_key(
            sellers.IssueApiKey(role, seller.id, f"demo {role}", DEMO_KEYS[str(role)]), uow()
        )
    policies.put_policy(policies.PutPolicy(seller.id, "apparel", 30), uow())
    policies.put_policy(
        policies.PutPolicy(seller.id, "electronics", 15, restocking_fee_percent=15), uow()
    )
    policies.put_policy(policies.PutPolicy(seller.id, "final-sale", 0, returnable=False), uow())
    for sku, name, category, _price in _PRODUCTS:
        catalog.add_product(Product(seller.id, sku, name, category), uow())
    # Gift cards are final sale: the portal says so before the customer asks.
    policies.put_sku_policy(
        policies.PutSkuPolicy(seller.id, "GIFTCARD-50", returnable=False), uow()
    )
    storefront.put_portal_settings(
        storefront.PutPortalSettings(seller.id, "demo", "en", "help@demo-outfitters.example"),
        uow(),
    )

    now = utcnow()
    numbers = [_order(container, seller.id, n, now - timedelta(days=age)) for n, age in _ORDERS]
    staff = Actor("seller", "demo")
    warehouse = Actor("warehouse", "demo")
    scope = returns.Scope(seller.id)

    def request(number: str, *lines: str) -> str:
        items = [RequestedItem(line, 1, "CR-UNWANTED_ITEM") for line in lines]
        cmd = returns.RequestReturn(scope, number, items, Actor("customer", number))
        return returns.request_return(cmd, uow()).ret.id

    # DEMO-1001 stays untouched: the README's walk-through starts a return on it.
    request(numbers[1], "1")  # delivered 6 days ago: authorized at once
    request(numbers[2], "1")  # delivered 45 days ago: out of policy, waits for review
    denied = request(numbers[3], "1")
    returns.deny_return(
        returns.DenyReturn(scope, denied, staff, DenyReason.RETURN_PERIOD_ENDED, "Past 30 days."),
        uow(),
    )
    for number, last_step in (
        (numbers[4], "received"),
        (numbers[5], "resolved"),
        (numbers[6], "closed"),
    ):
        ret_id = request(number, "1", "2")
        ret = returns.get_return(scope, ret_id, uow())
        receipts = [Receipt(item.id, item.authorized_quantity) for item in ret.items]
        returns.receive_return(returns.ReceiveReturn(scope, ret_id, warehouse, receipts), uow())
        if last_step == "received":
            continue
        inspections = [
            Inspection(i.id, 1, 0, Condition.SELLABLE, Disposition.RESTOCK) for i in ret.items
        ]
        inspection.inspect_items(
            inspection.InspectItems(scope, ret_id, warehouse, inspections), uow()
        )
        returns.resolve_return(returns.ResolveReturn(scope, ret_id, staff), uow())
        if last_step == "closed":
            returns.close_return(returns.FinishReturn(scope, ret_id, staff, "Refunded."), uow())
    cancelled = request(numbers[7], "2")
    returns.cancel_return(returns.FinishReturn(scope, cancelled, Actor("customer", "demo")), uow())
    _physical(container, seller.id, numbers[1], uow)
    load_partners(seller.id, [numbers[7], numbers[4]], uow)
    return seller.id, True


def _physical(container: Container, seller_id: str, in_transit_order: str, uow: Any) -> None:
    """A return on its way (a signed carrier scan moved it) and a box nobody announced."""
    scope = returns.Scope(seller_id)
    ret = review.list_returns(
        scope, ReturnFilter(order_number=in_transit_order), uow(), after=None, limit=1
    )[0]
    source = tracking.add_carrier_source(
        tracking.AddCarrierSource(seller_id, SourceKind.NATIVE, "demo carrier", _DEMO_SECRET),
        uow(),
    )
    tracking.set_tracking(tracking.SetTracking(scope, ret.id, "UPS", "1ZDEMO0000000001"), uow())
    scan = {
        "event_id": "demo-scan-1",
        "tracking_number": "1ZDEMO0000000001",
        "carrier": "UPS",
        "status": "in_transit",
        "occurred_at": (utcnow() - timedelta(hours=20)).isoformat(),
        "location": "Louisville, KY, US",
    }
    body = json.dumps({"events": [scan]}).encode()
    signature = sign(SourceKind.NATIVE, _DEMO_SECRET, body, int(utcnow().timestamp()))
    tracking.ingest_carrier_events(tracking.IngestCarrierEvents(source.id, body, signature), uow())
    receiving.receive_package(
        receiving.ReceivePackage(
            seller_id, "1Z-UNKNOWN-4242", Actor("warehouse", "demo"), notes="no slip inside"
        ),
        uow(),
    )


_DEMO_SECRET = "whsec_demo_carrier_secret"


# Order number suffix and days since delivery.
_ORDERS = (
    (1001, 3),
    (1002, 6),
    (1003, 45),
    (1004, 40),
    (1005, 12),
    (1006, 20),
    (1007, 25),
    (1008, 2),
)


def _order(container: Container, seller_id: str, suffix: int, delivered_at: datetime) -> str:
    email, name, street, city, postal_code, country, region = _CUSTOMERS[
        (suffix - 1) % len(_CUSTOMERS)
    ]
    number = f"DEMO-{suffix}"
    lines = [
        OrderLine(str(i), sku, 1 if category != "apparel" else 2, price, title)
        for i, (sku, title, category, price) in enumerate(_PRODUCTS, start=1)
    ]
    shipment = Shipment(
        id=new_id("shp"),
        shipped_at=delivered_at - timedelta(days=2),
        delivered_at=delivered_at,
        carrier="UPS",
        tracking_number=f"1Z999AA1{suffix:010d}",
        items=[ShipmentItem(line.line_id, line.quantity) for line in lines],
    )
    order = Order(
        id=new_id("ord"),
        seller_id=seller_id,
        number=number,
        customer_email=email,
        customer_name=name,
        currency="USD",
        shipping_address=Address(name, street, city, postal_code, country, region=region),
        ordered_at=delivered_at - timedelta(days=4),
        lines=lines,
        shipments=[shipment],
    )
    catalog.add_order(order, container.uow())
    return number
