"""The seller desk's partners page: suppliers and 3PLs, the routing rules, supplier credit.

Partners and rules are set through the API (``/v1/partners``, ``/v1/routing-rules``); this
page shows them in words and reconciles supplier credit: what each supplier owes, what came
in, recording a credit memo, and the CSV export.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rma.adapters.credit_export import credit_csv
from rma.services import partners, supplier_rmas
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_settings import Posted, save_once, signed_in, tab_page
from rma.web.rendering import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/partners")
def partners_page(request: Request, credited: str = "") -> Response:
    return _page(request, {}, {}, 200, credited[:40])


@router.get("/partners/credit.csv")
def credit_export(request: Request) -> Response:
    _, seller_id, container = signed_in(request)
    found = supplier_rmas.supplier_balances(seller_id, container.reader())
    headers = {"Content-Disposition": 'attachment; filename="supplier-credit.csv"'}
    return Response(credit_csv(found), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/partners/credits/{rma_id}")
def record_credit(request: Request, rma_id: str, values: Posted) -> Response:
    principal, seller_id, _ = signed_in(request)
    field = f"amount_{rma_id[:40]}"
    amount = _minor_units(values.get(field, ""))
    if amount is None:
        errors = {field: "Give the amount received, like 10.80."}
        return _page(request, values, errors, 422)
    cmd = supplier_rmas.RecordSupplierCredit(
        seller_id, rma_id[:40], amount, values.get(f"memo_{rma_id[:40]}", "")[:100]
    )

    def record(uow: UnitOfWork) -> str:
        supplier_rmas.record_supplier_credit(cmd, uow)
        return f"/desk/partners?credited={cmd.rma_id}#credit"

    return save_once(
        request, principal, values, record, lambda errs: _page(request, values, errs, 422)
    )


def _page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
    credited: str = "",
) -> Response:
    principal, seller_id, container = signed_in(request)
    found = partners.list_partners(seller_id, container.reader())
    return tab_page(
        request,
        principal,
        "partners",
        values,
        errors,
        status,
        partners=found,
        names={p.id: p.name for p in found},
        rules=partners.list_routing_rules(seller_id, container.reader()),
        balances=supplier_rmas.supplier_balances(seller_id, container.reader()),
        credited=credited,
    )


def _minor_units(raw: str) -> int | None:
    """``10.80`` or ``10`` as minor units (two decimals), or ``None`` when it is not one."""
    whole, _, cents = raw.strip().partition(".")
    if not (whole.isascii() and whole.isdigit()) or len(cents) > 2:
        return None
    if cents and not (cents.isascii() and cents.isdigit()):
        return None
    amount = int(whole) * 100 + int(cents.ljust(2, "0") or "0")
    return amount if 0 < amount <= 10**12 else None
