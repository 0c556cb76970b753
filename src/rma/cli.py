"""The ``rma`` command: serve, migrate, load the demo, issue keys, run due jobs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rma.domain.access import Role
from rma.domain.tracking import SourceKind

app = typer.Typer(help="rma: returns management.", no_args_is_help=True)
keys = typer.Typer(help="API keys.", no_args_is_help=True)
jobs = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
carriers = typer.Typer(help="Carrier tracking sources.", no_args_is_help=True)
app.add_typer(keys, name="keys")
app.add_typer(jobs, name="jobs")
app.add_typer(carriers, name="carriers")
console = Console()


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from rma.adapters.migrate import upgrade
    from rma.bootstrap import bootstrap

    container = bootstrap()
    upgrade(container.engine)
    console.print(
        f"[green]database is up to date[/green] ({container.engine.url.render_as_string()})"
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the API and pages; due jobs run in the background."""
    import uvicorn

    from rma.api.app import create_app
    from rma.bootstrap import bootstrap
    from rma.worker import start_background_jobs

    container = bootstrap()
    settings = container.settings
    start_background_jobs(container)
    uvicorn.run(
        create_app(container),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@app.command()
def demo() -> None:
    """Load a demo seller with a catalog, orders and returns; print the keys to use."""
    from rma.bootstrap import bootstrap
    from rma.demo import DEMO_KEYS, load_demo

    container = bootstrap()
    created = load_demo(container)
    console.print("[green]demo data loaded[/green]" if created else "demo data already there")
    for role, secret in DEMO_KEYS.items():
        console.print(f"  {role:<10} key: [bold]{secret}[/bold]")
    console.print("  customer:  order [bold]DEMO-1001[/bold], email [bold]ada@example.com[/bold]")


@keys.command("create")
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


@jobs.command("run-due")
def run_due() -> None:
    """Run every job that is due now (expire lapsed authorizations, ...)."""
    from rma.bootstrap import bootstrap
    from rma.worker import run_due_jobs

    report = run_due_jobs(bootstrap())
    for job, count in report.items():
        console.print(f"{job}: {count}")


@carriers.command("add")
def add_carrier(
    seller: Annotated[str, typer.Option(help="Seller id.")],
    kind: Annotated[SourceKind, typer.Option(help="easypost, shippo or native.")],
    name: Annotated[str, typer.Option(help="A label to recognise the source by.")] = "",
    secret: Annotated[
        str | None, typer.Option(help="The webhook secret set at the carrier; generated if absent.")
    ] = None,
) -> None:
    """Register a carrier webhook source; print its webhook URL and secret (shown once)."""
    from rma.bootstrap import bootstrap
    from rma.domain.errors import RmaError
    from rma.services.tracking import AddCarrierSource, add_carrier_source

    container = bootstrap()
    try:
        source = add_carrier_source(
            AddCarrierSource(seller, kind, name or str(kind), secret), container.uow()
        )
    except RmaError as error:
        console.print(f"[red]{error.code}[/red]: {error.message}")
        raise typer.Exit(2) from error
    base = container.settings.base_url.rstrip("/")
    console.print(
        f"{source.id} ({source.kind}) webhook URL: {base}/v1/carrier-events?source={source.id}"
    )
    print(source.secret)
