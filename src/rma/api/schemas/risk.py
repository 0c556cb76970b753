"""Schemas of abuse signals: rules, list entries, decisions and customer profiles."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from rma.api.schemas.base import In
from rma.domain.risk import PARAMETERS, Profile, ReturnRisk, Rule

Text = Annotated[str, StringConstraints(max_length=500)]


class RiskRuleIn(In):
    effect: Annotated[str | None, StringConstraints(max_length=32)] = Field(
        default=None, description="inspect_first, review or deny (each rule has a default)"
    )
    params: dict[str, int] = Field(default_factory=dict, description="The rule's parameters")
    enabled: bool = True


class RiskRulePublic(BaseModel):
    code: str
    effect: str
    params: dict[str, int]
    enabled: bool

    @classmethod
    def of(cls, rule: Rule) -> RiskRulePublic:
        return cls(**rule.as_dict())


class RiskRuleCatalogEntry(BaseModel):
    code: str
    params: list[str]


class RiskRulesPublic(BaseModel):
    data: list[RiskRulePublic]
    codes: list[RiskRuleCatalogEntry]

    @classmethod
    def of(cls, rules: list[Rule]) -> RiskRulesPublic:
        catalog = [RiskRuleCatalogEntry(code=str(c), params=list(p)) for c, p in PARAMETERS.items()]
        return cls(data=[RiskRulePublic.of(r) for r in rules], codes=catalog)


class ListEntryIn(In):
    list: Literal["allow", "block"]
    value: str | dict[str, Annotated[str, StringConstraints(max_length=200)]] = Field(
        description="An email address, or a postal address {line1, postal_code, country, ...}"
    )
    note: Text = ""


class ListEntryPublic(BaseModel):
    id: str
    list: str
    kind: str  # email | address
    value: str  # normalized
    note: str


class ListsPublic(BaseModel):
    allow: list[ListEntryPublic]
    block: list[ListEntryPublic]

    @classmethod
    def of(cls, allow: list[dict[str, Any]], block: list[dict[str, Any]]) -> ListsPublic:
        return cls(
            allow=[ListEntryPublic(**e, list="allow") for e in allow],
            block=[ListEntryPublic(**e, list="block") for e in block],
        )


class RiskReasonPublic(BaseModel):
    code: str
    effect: str
    explanation: str


class RiskDecisionPublic(BaseModel):
    return_id: str
    effect: str | None
    reasons: list[RiskReasonPublic]
    decided_at: str

    @classmethod
    def of(cls, decision: ReturnRisk) -> RiskDecisionPublic:
        return cls(
            return_id=decision.return_id,
            effect=decision.effect or None,
            reasons=[RiskReasonPublic(**r) for r in decision.reasons],
            decided_at=decision.decided_at.isoformat(),
        )


class RiskDecisionsPublic(BaseModel):
    data: list[RiskDecisionPublic]


class CustomerProfilePublic(BaseModel):
    email: str
    address: str
    orders: int
    returns: int
    return_rate: float
    value_returned: int
    rejected_units: int
    wrong_item: int
    empty_box: int
    sku_mismatch: int
    cancels: int
    expiries: int
    customers_at_address: int

    @classmethod
    def of(cls, profile: Profile) -> CustomerProfilePublic:
        return cls(**profile.as_dict())


class ReturnRiskPublic(BaseModel):
    decision: RiskDecisionPublic | None
    profile: CustomerProfilePublic
