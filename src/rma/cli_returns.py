"""``rma returns ...``: the review desk from a terminal (list, show, authorize, deny, close)."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Column, Table

from rma.bootstrap import Container, bootstrap
from rma.domain.errors import RmaError
from rma.domain.returns import Actor, DenyReason, Return
from rma.domain.statuses import ReturnStatus
from rma.services import returns as service
from rma.services import review
from rma.services.unit_of_work import Cursor, ReturnFilter, ReturnSort

app = typer.Typer(help="Review and decide returns.", no_args_is_help=True)
console = Console()

SellerOption = Annotated[str, typer.Option("--seller", envvar="RMA_SELLER", help="Seller id.")]


def _operator() -> Actor:
    return Actor("operator", getpass.getuser())


def _fail(error: RmaError) -> typer.Exit:
    console.print(f"[red]{error.code}[/red]: {error.message}")
    return typer.Exit(1)


@app.command("list")
def list_returns(
    seller: SellerOption,
    status: Annotated[list[ReturnStatus] | None, typer.Option(help="Repeat for several.")] = None,
    search: Annotated[str | None, typer.Option(help="RMA, order or tracking number.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """The newest returns, filtered."""
    where = ReturnFilter(status=tuple(status or ()), search=search)
    found = review.list_returns(
        service.Scope(seller), where, bootstrap().uow(), after=None, limit=limit
    )
    # Ids are copied into other commands: never cut or wrapped, whatever the terminal's width.
    whole = Column("id", no_wrap=True, min_width=max((len(r.id) for r in found), default=2))
    table = Table(whole, "rma", "status", "order", "customer", "items", "policy", "created")
    for ret in found:
        table.add_row(
            ret.id,
            ret.rma_number or "-",
            str(ret.status),
            ret.order_number,
            ret.customer_email,
            str(sum(i.requested_quantity for i in ret.items)),
            "in" if ret.in_policy else "[yellow]out[/yellow]",
            ret.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@app.command()
def show(ref: str, seller: SellerOption) -> None:
    """One return: items, violations and history."""
    try:
        ret = service.get_return(service.Scope(seller), ref, bootstrap().uow())
    except RmaError as error:
        raise _fail(error) from error
    _print_return(ret)


@app.command()
def authorize(
    seller: SellerOption,
    refs: Annotated[list[str] | None, typer.Argument(help="Return ids or RMA numbers.")] = None,
    all_pending: Annotated[
        bool, typer.Option("--all-pending", help="Every return waiting for review.")
    ] = False,
    rma_number: Annotated[
        str | None, typer.Option(help="A custom RMA number (one return only).")
    ] = None,
) -> None:
    """Authorize returns: named ones, or every pending one with a progress bar."""
    container = bootstrap()
    if rma_number is not None:
        if all_pending or len(refs or []) != 1:
            raise typer.BadParameter("--rma-number authorizes exactly one return")
        cmd = service.AuthorizeReturn(
            service.Scope(seller), (refs or [])[0], _operator(), rma_number=rma_number
        )
        try:
            _print_return(service.authorize_return(cmd, container.uow()))
        except RmaError as error:
            raise _fail(error) from error
        return
    ids = list(_pending_ids(container, seller)) if all_pending else list(refs or [])
    if not ids:
        console.print("nothing to authorize")
        return
    with Progress(console=console) as progress:
        task = progress.add_task("authorizing", total=len(ids))
        bulk = review.AuthorizeReturns(service.Scope(seller), ids, _operator())
        outcomes = review.authorize_returns(
            bulk, container.uow(), lambda done: progress.advance(task, done)
        )
    failed = [o for o in outcomes if o.error is not None]
    console.print(f"[green]{len(outcomes) - len(failed)} authorized[/green], {len(failed)} failed")
    for outcome in failed:
        assert outcome.error is not None
        console.print(f"  {outcome.id}: [red]{outcome.error.code}[/red] {outcome.error.message}")
    if failed:
        raise typer.Exit(1)


@app.command()
def deny(
    ref: str,
    seller: SellerOption,
    reason: Annotated[DenyReason, typer.Option(help="Why, in a stable code.")],
    note: Annotated[str, typer.Option(help="Shown to the customer.")] = "",
) -> None:
    """Deny a return with a reason and a note for the customer."""
    cmd = service.DenyReturn(service.Scope(seller), ref, _operator(), reason, note)
    try:
        _print_return(service.deny_return(cmd, bootstrap().uow()))
    except RmaError as error:
        raise _fail(error) from error


@app.command()
def close(
    ref: str,
    seller: SellerOption,
    note: Annotated[str, typer.Option(help="Why it is closed.")] = "",
) -> None:
    """Close a return, whatever open status it is in."""
    cmd = service.FinishReturn(service.Scope(seller), ref, _operator(), note)
    try:
        _print_return(service.close_return(cmd, bootstrap().uow()))
    except RmaError as error:
        raise _fail(error) from error


def _pending_ids(container: Container, seller: str) -> Iterator[str]:
    where = ReturnFilter(status=(ReturnStatus.PENDING_REVIEW,), sort=ReturnSort.OLDEST)
    after: Cursor | None = None
    while page := review.list_returns(
        service.Scope(seller), where, container.uow(), after=after, limit=1000
    ):
        yield from (ret.id for ret in page)
        after = Cursor(page[-1].created_at, page[-1].id)


def _print_return(ret: Return) -> None:
    console.print(
        f"[bold]{ret.rma_number or ret.id}[/bold]  {ret.status}  "
        f"order {ret.order_number}  {ret.customer_email}"
    )
    for item in ret.items:
        console.print(
            f"  {item.sku}  requested {item.requested_quantity}  "
            f"authorized {item.authorized_quantity}  reason {item.reason_code}"
        )
    for violation in ret.violations:
        console.print(f"  [yellow]{violation['code']}[/yellow]: {violation['message']}")
    for entry in ret.history:
        console.print(
            f"  {entry.at:%Y-%m-%d %H:%M}  {entry.action:<14} -> {entry.to_status}  "
            f"{entry.actor}  {entry.note}"
        )
