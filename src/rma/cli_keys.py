"""``rma keys``: issue, list and revoke API keys, as the platform operator."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rma.domain.access import Principal, Role
from rma.services.access import PLATFORM_ADMIN

app = typer.Typer(help="API keys.", no_args_is_help=True)
console = Console()
OPERATOR = Principal(Role.ADMIN, None, PLATFORM_ADMIN)


@app.command("create")
def create_key(
    role: Annotated[Role, typer.Option(help="admin, seller or warehouse.")] = Role.ADMIN,
    seller: Annotated[
        str | None, typer.Option(help="Seller id; none for a platform admin.")
    ] = None,
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "",
) -> None:
    """Issue an API key and print its secret (shown once)."""
    from rma.bootstrap import bootstrap
    from rma.domain.errors import RmaError
    from rma.services.sellers import IssueApiKey, issue_api_key

    container = bootstrap()
    try:
        issued = issue_api_key(IssueApiKey(role, seller, name), container.uow())
    except RmaError as error:
        console.print(f"[red]{error.code}[/red]: {error.message}")
        raise typer.Exit(2) from error
    console.print(f"{issued.key.id} ({issued.key.role}, seller {issued.key.seller_id or '-'})")
    print(issued.secret)


@app.command("list")
def list_keys(
    seller: Annotated[str | None, typer.Option(help="Only this seller's keys.")] = None,
) -> None:
    """List API keys (never their secrets), with whether each is revoked."""
    from rich.table import Table

    from rma.bootstrap import bootstrap
    from rma.services.keys import list_api_keys

    container = bootstrap()
    operator = OPERATOR
    table = Table("id", "role", "seller", "name", "prefix", "created", "revoked")
    for key in list_api_keys(operator, container.reader(), seller):
        revoked = f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else ""
        created = f"{key.created_at:%Y-%m-%d %H:%M}"
        table.add_row(
            key.id, key.role, key.seller_id or "-", key.name, key.prefix, created, revoked
        )
    console.print(table)


@app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The key's id (key_...).")]) -> None:
    """Revoke an API key; it stops working with the next request."""
    from rma.bootstrap import bootstrap
    from rma.domain.errors import RmaError
    from rma.services.keys import RevokeApiKey, revoke_api_key

    container = bootstrap()
    operator = OPERATOR
    try:
        key = revoke_api_key(RevokeApiKey(key_id, operator), container.uow())
    except RmaError as error:
        console.print(f"[red]{error.code}[/red]: {error.message}")
        raise typer.Exit(2) from error
    console.print(f"{key.id} revoked at {key.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
