"""Routing a request over the in-memory unit of work: one return per destination."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rma.domain.addresses import Address, Facility
from rma.domain.errors import InvalidInput
from rma.domain.partners import PartnerKind, SupplierTerms
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.domain.routing import Destination, DestinationKind, RuleConditions
from rma.domain.statuses import ReturnStatus
from rma.services import partners, sellers
from rma.services import returns as service
from rma.services.clock import utcnow
from tests.fakes import FakeUnitOfWork
from tests.unit.factories import order

HOME = Address("Home", "1 Dock St", "Springfield", "12345", "US")
ACME = Address("Acme", "9 Kiln Road", "Stoke", "ST1", "GB")


def _shop(uow: FakeUnitOfWork) -> tuple[str, str]:
    seller = sellers.create_seller(sellers.CreateSeller("Shop"), uow)
    with uow:
        uow.facilities.add(Facility(seller.id, "WH1", "Home", HOME))
        shipped = order(number="1001", delivered_at=utcnow() - timedelta(days=3))
        shipped.seller_id = seller.id
        shipped.ordered_at = utcnow() - timedelta(days=6)
        uow.orders.add(shipped)
        uow.commit()
    supplier = partners.add_partner(
        partners.AddPartner(
            seller.id,
            PartnerKind.SUPPLIER,
            "Acme Mugs",
            "rma@acme.example",
            ACME,
            skus=["MUG"],
            terms=SupplierTerms(restocking_fee_percent=10),
        ),
        uow,
    )
    return seller.id, supplier.id


def _rules(seller_id: str, supplier_id: str) -> partners.SetRoutingRules:
    return partners.SetRoutingRules(
        seller_id,
        [
            partners.NewRule(
                "Dropshipped",
                RuleConditions(supplier_id=supplier_id),
                Destination(DestinationKind.PARTNER, supplier_id),
            ),
            partners.NewRule(
                "Home", RuleConditions(), Destination(DestinationKind.FACILITY, "WH1")
            ),
        ],
    )


def test_a_mixed_request_becomes_one_authorization_per_destination() -> None:
    uow = FakeUnitOfWork()
    seller_id, supplier_id = _shop(uow)
    partners.set_routing_rules(_rules(seller_id, supplier_id), uow)
    cmd = service.RequestReturn(
        service.Scope(seller_id),
        "1001",
        [RequestedItem("1", 1, "CR-UNWANTED_ITEM"), RequestedItem("2", 1, "CR-UNWANTED_ITEM")],
        Actor("customer", "x"),
    )
    outcome = service.request_return(cmd, uow)
    home, mug = outcome.returns
    assert [i.sku for i in home.items] == ["TEE"]
    assert home.status is ReturnStatus.AUTHORIZED
    assert home.return_address == HOME
    assert mug.status is ReturnStatus.PENDING_REVIEW
    assert mug.partner_id == supplier_id
    assert home.group_id == mug.group_id is not None
    [asked] = uow.supplier_rmas.listed(seller_id)
    assert (asked.return_id, asked.expected_credit) == (mug.id, 1080)
    types = [e.type for e in uow.outbox]
    assert types.count("return.routed") == 2
    assert "supplier_rma.requested" in types


def test_without_rules_a_request_stays_one_return() -> None:
    uow = FakeUnitOfWork()
    seller_id, _ = _shop(uow)
    cmd = service.RequestReturn(
        service.Scope(seller_id),
        "1001",
        [RequestedItem("1", 1, "CR-UNWANTED_ITEM"), RequestedItem("2", 1, "CR-UNWANTED_ITEM")],
        Actor("customer", "x"),
    )
    outcome = service.request_return(cmd, uow)
    assert outcome.others == ()
    assert outcome.ret.routing is None
    assert "return.routed" not in [e.type for e in uow.outbox]


def test_a_rule_naming_a_missing_partner_or_facility_is_refused() -> None:
    uow = FakeUnitOfWork()
    seller_id, _ = _shop(uow)
    bad = partners.SetRoutingRules(
        seller_id,
        [
            partners.NewRule("x", RuleConditions(), Destination(DestinationKind.PARTNER, "nope")),
            partners.NewRule("y", RuleConditions(), Destination(DestinationKind.FACILITY, "NO")),
        ],
    )
    with pytest.raises(InvalidInput) as refused:
        partners.set_routing_rules(bad, uow)
    assert refused.value.code == "unknown_destination"
    assert [d["field"] for d in refused.value.details] == [
        "rules[0].destination.ref",
        "rules[1].destination.ref",
    ]
    assert partners.list_routing_rules(seller_id, uow) == []
