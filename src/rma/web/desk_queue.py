"""The Manage Returns queue: filters, search, counts and pages, bulk decisions, CSV download.

The page and the CSV write each row with the same words (``queue_cells``), so a download
holds exactly the rows the filter shows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request, Response

from rma.api.cursors import decode_cursor, encode_cursor
from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.errors import InvalidInput
from rma.domain.policy import ViolationCode
from rma.domain.returns import DenyReason, Return
from rma.domain.statuses import ReturnStatus
from rma.services import bulk_decisions, desk, review
from rma.services import returns as service
from rma.services.review import BulkOutcome
from rma.services.unit_of_work import ReturnFilter, ReturnSort, UnitOfWork
from rma.web.desk_return import DECIDABLE, PLAIN_WORDS, seller, seller_id
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import SECURITY_HEADERS, PageRoute, PostedForm, check_csrf, redirect, render

router = APIRouter(route_class=PageRoute)

PAGE_SIZE = 25
EXPORT_LIMIT = 10_000
MAX_PAGE = 400  # pages linked by number; later ones are reached page by page
SORTS = {
    ReturnSort.NEWEST: "Newest first",
    ReturnSort.OLDEST: "Oldest first",
    ReturnSort.RECENTLY_UPDATED: "Recently updated",
    ReturnSort.LEAST_RECENTLY_UPDATED: "Least recently updated",
}
QUEUE_FIELDS = ("status", "policy", "violation", "reason", "sku", "email", "from", "to", "q")
COLUMNS = ("Return", "Order", "Customer", "Status", "Policy", "Items", "Created")
TIMES = "\u00d7"  # the multiplication sign between a quantity and a SKU
DONE_WORDS = {"authorize": "Authorized", "deny": "Denied", "close": "Closed"}


def queue_cells(ret: Return) -> tuple[str, ...]:
    """One row of the queue as the page and the CSV both write it (see ``COLUMNS``)."""
    return (
        ret.rma_number or "Review request",
        ret.order_number,
        ret.customer_email,
        str(ret.status).replace("_", " "),
        "In policy" if ret.in_policy else "Out of policy",
        ", ".join(f"{i.requested_quantity} {TIMES} {i.sku}" for i in ret.items),
        ret.created_at.strftime("%Y-%m-%d %H:%M"),
    )


def counted(count: int) -> str:
    """A count of the queue as the page shows it: "1,000+" once it reached the cap."""
    return f"{desk.COUNTED_UP_TO:,}+" if count >= desk.COUNTED_UP_TO else str(count)


@router.get("/returns")
def queue(request: Request) -> Response:
    principal = seller(request)
    values = _values(request.query_params)
    return _queue_page(request, principal, values, request.query_params.get("cursor", "")[:200])


@router.get("/returns.csv")
def queue_csv(request: Request) -> Response:
    """What the filter shows, every page of it, as CSV."""
    principal = seller(request)
    container: Container = request.app.state.container
    where, errors = _queue_filter(_values(request.query_params))
    if errors:
        return _queue_page(request, principal, _values(request.query_params), "")
    found = desk.queue_export(
        service.Scope(seller_id(principal)), where, container.replica(), EXPORT_LIMIT
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*COLUMNS, "Id"])
    for ret in found:
        writer.writerow([*queue_cells(ret), ret.id])
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="returns-{stamp}.csv"',
    }
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/returns/authorize")
def authorize_selected(request: Request, form: PostedForm) -> Response:
    """Kept for forms rendered before the bulk actions: authorize the selection."""
    return bulk(request, form, action="authorize")


@router.post("/returns/bulk")
def bulk(request: Request, form: PostedForm, action: str = "") -> Response:
    """Authorize, deny or close the selection, or everything the filter shows, at once."""
    check_csrf(request, str(form.get("csrf", "")))
    principal = seller(request)
    container: Container = request.app.state.container
    action = action or str(form.get("action", ""))[:20]
    back = str(form.get("filters", ""))[:1000]
    values = _values(dict(parse_qsl(back)))
    note = str(form.get("note", "")).strip()[:2000]
    reason = str(form.get("reason", ""))[:40]
    scope = service.Scope(seller_id(principal))
    if form.get("everything") == "on":
        where, _ = _queue_filter(values)
        ids = bulk_decisions.matching_ids(scope, where, container.uow())
    else:
        ids = [str(i)[:64] for i in form.getlist("ids")][: bulk_decisions.MAX_IDS]
    errors: dict[str, str] = {}
    if not ids:
        errors["ids"] = "Select at least one return."
    if action == "deny" and reason not in {r.value for r in DenyReason}:
        errors["bulk_reason"] = "Choose why the returns are denied."
    if action not in DONE_WORDS:
        errors["form"] = "Choose what to do with the selected returns."
    if errors:
        typed = {**values, "bulk_reason": reason, "bulk_note": note}
        return _queue_page(request, principal, typed, "", errors=errors, status_code=422)

    def run(uow: UnitOfWork) -> str:
        outcomes = _decide(action, scope, ids, principal, reason, note, uow)
        done = [o.rma_number or o.id for o in outcomes if o.error is None]
        refused = [f"{o.id}:{o.error.code}" for o in outcomes if o.error is not None]
        query = urlencode({"did": action, "ok": ",".join(done), "refused": ",".join(refused)})
        return f"/desk/returns?{back}&{query}"

    form_key = str(form.get("form_key", ""))[:100]
    what = f"{action} {reason} {note} {sorted(ids)}"
    return redirect(submit_once(container, principal, form_key, what, run))


def _decide(
    action: str,
    scope: service.Scope,
    ids: list[str],
    principal: Principal,
    reason: str,
    note: str,
    uow: UnitOfWork,
) -> list[BulkOutcome]:
    actor = principal.actor
    if action == "authorize":
        return review.authorize_returns(review.AuthorizeReturns(scope, ids, actor), uow)
    if action == "deny":
        cmd = bulk_decisions.DenyReturns(scope, ids, actor, DenyReason(reason), note)
        return bulk_decisions.deny_returns(cmd, uow)
    return bulk_decisions.close_returns(bulk_decisions.CloseReturns(scope, ids, actor, note), uow)


def _queue_page(
    request: Request,
    principal: Principal,
    values: dict[str, str],
    raw_cursor: str,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    container: Container = request.app.state.container
    where, filter_errors = _queue_filter(values)
    errors = {**filter_errors, **(errors or {})}
    scope = service.Scope(seller_id(principal))
    number = _page_number(request)
    try:
        after = decode_cursor(raw_cursor) if raw_cursor else None
    except InvalidInput:
        after, errors["form"] = None, "That page link is broken; here is the first page."
    if after is None and number > 1 and "form" not in errors:
        skip = (min(number, MAX_PAGE) - 1) * PAGE_SIZE
        after = desk.page_start(scope, where, skip, container.replica())
        number = min(number, MAX_PAGE) if after else 1
    page = desk.desk_queue(
        scope,
        where,
        container.replica(),
        after=after,
        limit=PAGE_SIZE + 1,
    )
    rows = page.returns[:PAGE_SIZE]
    kept = {k: v for k, v in values.items() if v and k in (*QUEUE_FIELDS, "sort")}
    number = number if after else 1
    # A total that reached the cap is "that many or more": so is its number of pages.
    capped = page.total >= desk.COUNTED_UP_TO
    pages = max(1, -(-page.total // PAGE_SIZE), number if capped else 1)
    more = len(page.returns) > PAGE_SIZE
    next_link = (
        "/desk/returns?"
        + urlencode({**kept, "cursor": encode_cursor(rows[-1], where.sort), "page": number + 1})
        if more
        else None
    )
    return render(
        request,
        "desk/queue.html",
        status_code=422 if filter_errors else status_code,
        role=principal.role,
        rows=[(ret, queue_cells(ret)) for ret in rows],
        counts=page.counts,
        everything=page.everything,
        total=page.total,
        capped=capped,
        counted=counted,
        page_number=number,
        pages=pages,
        page_links=[
            (n, "/desk/returns?" + urlencode({**kept, "page": n}))
            for n in range(1, min(pages, MAX_PAGE) + 1)
            if n in (1, pages) or abs(n - number) <= 3
        ],
        reasons=page.reasons,
        values=values,
        errors=errors,
        statuses=list(ReturnStatus),
        violations=list(ViolationCode),
        deny_reasons=list(DenyReason),
        sorts=SORTS,
        next_link=next_link,
        first_link=("/desk/returns?" + urlencode(kept)) if after else None,
        filters=urlencode(kept),
        csv_link="/desk/returns.csv?" + urlencode(kept),
        done=_done(request),
        did=DONE_WORDS.get(request.query_params.get("did", "authorize"), "Authorized"),
        plain=PLAIN_WORDS,
        form_key=new_form_key(),
        decidable={s.value for s in DECIDABLE},
    )


def _values(params: Mapping[str, str]) -> dict[str, str]:
    values = {name: str(params.get(name, ""))[:100] for name in QUEUE_FIELDS}
    values["sort"] = str(params.get("sort", ReturnSort.NEWEST.value))[:40]
    return values


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")[:6]
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def _queue_filter(values: dict[str, str]) -> tuple[ReturnFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    status = values["status"]
    if status and status not in {s.value for s in ReturnStatus}:
        errors["status"] = "choose a status from the list"
    sort = values["sort"] if values["sort"] in {s.value for s in ReturnSort} else "-created_at"
    created_from, created_to = _day(values, "from", errors), _day(values, "to", errors)
    where = ReturnFilter(
        status=(ReturnStatus(status),) if status and not errors.get("status") else (),
        in_policy={"in": True, "out": False}.get(values["policy"]),
        violation=values["violation"] or None,
        reason_code=values["reason"].strip() or None,
        sku=values["sku"].strip() or None,
        customer_email=values["email"].strip() or None,
        created_from=created_from,
        created_to=created_to + timedelta(days=1) if created_to else None,
        search=values["q"].strip() or None,
        sort=ReturnSort(sort),
    )
    return where, errors


def _day(values: dict[str, str], name: str, errors: dict[str, str]) -> datetime | None:
    if not values[name]:
        return None
    try:
        return datetime.combine(date.fromisoformat(values[name]), time(0), tzinfo=UTC)
    except ValueError:
        errors[name] = "a date as YYYY-MM-DD"
        return None


def _done(request: Request) -> dict[str, list[str]]:
    """What the last bulk decision did, as its redirect said."""
    ok = [n for n in request.query_params.get("ok", "")[:4000].split(",") if n]
    refused = [r for r in request.query_params.get("refused", "")[:4000].split(",") if r]
    none = ["1"] if request.query_params.get("none") else []
    return {"ok": ok, "refused": refused, "none": none}
