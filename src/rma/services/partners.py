"""Use cases of a seller's partners: add a supplier or 3PL, order the routing rules, keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rma.domain.access import ApiKey, Principal, Role, hash_secret, new_secret
from rma.domain.addresses import Address
from rma.domain.errors import InvalidInput, NotFound
from rma.domain.ids import new_id
from rma.domain.partners import Partner, PartnerKind, SupplierTerms
from rma.domain.routing import Destination, DestinationKind, RoutingRule, RuleConditions
from rma.services.clock import utcnow
from rma.services.sellers import IssuedKey
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AddPartner:
    seller_id: str
    kind: PartnerKind
    name: str
    contact_email: str
    address: Address | None = None
    facility_code: str | None = None
    skus: Sequence[str] = ()
    categories: Sequence[str] = ()
    terms: SupplierTerms = field(default_factory=SupplierTerms)


@dataclass(frozen=True)
class NewRule:
    name: str
    conditions: RuleConditions
    destination: Destination


@dataclass(frozen=True)
class SetRoutingRules:
    seller_id: str
    rules: Sequence[NewRule]


@dataclass(frozen=True)
class IssuePartnerKey:
    seller_id: str
    partner_id: str
    name: str = ""
    secret: str | None = None  # a chosen secret (the demo's well-known keys); else random


def add_partner(cmd: AddPartner, uow: UnitOfWork) -> Partner:
    """A new supplier or 3PL of the seller; a 3PL's facility must be one of the seller's."""
    with uow:
        if (
            cmd.facility_code is not None
            and uow.facilities.get(cmd.seller_id, cmd.facility_code) is None
        ):
            raise InvalidInput(
                f"no facility {cmd.facility_code}: add it first (PUT /v1/facilities/{{code}})",
                code="facility_not_found",
                details=[{"field": "facility_code", "value": cmd.facility_code}],
            )
        if cmd.address is None and cmd.facility_code is None:
            raise InvalidInput(
                "a partner needs an address or a facility where returns go",
                code="address_required",
                details=[{"field": "address"}],
            )
        partner = Partner(
            id=new_id("ptn"),
            seller_id=cmd.seller_id,
            kind=cmd.kind,
            name=cmd.name.strip(),
            contact_email=cmd.contact_email.strip(),
            created_at=utcnow(),
            address=cmd.address,
            facility_code=cmd.facility_code,
            skus=sorted(set(cmd.skus)),
            categories=sorted(set(cmd.categories)),
            terms=cmd.terms,
        )
        uow.partners.add(partner)
        uow.commit()
        return partner


def list_partners(seller_id: str, uow: UnitOfWork) -> list[Partner]:
    with uow:
        return uow.partners.all(seller_id)


def get_partner(seller_id: str, partner_id: str, uow: UnitOfWork) -> Partner:
    with uow:
        return find_partner(uow, seller_id, partner_id)


def find_partner(uow: UnitOfWork, seller_id: str, partner_id: str) -> Partner:
    partner = uow.partners.get(seller_id, partner_id)
    if partner is None:
        raise NotFound(f"no partner {partner_id}", code="partner_not_found")
    return partner


def set_routing_rules(cmd: SetRoutingRules, uow: UnitOfWork) -> list[RoutingRule]:
    """Replace the seller's ordered rules; every partner, facility and address must exist."""
    now = utcnow()
    with uow:
        problems = []
        for index, rule in enumerate(cmd.rules):
            problem = _missing(uow, cmd.seller_id, rule)
            if problem:
                problems.append({"field": f"rules[{index}].{problem[0]}", "value": problem[1]})
        if problems:
            raise InvalidInput(
                "a rule points to a partner, facility or address that does not exist",
                code="unknown_destination",
                details=problems,
            )
        rules = [
            RoutingRule(
                id=new_id("rule"),
                seller_id=cmd.seller_id,
                position=index + 1,
                name=rule.name.strip() or f"Rule {index + 1}",
                conditions=rule.conditions,
                destination=rule.destination,
                created_at=now,
            )
            for index, rule in enumerate(cmd.rules)
        ]
        uow.routing_rules.replace(cmd.seller_id, rules)
        uow.commit()
        return rules


def list_routing_rules(seller_id: str, uow: UnitOfWork) -> list[RoutingRule]:
    with uow:
        return uow.routing_rules.all(seller_id)


def issue_partner_key(cmd: IssuePartnerKey, uow: UnitOfWork) -> IssuedKey:
    """A ``partner`` key: it sees the returns routed to this partner, and nothing else."""
    secret = cmd.secret or new_secret("pk")
    with uow:
        partner = find_partner(uow, cmd.seller_id, cmd.partner_id)
        key = ApiKey(
            id=new_id("key"),
            role=Role.PARTNER,
            prefix=secret[:12],
            secret_hash=hash_secret(secret),
            created_at=utcnow(),
            seller_id=cmd.seller_id,
            name=cmd.name or partner.name,
            partner_id=partner.id,
        )
        uow.api_keys.add(key)
        uow.commit()
    return IssuedKey(key, secret)


def partner_of(principal: Principal, uow: UnitOfWork) -> Partner:
    """The partner a ``partner`` key stands for (``Forbidden`` for any other caller)."""
    seller_id = principal.require(Role.PARTNER)
    if principal.partner_id is None:
        raise NotFound("this key names no partner", code="partner_not_found")
    with uow:
        return find_partner(uow, seller_id, principal.partner_id)


def _missing(uow: UnitOfWork, seller_id: str, rule: NewRule) -> tuple[str, str] | None:
    ref = rule.destination.ref
    kind = rule.destination.kind
    if kind is DestinationKind.PARTNER and uow.partners.get(seller_id, ref) is None:
        return "destination.ref", ref
    if kind is DestinationKind.FACILITY and uow.facilities.get(seller_id, ref) is None:
        return "destination.ref", ref
    if kind is DestinationKind.ADDRESS and uow.return_addresses.get(seller_id, ref) is None:
        return "destination.ref", ref
    supplier = rule.conditions.supplier_id
    if supplier is not None:
        found = uow.partners.get(seller_id, supplier)
        if found is None or found.kind is not PartnerKind.SUPPLIER:
            return "conditions.supplier_id", supplier
    facility = rule.conditions.shipped_from
    if facility is not None and uow.facilities.get(seller_id, facility) is None:
        return "conditions.shipped_from", facility
    return None
