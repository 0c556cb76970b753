"""The seller desk's return risk: rules in plain words, allow and block lists, held returns,
and, for one return, why it was held with its customer's profile."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rma.domain.errors import InvalidInput
from rma.domain.risk import PARAMETERS, Effect, RuleCode
from rma.services import risk
from rma.services.returns import Scope, get_return
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_settings import Posted, save_once, signed_in, tab_page
from rma.web.rendering import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

RULE_WORDS = {
    RuleCode.RETURN_COUNT: "Many returns in a rolling window",
    RuleCode.RETURN_VALUE: "High value returned in a rolling window",
    RuleCode.RETURN_RATE: "Return rate above a percentage (once enough orders exist)",
    RuleCode.BAD_INSPECTIONS: "Repeated bad inspection outcomes",
    RuleCode.HIGH_VALUE: "A high-value request",
    RuleCode.SHARED_ADDRESS: "Several customers at one address",
    RuleCode.BLOCK_LIST: "Customer on your block list",
}
EFFECT_WORDS = {
    Effect.INSPECT_FIRST: "Inspect before any early refund",
    Effect.REVIEW: "Hold for review",
    Effect.DENY: "Deny",
}


@router.get("/risk")
def risk_page(request: Request, reason: str = "", saved: str = "") -> Response:
    _, seller_id, _ = signed_in(request)
    return _page(request, seller_id, {}, {}, 200, reason[:40], saved[:40])


def _page(
    request: Request,
    seller_id: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int,
    reason: str = "",
    saved: str = "",
) -> Response:
    principal, _, container = signed_in(request)
    settings = risk.get_risk_settings(seller_id, container.reader())
    held = risk.review_queue(seller_id, reason or None, container.reader())
    return tab_page(
        request,
        principal,
        "risk",
        values,
        errors,
        status_code,
        rules=settings.parsed_rules(),
        allow=settings.allow,
        block=settings.block,
        held=held,
        reason=reason,
        saved=saved,
        rule_words=RULE_WORDS,
        effect_words=EFFECT_WORDS,
        parameters=PARAMETERS,
    )


def _params(text: str) -> dict[str, int]:
    """``window_days=30, max_returns=3`` as a dict; a malformed pair is a 422."""
    found: dict[str, int] = {}
    for pair in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        name, _, value = pair.partition("=")
        try:
            found[name.strip()] = int(value.strip())
        except ValueError:
            raise InvalidInput(
                f"{pair!r}: write each parameter as name=number",
                code="invalid_risk_parameter",
                details=[{"field": "params"}],
            ) from None
    return found


@router.post("/risk/rules")
def save_rule(request: Request, values: Posted) -> Response:
    principal, seller_id, _ = signed_in(request)

    def save(uow: UnitOfWork) -> str:
        cmd = risk.SetRiskRule(
            seller_id,
            str(values.get("code", "")),
            _params(str(values.get("params", ""))),
            str(values.get("effect", "")) or None,
            values.get("enabled", "on") == "on",
        )
        risk.set_risk_rule(cmd, uow)
        return f"/desk/risk?saved={cmd.code}"

    def again(errors: dict[str, str]) -> Response:
        return _page(request, seller_id, values, errors, 422)

    return save_once(request, principal, values, save, again)


@router.post("/risk/lists")
def add_to_list(request: Request, values: Posted) -> Response:
    principal, seller_id, _ = signed_in(request)

    def save(uow: UnitOfWork) -> str:
        value: object = str(values.get("email", "")).strip()
        if not value:
            value = {
                "line1": values.get("line1", ""),
                "postal_code": values.get("postal_code", ""),
                "country": str(values.get("country", "")).upper(),
            }
        kind = "allow" if values.get("list") == "allow" else "block"
        risk.add_list_entry(risk.AddListEntry(seller_id, kind, value), uow)
        return f"/desk/risk?saved={kind}"

    def again(errors: dict[str, str]) -> Response:
        return _page(request, seller_id, values, errors, 422)

    return save_once(request, principal, values, save, again)


@router.get("/risk/returns/{ref}")
def return_risk_page(request: Request, ref: str) -> Response:
    principal, seller_id, container = signed_in(request)
    ret = get_return(Scope(seller_id), ref[:64], container.reader())
    view = risk.return_risk_view(seller_id, ret, container.reader())
    return tab_page(
        request,
        principal,
        "risk-return",
        {},
        {},
        200,
        ret=ret,
        decision=view.decision,
        profile=view.profile,
        effect_words=EFFECT_WORDS,
    )
