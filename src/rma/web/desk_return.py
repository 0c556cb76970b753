"""The desk's page of one return: deciding it, resolving it, its money and its evidence.

Shared by the page handlers of ``desk`` (decisions) and ``desk_money`` (resolving, refunds),
so an error in any of their forms shows this page again with what was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request, Response

from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.errors import Conflict, InvalidInput
from rma.domain.money import format_amount, minor_digits, parse_amount
from rma.domain.returns import DenyReason, Resolution, Return
from rma.domain.statuses import TRANSITIONS, ReturnStatus
from rma.services import desk, settlement
from rma.services import returns as service
from rma.services.resolutions import ExchangeChoice, Plan
from rma.web.auth import DESK_ROLES, staff
from rma.web.forms import new_form_key
from rma.web.rendering import render

# What the seller reads for each violation and each refusal of a bulk action.
PLAIN_WORDS = {
    "return_window_ended": "asked after the return window ended",
    "non_returnable": "the item cannot be returned",
    "not_shipped": "the item has not shipped yet",
    "quantity_exceeds_returnable": "more units than are left to return",
    "return_not_found": "no such return",
    "illegal_transition": "it is no longer waiting for a decision",
    "concurrent_update": "it changed meanwhile; try again",
}
DECIDABLE = {ReturnStatus.REQUESTED, ReturnStatus.PENDING_REVIEW}
TOPPED_UP = {ReturnStatus.RESOLVED, ReturnStatus.CLOSED}


def seller(request: Request) -> Principal:
    """The signed-in seller (or the seller's admin); others are sent to sign in, or refused."""
    return staff(request, DESK_ROLES, "/desk/login")


def seller_id(principal: Principal) -> str:
    assert principal.seller_id is not None  # staff sessions always belong to a seller
    return principal.seller_id


@dataclass(frozen=True)
class Preview:
    """The resolve form's amounts, or why they cannot be computed yet."""

    plan: Plan | None
    error: str = ""
    code: str = ""


def resolve_command(
    principal: Principal, ret: Return, values: Mapping[str, str], errors: dict[str, str]
) -> service.ResolveReturn:
    """The resolve command the form's fields ask for; bad fields go to ``errors``."""
    resolutions: dict[str, Resolution] = {}
    exchanges: dict[str, ExchangeChoice] = {}
    for item in ret.items:
        chosen = values.get(f"resolution_{item.id}", "")
        if chosen in {r.value for r in Resolution}:
            resolutions[item.id] = Resolution(chosen)
        elif chosen:
            errors[f"resolution_{item.id}"] = "choose a resolution from the list"
        sku = values.get(f"exchange_{item.id}", "").strip()
        if sku:
            exchanges[item.id] = ExchangeChoice(sku[:100])
    partial = None
    typed = values.get("refund_amount", "").strip()
    if typed:
        try:
            partial = parse_amount(typed, ret.currency)
        except InvalidInput:
            errors["refund_amount"] = (
                f"an amount such as {format_amount(1250, ret.currency)}, "
                f"with at most {minor_digits(ret.currency)} decimals"
            )
    return service.ResolveReturn(
        service.Scope(seller_id(principal)),
        ret.id,
        principal.actor,
        resolutions=resolutions,
        exchanges=exchanges,
        refund_amount=partial,
    )


def return_page(
    request: Request,
    return_id: str,
    *,
    errors: dict[str, str],
    values: dict[str, str],
    status_code: int = 200,
    notice: str = "",
) -> Response:
    """The return's page, showing ``errors`` next to their fields with what was typed."""
    principal = seller(request)
    container: Container = request.app.state.container
    view = desk.return_for_desk(service.Scope(seller_id(principal)), return_id, container.uow())
    ret = view.ret
    resolvable = ReturnStatus.RESOLVED in TRANSITIONS[ret.status]
    preview = _preview(container, principal, ret, values) if resolvable else Preview(None)
    # A return this seller resolves later (on inspection, say) shows no resolve form yet.
    resolvable = resolvable and preview.code != "resolution_not_due"
    left = view.refunds.left
    return render(
        request,
        "desk/return.html",
        status_code=status_code,
        role=principal.role,
        view=view,
        ret=ret,
        errors=errors,
        values=values,
        notice=notice or _notice(request),
        plain=PLAIN_WORDS,
        deny_reasons=list(DenyReason),
        resolutions=list(Resolution),
        decidable=ret.status in DECIDABLE,
        resolvable=resolvable,
        preview=preview,
        can_top_up=ret.status in TOPPED_UP and bool(view.refunds.refunds) and left > 0,
        left_typed=_typed(left, ret.currency),
        closable=ret.status.is_open,
        page_link=container.page_links.path(ret) if ret.rma_number else None,
        label_link=container.page_links.path(ret, "/label.pdf") if ret.rma_number else None,
        form_key=values.get("form_key") or new_form_key(),
    )


def _preview(
    container: Container, principal: Principal, ret: Return, values: Mapping[str, str]
) -> Preview:
    """The amounts resolving would record, by the one computation resolving runs."""
    ignored: dict[str, str] = {}  # the fields' own errors are shown by the form
    cmd = resolve_command(principal, ret, values, ignored)
    try:
        return Preview(settlement.preview_resolution(cmd, container.uow()))
    except (InvalidInput, Conflict) as error:
        return Preview(None, error.message, error.code)


def _typed(minor: int, currency: str) -> str:
    """An amount as typed into a field: digits and a point, no symbol."""
    digits = minor_digits(currency)
    whole, fraction = divmod(minor, 10**digits)
    return f"{whole}.{str(fraction).zfill(digits)}" if digits else str(whole)


def _notice(request: Request) -> str:
    done = request.query_params.get("done", "")[:40]
    return {
        "resolved": "Resolved.",
        "top_up": "The top-up is recorded.",
        "paid": "Marked as paid.",
        "failed": "Marked as failed.",
        "retried": "The refund will be tried again.",
    }.get(done, "")
