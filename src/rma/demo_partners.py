"""The demo's partners: a dropship supplier of headphones and a 3PL that takes hoodies back.

A request for a hoodie and headphones is split into two return authorizations; another
supplier return was accepted under the supplier's own RMA number, and one waits for it.
"""

from __future__ import annotations

from collections.abc import Callable

from rma.adapters.unit_of_work import SqlUnitOfWork
from rma.domain.addresses import Address, Facility
from rma.domain.partners import PartnerKind, Remedy, SupplierTerms
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.domain.routing import Destination, DestinationKind, RuleConditions
from rma.services import addresses, partner_work, partners, returns
from rma.services.supplier_rmas import SupplierAnswer

PARTNER_KEYS = {"supplier": "rma_pk_demo_supplier", "3pl": "rma_pk_demo_3pl"}


def load_partners(seller_id: str, orders: list[str], uow: Callable[[], SqlUnitOfWork]) -> None:
    """SoundWorks (supplier) and QuickShip (3PL), two rules, their keys and a few returns."""
    dock = Address("QuickShip Returns", "4100 Cargo Way", "Las Vegas", "89118", "US", region="NV")
    addresses.put_facility(Facility(seller_id, "LAS-3PL", "QuickShip Las Vegas", dock), uow())
    supplier = partners.add_partner(
        partners.AddPartner(
            seller_id,
            PartnerKind.SUPPLIER,
            "SoundWorks",
            "returns@soundworks.example",
            Address("SoundWorks RMA", "88 Audio Lane", "Austin", "73301", "US", region="TX"),
            skus=["HEADPHONES-X1"],
            terms=SupplierTerms(window_days=60, restocking_fee_percent=10, remedy=Remedy.CREDIT),
        ),
        uow(),
    )
    threepl = partners.add_partner(
        partners.AddPartner(
            seller_id,
            PartnerKind.THREE_PL,
            "QuickShip",
            "ops@quickship.example",
            facility_code="LAS-3PL",
            skus=["HOODIE-GREY-L"],
        ),
        uow(),
    )
    rules = [
        partners.NewRule(
            "Dropshipped by SoundWorks",
            RuleConditions(supplier_id=supplier.id),
            Destination(DestinationKind.PARTNER, supplier.id),
        ),
        partners.NewRule(
            "Hoodies to QuickShip",
            RuleConditions(skus=("HOODIE-GREY-L",)),
            Destination(DestinationKind.PARTNER, threepl.id),
        ),
    ]
    partners.set_routing_rules(partners.SetRoutingRules(seller_id, rules), uow())
    for kind, partner in (("supplier", supplier), ("3pl", threepl)):
        partners.issue_partner_key(
            partners.IssuePartnerKey(seller_id, partner.id, f"demo {kind}", PARTNER_KEYS[kind]),
            uow(),
        )

    scope = returns.Scope(seller_id)

    def request(number: str, *lines: str) -> returns.RequestOutcome:
        items = [RequestedItem(line, 1, "CR-DEFECTIVE") for line in lines]
        cmd = returns.RequestReturn(scope, number, items, Actor("customer", number))
        return returns.request_return(cmd, uow())

    # A hoodie and headphones: one box to QuickShip, one waiting for SoundWorks.
    request(orders[0], "2", "3")
    # Headphones SoundWorks accepted under its own RMA number (on the customer's label).
    accepted = request(orders[1], "3").ret
    partner_scope = returns.Scope(seller_id, partner_id=supplier.id)
    partner_work.answer_as_partner(
        partner_scope,
        accepted.id,
        SupplierAnswer(True, "SW-5521"),
        Actor("partner", "demo"),
        uow(),
    )
