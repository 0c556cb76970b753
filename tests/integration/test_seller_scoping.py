"""No repository query of one seller ever returns another seller's rows.

Two sellers get look-alike data (same order number, SKU, category, facility code, RMA
number); every query method of every repository is then run as the first seller. A new
query method without an entry in ``QUERIES`` fails the coverage test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from rma.bootstrap import Container
from rma.domain import rma_numbers
from rma.domain.access import Role
from rma.domain.addresses import Address, Facility
from rma.domain.flags import FlagCode
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Product, Shipment, ShipmentItem
from rma.domain.partners import PartnerKind
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor, Condition, Disposition, Inspection, Receipt
from rma.domain.routing import Destination, DestinationKind, RuleConditions
from rma.domain.statuses import ReturnStatus
from rma.services import addresses, catalog, partners, policies, sellers
from rma.services import returns as service
from rma.services import unit_of_work as ports
from rma.services.clock import utcnow
from rma.services.inspection import InspectItems, inspect_items
from rma.services.unit_of_work import ReturnFilter, UnitOfWork

ADDRESS = Address("Returns", "1 Dock St", "Springfield", "12345", "US")


def _keys(uow: UnitOfWork, world: World) -> list[Any]:
    """Every key of the world's seller, read straight from its table."""
    from sqlalchemy import select

    from rma.adapters import orm
    from rma.domain.access import ApiKey

    session = uow.session  # type: ignore[attr-defined]
    return list(session.scalars(select(ApiKey).where(orm.api_keys.c.seller_id == world.seller_id)))


@dataclass
class World:
    seller_id: str
    order_id: str
    return_id: str
    address_id: str
    category: str
    refund_id: str
    event_id: str
    partner_id: str = ""  # a supplier of mugs
    supplier_return_id: str = ""  # a return routed to it, waiting for its answer


def _seller_world(container: Container, name: str) -> World:
    uow = container.uow
    seller_id = sellers.create_seller(sellers.CreateSeller(name), uow()).id
    sellers.issue_api_key(sellers.IssueApiKey(Role.SELLER, seller_id), uow())
    category = f"apparel-{name}"
    policies.put_policy(policies.PutPolicy(seller_id, category, 30), uow())
    policies.put_sku_policy(policies.PutSkuPolicy(seller_id, "TEE", window_days=20), uow())
    catalog.add_product(Product(seller_id, "TEE", "Tee", category), uow())
    address = addresses.add_return_address(
        addresses.AddReturnAddress(seller_id, "main", ADDRESS), uow()
    )
    addresses.put_facility(Facility(seller_id, "WH1", "Warehouse", ADDRESS), uow())
    delivered = utcnow() - timedelta(days=40)
    order = catalog.add_order(
        Order(
            id=new_id("ord"),
            seller_id=seller_id,
            number="1001",
            customer_email="ada@example.com",
            currency="USD",
            ordered_at=delivered - timedelta(days=3),
            lines=[OrderLine("1", "TEE", 2, 2500)],
            shipments=[
                Shipment(
                    id="SHIP-1",
                    shipped_at=delivered - timedelta(days=1),
                    delivered_at=delivered,
                    tracking_number="TRACK-1",
                    items=[ShipmentItem("1", 2)],
                )
            ],
        ),
        uow(),
    )
    scope = service.Scope(seller_id)
    ret = service.request_return(
        service.RequestReturn(
            scope, "1001", [RequestedItem("1", 1, "CR-DEFECTIVE")], Actor("customer", "x")
        ),
        uow(),
    ).ret
    staff = Actor("seller", "k")
    service.authorize_return(service.AuthorizeReturn(scope, ret.id, staff, "SAME-NUMBER"), uow())
    # Received, inspected and resolved, so each seller also has a refund and its events.
    item_id = ret.items[0].id
    service.receive_return(
        service.ReceiveReturn(scope, ret.id, staff, [Receipt(item_id, 1)]), uow()
    )
    inspection = Inspection(item_id, 1, 0, Condition.SELLABLE, Disposition.RESTOCK)
    inspect_items(InspectItems(scope, ret.id, staff, [inspection]), uow())
    service.resolve_return(service.ResolveReturn(scope, ret.id, staff), uow())
    with uow() as u:
        refund = u.refunds.for_return(seller_id, ret.id)
        assert refund is not None
        event = u.outbox.page(seller_id, event_type=None, after=None, limit=1)[0]
    world = World(seller_id, order.id, ret.id, address.id, category, refund.id, event.id)
    world.partner_id, world.supplier_return_id = _supplier_world(container, seller_id)
    return world


def _supplier_world(container: Container, seller_id: str) -> tuple[str, str]:
    """A mug supplier, a rule sending its mugs back to it, and a return routed there."""
    uow = container.uow
    supplier = partners.add_partner(
        partners.AddPartner(
            seller_id, PartnerKind.SUPPLIER, "Mugs", "m@example.com", ADDRESS, skus=["MUG"]
        ),
        uow(),
    )
    rule = partners.NewRule(
        "mugs",
        RuleConditions(supplier_id=supplier.id),
        Destination(DestinationKind.PARTNER, supplier.id),
    )
    partners.set_routing_rules(partners.SetRoutingRules(seller_id, [rule]), uow())
    now = utcnow()
    catalog.add_order(
        Order(
            id=new_id("ord"),
            seller_id=seller_id,
            number="1002",
            customer_email="ada@example.com",
            currency="USD",
            ordered_at=now - timedelta(days=5),
            lines=[OrderLine("1", "MUG", 1, 1200)],
            shipments=[
                Shipment(
                    id="SHIP-2",
                    shipped_at=now - timedelta(days=4),
                    delivered_at=now - timedelta(days=2),
                    items=[ShipmentItem("1", 1)],
                )
            ],
        ),
        uow(),
    )
    routed = service.request_return(
        service.RequestReturn(
            service.Scope(seller_id),
            "1002",
            [RequestedItem("1", 1, "CR-DEFECTIVE")],
            Actor("customer", "y"),
        ),
        uow(),
    ).ret
    assert routed.partner_id == supplier.id
    return supplier.id, routed.id


def _sellers_of(result: Any) -> set[str]:
    """Seller ids found in what a query answered (objects, lists, or plain values)."""
    if result is None or isinstance(result, bool | int | str):
        return set()
    if isinstance(result, dict):
        return set().union(*(_sellers_of(v) for v in result.values())) if result else set()
    if isinstance(result, list | tuple | set):
        return set().union(*(_sellers_of(v) for v in result)) if result else set()
    return {result.seller_id}


Query = Callable[[UnitOfWork, World, World], Any]
# For each query: how to call it as seller ``me`` with ids of seller ``them`` where it helps.
QUERIES: dict[str, list[Query]] = {
    "RiskRepository.settings": [lambda u, me, them: u.risk.settings(me.seller_id)],
    "RiskRepository.for_return": [
        lambda u, me, them: u.risk.for_return(me.seller_id, them.return_id),
        lambda u, me, them: u.risk.for_return(me.seller_id, me.return_id),
    ],
    "RiskRepository.held": [lambda u, me, them: u.risk.held(me.seller_id, None, 10)],
    # Both sellers' customer is ada@example.com: only the caller's return may come back.
    "RiskRepository.context": [
        lambda u, me, them: [
            _Tag(them.seller_id if p.return_id == them.return_id else me.seller_id)
            for p in u.risk.context(me.seller_id, ["ada@example.com"], "", with_settings=False).past
        ]
    ],
    "SellerRepository.get": [lambda u, me, them: _Tag(u.sellers.get(me.seller_id).id)],
    "SellerRepository.settings": [lambda u, me, them: _Tag(u.sellers.settings(me.seller_id).id)],
    "ReturnAddressRepository.get": [
        lambda u, me, them: u.return_addresses.get(me.seller_id, them.address_id),
        lambda u, me, them: u.return_addresses.get(me.seller_id, me.address_id),
    ],
    "ReturnAddressRepository.all": [lambda u, me, them: u.return_addresses.all(me.seller_id)],
    "FacilityRepository.get": [lambda u, me, them: u.facilities.get(me.seller_id, "WH1")],
    "FacilityRepository.all": [lambda u, me, them: u.facilities.all(me.seller_id)],
    "PolicyRepository.all": [lambda u, me, them: u.policies.all(me.seller_id)],
    "PolicyRepository.get": [
        lambda u, me, them: u.policies.get(me.seller_id, them.category),
        lambda u, me, them: u.policies.get(me.seller_id, me.category),
    ],
    "PolicyRepository.for_categories": [
        lambda u, me, them: u.policies.for_categories(me.seller_id, [me.category, them.category])
    ],
    "ReasonCodeRepository.all": [lambda u, me, them: u.reason_codes.all(me.seller_id)],
    "ReasonCodeRepository.among": [
        lambda u, me, them: u.reason_codes.among(me.seller_id, ["CR-DEFECTIVE", "CR-DAMAGED"])
    ],
    "ProductRepository.get": [lambda u, me, them: u.products.get(me.seller_id, "TEE")],
    "ProductRepository.in_categories": [
        lambda u, me, them: u.products.in_categories(me.seller_id, [me.category, them.category])
    ],
    "ProductRepository.in_category": [
        lambda u, me, them: u.products.in_category(me.seller_id, None, 50),
        lambda u, me, them: u.products.in_category(me.seller_id, them.category, 50),
    ],
    "ApiKeyRepository.of_seller": [
        lambda u, me, them: u.api_keys.of_seller(
            me.seller_id, [k.id for k in _keys(u, me)] + [k.id for k in _keys(u, them)]
        ),
    ],
    "ProductRepository.categories": [
        lambda u, me, them: [
            _Tag(me.seller_id if category == me.category else them.seller_id)
            for category in u.products.categories(me.seller_id, ["TEE"]).values()
        ]
    ],
    "OrderRepository.get": [
        lambda u, me, them: u.orders.get(me.seller_id, them.order_id),
        lambda u, me, them: u.orders.get(me.seller_id, me.order_id),
    ],
    "OrderRepository.by_numbers": [
        lambda u, me, them: u.orders.by_numbers(me.seller_id, ["1001"]),
    ],
    "StoreSourceRepository.all": [lambda u, me, them: u.store_sources.all(me.seller_id)],
    "OrderRepository.by_number": [
        lambda u, me, them: u.orders.by_number(me.seller_id, "1001"),
        lambda u, me, them: u.orders.by_number(me.seller_id, "1001", lock=True),
    ],
    "OrderRepository.to_return_from": [
        lambda u, me, them: u.orders.to_return_from(me.seller_id, "1001"),
    ],
    "ReturnRepository.get": [
        lambda u, me, them: u.returns.get(me.seller_id, them.return_id),
        lambda u, me, them: u.returns.get(me.seller_id, me.return_id),
    ],
    "ReturnRepository.by_rma_number": [
        lambda u, me, them: u.returns.by_rma_number(me.seller_id, "SAME-NUMBER")
    ],
    "ReturnRepository.for_order": [
        lambda u, me, them: u.returns.for_order(me.seller_id, them.order_id),
        lambda u, me, them: u.returns.for_order(me.seller_id, me.order_id),
    ],
    "ReturnRepository.ids_matching": [
        lambda u, me, them: [
            _Tag(me.seller_id if i in {me.return_id, me.supplier_return_id} else them.seller_id)
            for i in u.returns.ids_matching(me.seller_id, ReturnFilter(search="e"), 50)
        ],
    ],
    "ReturnRepository.count_matching": [
        lambda u, me, them: [
            _Tag(
                # Each seller has two returns: its own, and one routed to its supplier.
                me.seller_id if u.returns.count_matching(me.seller_id, ReturnFilter()) == 2 else ""
            )
        ],
        lambda u, me, them: [
            _Tag(
                # Counted up to a cap: the desk's queue.
                me.seller_id
                if u.returns.count_matching(me.seller_id, ReturnFilter(), up_to=5) == 2
                else ""
            )
        ],
    ],
    "ReturnRepository.page": [
        lambda u, me, them: u.returns.page(me.seller_id, ReturnFilter(), after=None, limit=50),
        lambda u, me, them: u.returns.page(
            me.seller_id, ReturnFilter(search="TRACK-1"), after=None, limit=50
        ),
        lambda u, me, them: u.returns.page(
            me.seller_id, ReturnFilter(order_number="1001"), after=None, limit=50
        ),
        # The SKU's items lead the page; with every status, whichever is rarer does.
        lambda u, me, them: u.returns.page(
            me.seller_id, ReturnFilter(sku="TEE"), after=None, limit=50
        ),
        lambda u, me, them: u.returns.page(
            me.seller_id, ReturnFilter(sku="TEE", status=tuple(ReturnStatus)), after=None, limit=50
        ),
    ],
    "ReturnRepository.to_authorize": [
        lambda u, me, them: u.returns.to_authorize(me.seller_id, [me.return_id, them.return_id])
    ],
    "ReasonCodeRepository.get": [
        lambda u, me, them: u.reason_codes.get(me.seller_id, "CR-DEFECTIVE")
    ],
    "SkuPolicyRepository.all": [lambda u, me, them: u.sku_policies.all(me.seller_id)],
    "SkuPolicyRepository.for_skus": [
        lambda u, me, them: u.sku_policies.for_skus(me.seller_id, ["TEE"])
    ],
    "SkuPolicyRepository.get": [lambda u, me, them: u.sku_policies.get(me.seller_id, "TEE")],
    "OutboxRepository.page": [
        lambda u, me, them: u.outbox.page(me.seller_id, event_type=None, after=None, limit=50)
    ],
    "OutboxRepository.get": [
        lambda u, me, them: u.outbox.get(me.seller_id, them.event_id),
        lambda u, me, them: u.outbox.get(me.seller_id, me.event_id),
    ],
    "OutboxRepository.contacts": [
        lambda u, me, them: [
            _Tag(me.seller_id if return_id == me.return_id else them.seller_id)
            for return_id in u.outbox.contacts(
                [(me.seller_id, me.return_id), (me.seller_id, them.return_id)]
            )
        ]
    ],
    "RefundRepository.get": [
        lambda u, me, them: u.refunds.get(me.seller_id, them.refund_id),
        lambda u, me, them: u.refunds.get(me.seller_id, me.refund_id, lock=True),
    ],
    "RefundRepository.for_return": [
        lambda u, me, them: u.refunds.for_return(me.seller_id, them.return_id),
        lambda u, me, them: u.refunds.for_return(me.seller_id, me.return_id),
    ],
    "RefundRepository.all_for_return": [
        lambda u, me, them: u.refunds.all_for_return(me.seller_id, them.return_id),
        lambda u, me, them: u.refunds.all_for_return(me.seller_id, me.return_id),
    ],
    "RefundRepository.page": [
        lambda u, me, them: u.refunds.page(me.seller_id, None, after=None, limit=50)
    ],
    "StoreCreditRepository.holders": [lambda u, me, them: u.store_credit.holders(me.seller_id, 50)],
    "StoreCreditRepository.account": [
        lambda u, me, them: u.store_credit.account(me.seller_id, "ada@example.com", "USD")
    ],
    "StoreCreditRepository.accounts": [
        lambda u, me, them: u.store_credit.accounts(me.seller_id, "ada@example.com")
    ],
    "StoreCreditRepository.entries": [
        lambda u, me, them: u.store_credit.entries(me.seller_id, "ada@example.com")
    ],
    "StoreCreditRepository.for_return": [
        lambda u, me, them: u.store_credit.for_return(me.seller_id, them.return_id)
    ],
    "OutboundOrderRepository.get": [
        lambda u, me, them: u.outbound_orders.get(me.seller_id, them.order_id)
    ],
    "OutboundOrderRepository.for_return": [
        lambda u, me, them: u.outbound_orders.for_return(me.seller_id, them.return_id)
    ],
    "OutboundOrderRepository.page": [
        lambda u, me, them: u.outbound_orders.page(me.seller_id, [], after=None, limit=50)
    ],
    "RepairOrderRepository.get": [
        lambda u, me, them: u.repair_orders.get(me.seller_id, them.order_id)
    ],
    "RepairOrderRepository.for_return": [
        lambda u, me, them: u.repair_orders.for_return(me.seller_id, them.return_id)
    ],
    "RepairOrderRepository.page": [
        lambda u, me, them: u.repair_orders.page(me.seller_id, [], after=None, limit=50)
    ],
    "WebhookEndpointRepository.all": [lambda u, me, them: u.webhook_endpoints.all(me.seller_id)],
    "WebhookEndpointRepository.get": [
        lambda u, me, them: u.webhook_endpoints.get(me.seller_id, them.event_id)
    ],
    "WebhookEndpointRepository.enabled_for": [
        lambda u, me, them: u.webhook_endpoints.enabled_for([me.seller_id])
    ],
    "DeliveryRepository.get": [lambda u, me, them: u.deliveries.get(me.seller_id, them.event_id)],
    "DeliveryRepository.page": [
        lambda u, me, them: u.deliveries.page(me.seller_id, "whe_none", after=None, limit=50)
    ],
    "CarrierSourceRepository.all": [lambda u, me, them: u.carrier_sources.all(me.seller_id)],
    "TrackingEventRepository.for_tracking_number": [
        lambda u, me, them: u.tracking_events.for_tracking_number(me.seller_id, "TRACK-1")
    ],
    "ReceiptRepository.get": [lambda u, me, them: u.receipts.get(me.seller_id, them.return_id)],
    "ReceiptRepository.facility_of": [
        lambda u, me, them: (
            _Tag(them.seller_id) if u.receipts.facility_of(me.seller_id, them.return_id) else None
        )
    ],
    "ReceiptRepository.page": [
        lambda u, me, them: u.receipts.page(me.seller_id, None, after=None, limit=50)
    ],
    "FlagRepository.for_return": [
        lambda u, me, them: u.flags.for_return(me.seller_id, them.return_id)
    ],
    "FlagRepository.by_code": [
        lambda u, me, them: [
            flag for code in FlagCode for flag in u.flags.by_code(me.seller_id, code, 50)
        ]
    ],
    "PhotoRepository.for_return": [
        lambda u, me, them: u.photos.for_return(me.seller_id, them.return_id)
    ],
    "PhotoRepository.get": [lambda u, me, them: u.photos.get(me.seller_id, them.return_id)],
    "InventoryRepository.movements": [
        lambda u, me, them: u.inventory.movements(me.seller_id, None, None, 50),
        lambda u, me, them: u.inventory.movements(me.seller_id, "TEE", None, 50),
    ],
    "PartnerRepository.get": [
        lambda u, me, them: u.partners.get(me.seller_id, them.partner_id),
        lambda u, me, them: u.partners.get(me.seller_id, me.partner_id),
    ],
    "PartnerRepository.all": [lambda u, me, them: u.partners.all(me.seller_id)],
    "RoutingRuleRepository.all": [lambda u, me, them: u.routing_rules.all(me.seller_id)],
    "SupplierRmaRepository.get": [
        lambda u, me, them: [
            u.supplier_rmas.get(me.seller_id, r.id)
            for r in [
                *u.supplier_rmas.listed(them.seller_id),
                *u.supplier_rmas.listed(me.seller_id),
            ]
        ]
    ],
    "SupplierRmaRepository.for_return": [
        lambda u, me, them: u.supplier_rmas.for_return(me.seller_id, them.supplier_return_id),
        lambda u, me, them: u.supplier_rmas.for_return(me.seller_id, me.supplier_return_id),
    ],
    "SupplierRmaRepository.listed": [
        lambda u, me, them: u.supplier_rmas.listed(me.seller_id),
        lambda u, me, them: u.supplier_rmas.listed(me.seller_id, them.partner_id),
    ],
    "PartnerReturnQueries.routed_to": [
        lambda u, me, them: u.partner_returns.routed_to(me.seller_id, them.partner_id, 50),
        lambda u, me, them: u.partner_returns.routed_to(me.seller_id, me.partner_id, 50),
    ],
    "InventoryRepository.reconciliation": [
        lambda u, me, them: [
            _Tag(me.seller_id)
            for row in u.inventory.reconciliation(me.seller_id, None)
            if row.sku == "TEE"
        ]
    ],
}

# Queries that are not a seller's by design, each with the reason.
UNSCOPED = {
    "RiskRepository.record": "writes",
    "RiskRepository.add_settings": "writes",
    "SellerRepository.add": "writes",
    "ApiKeyRepository.by_hash": "authentication finds the key, and so its seller",
    "CustomerSessionRepository.by_hash": "authentication finds the session, and so its seller",
    "ApiKeyRepository.get": "services.keys compares the key's seller with the caller's",
    "ApiKeyRepository.listed": "services.keys passes the caller's seller (the operator: None)",
    "StaffSessionRepository.by_hash": "a session leads to its key, and so its seller",
    "StaffSessionRepository.remove": "writes (signs one session out)",
    "OrderRepository.by_number_any_seller": "the portal asks which sellers have the order",
    "PortalSettingsRepository.by_handle": "a shop's portal finds its seller by the public handle",
    "PortalSettingsRepository.get": "keyed by the seller id alone: one row per seller",
    "ReturnRepository.due_for_expiry": "the expiry job runs for every seller",
    "ReturnRepository.rma_number_taken": "answers a bool for one seller (checked below)",
    "ReturnRepository.draw_rma_number": "draws a number for the next read; reads nothing itself",
    "ReturnRepository.unused_rma_number": "answers a number free for one seller (checked below)",
    "RoutingRuleRepository.any": "answers a bool for one seller (checked below)",
    "ReturnRepository.count_by_status": "answers counts for one seller (checked below)",
    "IdempotencyRepository.get": "keyed by the caller's key id, which belongs to one seller",
    "IdempotencyRepository.save_response": "writes",
    "ReturnRepository.save_authorizations": "writes what to_authorize (checked) read",
    "ReturnRepository.rma_numbers_taken": "answers numbers for one seller (checked below)",
    "SkuPolicyRepository.remove": "writes",
    "WebhookEndpointRepository.delete": "writes",
    "ReturnRepository.count_by_reason": "answers counts for one seller (checked below)",
    "DeliveryRepository.count_by_endpoint": "answers counts for one seller (checked below)",
    "AmazonRepository.add_details": "writes",
    "AmazonRepository.add_credential": "writes",
    "AmazonRepository.add_access_token": "writes",
    "AmazonRepository.details": "keyed by (seller, order): covered by test_amazon_access.py",
    "AmazonRepository.orders_page": "one seller's orders: covered by test_amazon_access.py",
    "AmazonRepository.credential": "authentication finds the credential, and so its seller",
    "AmazonRepository.access_token": "authentication finds the token, and so its seller",
    "AmazonRepository.prune_access_tokens": "writes (one client's expired tokens)",
    "OutboxRepository.claim": "the dispatcher runs for every seller",
    "BrokerOutboxRepository.claim_unpublished": "the broker publisher runs for every seller",
    "BrokerOutboxRepository.mark_published": "writes, for the broker publisher",
    "StoreSourceRepository.get": "a store webhook names its source, and so its seller",
    "OutboxRepository.mark_processed": "writes, for the dispatcher",
    "DeliveryRepository.claim_due": "the webhook worker runs for every seller",
    "DeliveryRepository.record": "writes, for the webhook worker",
    "DeliveryRepository.requeue": "writes one seller's delivery",
    "EmailRepository.claim_due": "the mail worker runs for every seller",
    "EmailRepository.record_sent": "writes, for the mail worker",
    "EmailRepository.record_failure": "writes, for the mail worker",
    "DeliveryRepository.lease_ends": "drain waits for every seller's held rows (a time only)",
    "EmailRepository.lease_ends": "drain waits for every seller's held rows (a time only)",
    "ActionTokenRepository.used": "a signed link names its token; ids are unique",
    "RefundRepository.claim_due": "the refund worker runs for every seller",
    "RefundRepository.refunded_for_order": "answers an amount for one seller (checked below)",
    "StoreCreditRepository.add_account": "writes",
    "ReturnAddressRepository.remove": "writes",
    "PolicyRepository.remove": "writes",
    "StoreCreditRepository.add_entry": "writes",
    "CarrierSourceRepository.get": "a carrier's webhook names its source, and so its seller",
    "TrackingEventRepository.add_new": "writes the events of one source, which has one seller",
    "RoutingRuleRepository.replace": "writes one seller's rules",
    "SupplierRmaRepository.unanswered": "the reminder job runs for every seller",
}

# Returns intelligence: its alerts and report schedules.
QUERIES.update(
    {
        "AlertRepository.recent": [lambda u, me, them: u.alerts.recent(me.seller_id, 10)],
        "ReportScheduleRepository.all": [lambda u, me, them: u.report_schedules.all(me.seller_id)],
    }
)
UNSCOPED.update(
    {
        "AlertRepository.window_counts": "counts of one seller: tests/e2e/test_alerts.py",
        "AlertRepository.raised": "keys of one seller's alerts, by seller and window",
        "AlertRepository.unseen": "a count for one seller (tests/e2e/test_alerts.py)",
        "AlertRepository.mark_seen": "writes one seller's alerts",
        "AlertRepository.unchecked_sellers": "the alerts job runs for every seller",
        "AlertRepository.mark_checked": "writes, for the alerts check of one seller",
        "ReportScheduleRepository.remove": "writes, by seller and id (a 404 otherwise)",
        "ReportScheduleRepository.unsent_since": "the report job runs for every seller",
        "ReportScheduleRepository.mark_sent": "writes, for the report job",
    }
)


@dataclass
class _Tag:
    seller_id: str


def _query_methods() -> set[str]:
    names = set()
    for name, port in vars(ports).items():
        if name.endswith("Repository") and inspect.isclass(port):
            for method in vars(port):
                if not method.startswith("_") and method not in {"add", "add_all"}:
                    names.add(f"{name}.{method}")
    return names


def test_every_repository_query_is_checked_or_has_a_reason_not_to_be() -> None:
    missing = _query_methods() - set(QUERIES) - set(UNSCOPED)
    assert not missing, f"add these to QUERIES (or UNSCOPED with a reason): {sorted(missing)}"


@pytest.fixture
def two_sellers(container: Container) -> tuple[World, World]:
    return _seller_world(container, "Mine"), _seller_world(container, "Theirs")


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_a_query_answers_only_the_callers_rows(
    container: Container, two_sellers: tuple[World, World], query: str
) -> None:
    me, them = two_sellers
    with container.uow() as uow:
        for call in QUERIES[query]:
            assert _sellers_of(call(uow, me, them)) <= {me.seller_id}
            assert _sellers_of(call(uow, them, me)) <= {them.seller_id}


def test_counts_and_taken_numbers_are_the_callers_only(
    container: Container, two_sellers: tuple[World, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    me, _them = two_sellers
    draws = iter(["SAME-NUMBER", "OTHER-NUMBER", "SAME-NUMBER"])
    monkeypatch.setattr(rma_numbers, "generate_rma_number", lambda: next(draws))
    with container.uow() as uow:
        uow.returns.draw_rma_number(me.seller_id)  # taken by me: drawn again
        assert uow.returns.unused_rma_number(me.seller_id) == "OTHER-NUMBER"
        assert uow.returns.unused_rma_number("sel_nobody") == "SAME-NUMBER"  # theirs is free
        # The resolved return, and the one waiting for its supplier (_supplier_world).
        assert uow.returns.count_by_status(me.seller_id) == {"resolved": 1, "pending_review": 1}
        assert uow.returns.count_by_status(me.seller_id, up_to=5) == {
            "resolved": 1,
            "pending_review": 1,
        }
        assert uow.returns.count_by_status("sel_nobody", up_to=5) == {}
        assert uow.returns.count_by_reason(me.seller_id) == {"CR-DEFECTIVE": 2}
        assert uow.returns.count_by_reason("sel_nobody") == {}
        assert uow.deliveries.count_by_endpoint("sel_nobody") == {}
        assert uow.returns.rma_number_taken(me.seller_id, "SAME-NUMBER")
        assert not uow.returns.rma_number_taken("sel_nobody", "SAME-NUMBER")
        assert uow.routing_rules.any(me.seller_id)
        assert not uow.routing_rules.any("sel_nobody")
        assert uow.returns.page("sel_nobody", ReturnFilter(), after=None, limit=50) == []
        assert uow.returns.rma_numbers_taken(me.seller_id, ["SAME-NUMBER"]) == {"SAME-NUMBER"}
        assert uow.returns.rma_numbers_taken("sel_nobody", ["SAME-NUMBER"]) == set()
        refunded = uow.refunds.refunded_for_order(me.seller_id, me.order_id, besides="")
        assert refunded > 0
        assert uow.refunds.refunded_for_order("sel_nobody", me.order_id, besides="") == 0
