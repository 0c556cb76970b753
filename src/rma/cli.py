"""The ``rma`` command: serve, migrate, load the demo, issue keys, run due jobs and the worker."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rma import cli_audit, cli_keys, cli_orders, cli_reports, cli_returns
from rma.domain.tracking import SourceKind

app = typer.Typer(help="rma: returns management.", no_args_is_help=True)
jobs = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
refunds = typer.Typer(help="Refunds.", no_args_is_help=True)
app.add_typer(cli_keys.app, name="keys")
app.add_typer(cli_audit.app, name="audit")
app.add_typer(jobs, name="jobs")
app.add_typer(cli_returns.app, name="returns")
app.add_typer(cli_reports.app, name="reports")
orders = typer.Typer(help="Orders.", no_args_is_help=True)
amazon = typer.Typer(help="The Amazon-compatible API.", no_args_is_help=True)
amazon_credentials = typer.Typer(help="Login-with-Amazon credentials.", no_args_is_help=True)
app.add_typer(orders, name="orders")
orders.command("import")(cli_orders.import_orders)
app.command("mail-in")(cli_orders.mail_in)
app.add_typer(amazon, name="amazon")
amazon.add_typer(amazon_credentials, name="credentials")
app.add_typer(refunds, name="refunds")
carriers = typer.Typer(help="Carrier tracking sources.", no_args_is_help=True)
app.add_typer(carriers, name="carriers")
secrets_app = typer.Typer(help="The key that encrypts secrets at rest.", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")
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
    workers: Annotated[
        int, typer.Option(min=1, help="Processes serving requests (one core each, roughly).")
    ] = 1,
) -> None:
    """Serve the API and pages; due jobs (and, on SQLite, the worker) run in the background."""
    import uvicorn

    from rma.api.app import create_app
    from rma.bootstrap import bootstrap
    from rma.worker import serve_runs_worker, start_background_jobs, start_event_worker

    container = bootstrap()
    settings = container.settings
    # Jobs and the worker run once, in this process, however many serve requests.
    start_background_jobs(container)
    if serve_runs_worker(container):
        start_event_worker(container)
    host, port = host or settings.host, port or settings.port
    if workers == 1:
        uvicorn.run(create_app(container), host=host, port=port, log_level="info")
        return
    # Each process builds its own app (engine, pools) from the same environment.
    uvicorn.run(
        "rma.api.app:create_app_from_settings",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        # uvicorn's 5 s kills a worker still importing on a busy machine, and respawns it.
        timeout_worker_healthcheck=60,
    )


@app.command()
def demo() -> None:
    """Load a demo seller with a catalog, orders and returns; print the keys to use."""
    from rma.bootstrap import bootstrap
    from rma.demo import DEMO_KEYS, load_demo

    container = bootstrap()
    seller_id, created = load_demo(container)
    console.print("[green]demo data loaded[/green]" if created else "demo data already there")
    console.print(f"  seller id: [bold]{seller_id}[/bold] (for `rma returns ... --seller`)")
    for role, secret in DEMO_KEYS.items():
        console.print(f"  {role:<10} key: [bold]{secret}[/bold]")
    console.print("  customer:  order [bold]DEMO-1001[/bold], email [bold]ada@example.com[/bold]")
    console.print("  the shop's own portal: [bold]/s/demo/returns[/bold] (also /returns)")
    # Where `rma serve` will listen: the same settings, so RMA_HOST / RMA_PORT show here too.
    served = f"http://{container.settings.host}:{container.settings.port}"
    console.print("")
    for path, who in (
        ("/returns", "Customer portal:  "),
        ("/desk", "Seller desk:      "),
        ("/warehouse", "Warehouse station:"),
        ("/docs", "API docs:         "),
    ):
        console.print(f"  {who} {served}{path}", soft_wrap=True)


@jobs.command("run-due")
def run_due() -> None:
    """Run every job that is due now (expire lapsed authorizations, ...)."""
    from rma.bootstrap import bootstrap
    from rma.worker import run_due_jobs

    report = run_due_jobs(bootstrap())
    for job, count in report.items():
        console.print(f"{job}: {count}")


@app.command()
def partitions() -> None:
    """Make the coming months' partitions and drop those past their retention (PostgreSQL)."""
    from rma.bootstrap import bootstrap
    from rma.worker import maintain_partitions_now

    report = maintain_partitions_now(bootstrap())
    if report is None:
        console.print("nothing to do: only PostgreSQL partitions its tables")
        return
    for label, names in (("made", report.made), ("dropped", report.dropped)):
        console.print(f"{label}: {', '.join(names) or 'none'}")
    if report.kept:
        console.print(f"kept, still holding undelivered rows: {', '.join(report.kept)}")
    console.print(f"expired rows deleted from DEFAULT partitions: {report.rows_deleted}")


@orders.command("ship")
def ship_order(
    order: Annotated[str, typer.Argument(help="Order id or number.")],
    seller: Annotated[str, typer.Option(help="Seller id.")],
    line: Annotated[
        list[str], typer.Option(help="LINE_ID:QUANTITY that left; repeat for each line.")
    ],
    shipment_id: Annotated[
        str, typer.Option("--id", help="The shipment id (amazonShipmentId); generated if empty.")
    ] = "",
    facility: Annotated[
        str | None, typer.Option(help="Facility code it left from (fulfillmentCenterId).")
    ] = None,
    carrier: Annotated[str | None, typer.Option(help="Carrier code.")] = None,
    tracking: Annotated[str | None, typer.Option(help="Tracking number.")] = None,
) -> None:
    """Record that units of an order shipped (now), from a facility."""
    from rma.bootstrap import bootstrap
    from rma.domain.errors import RmaError
    from rma.domain.ids import new_id
    from rma.domain.orders import Shipment, ShipmentItem
    from rma.services.catalog import AddShipment, add_shipment
    from rma.services.clock import utcnow

    container = bootstrap()  # maps the domain classes before any is made
    items = []
    for spec in line:
        line_id, _, quantity = spec.rpartition(":")
        if not line_id or not quantity.isdigit() or int(quantity) < 1:
            console.print(f"[red]invalid_input[/red]: --line {spec!r} is not LINE_ID:QUANTITY")
            raise typer.Exit(2)
        items.append(ShipmentItem(line_id, int(quantity)))
    shipment = Shipment(
        id=shipment_id or new_id("shp"),
        shipped_at=utcnow(),
        carrier=carrier,
        tracking_number=tracking,
        facility_code=facility,
        items=items,
    )
    try:
        saved = add_shipment(AddShipment(seller, order, shipment), container.uow())
    except RmaError as error:
        console.print(f"[red]{error.code}[/red]: {error.message}")
        raise typer.Exit(2) from error
    console.print(f"order {saved.number}: shipment {shipment.id} from {facility or '-'}")


@orders.command("address")
def set_order_address(
    order: Annotated[str, typer.Argument(help="Order id or number.")],
    seller: Annotated[str, typer.Option(help="Seller id.")],
    name: Annotated[str, typer.Option(help="The customer's name as the label prints it.")],
    line1: Annotated[str, typer.Option(help="Street and number.")],
    city: Annotated[str, typer.Option(help="City.")],
    postal_code: Annotated[str, typer.Option(help="Postal code.")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country code, e.g. US.")],
    line2: Annotated[str, typer.Option(help="Flat, floor, building.")] = "",
    region: Annotated[str, typer.Option(help="State or province code.")] = "",
) -> None:
    """Set where an order was shipped: the sender block of its return labels."""
    from rma.bootstrap import bootstrap
    from rma.domain.addresses import Address
    from rma.domain.errors import RmaError
    from rma.services.catalog import SetShippingAddress, set_shipping_address

    if len(country) != 2 or not country.isalpha():
        console.print(f"[red]invalid_input[/red]: --country {country!r} is not a 2-letter code")
        raise typer.Exit(2)
    address = Address(name, line1, city, postal_code, country.upper(), line2, region)
    container = bootstrap()
    try:
        saved = set_shipping_address(SetShippingAddress(seller, order, address), container.uow())
    except RmaError as error:
        console.print(f"[red]{error.code}[/red]: {error.message}")
        raise typer.Exit(2) from error
    console.print(f"order {saved.number} ships to: {', '.join(address.lines())}")


@amazon_credentials.command("create")
def create_amazon_credentials(
    seller: Annotated[str, typer.Option(help="Seller id.")],
    name: Annotated[str, typer.Option(help="A label to recognise them by.")] = "",
) -> None:
    """Issue a client id, client secret and refresh token for one seller (shown once)."""
    from rma.bootstrap import bootstrap
    from rma.domain.errors import RmaError
    from rma.services.amazon_access import IssueAmazonCredential, issue_amazon_credential

    try:
        issued = issue_amazon_credential(IssueAmazonCredential(seller, name), bootstrap().uow())
    except RmaError as error:
        console.print(f"[red]{error.code}[/red]: {error.message}")
        raise typer.Exit(2) from error
    print(f"client_id={issued.credential.client_id}")
    print(f"client_secret={issued.client_secret}")
    print(f"refresh_token={issued.refresh_token}")


@app.command()
def worker(
    drain: Annotated[
        bool, typer.Option("--drain", help="Stop once nothing is due instead of waiting.")
    ] = False,
) -> None:
    """Deliver events: webhooks and emails from the outbox, until SIGTERM (or drained)."""
    import signal
    import threading

    from rma.bootstrap import bootstrap, settle_collector
    from rma.worker import EventWorker

    events = EventWorker(bootstrap())
    settle_collector()
    try:
        if drain:
            for kind, count in events.drain().items():
                console.print(f"{kind}: {count}")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        console.print("[green]worker started[/green]; SIGTERM stops it after the current round")
        events.run(stop, lanes=events.container.settings.worker_lanes)
    finally:
        events.close()


@refunds.command("reconcile")
def reconcile() -> None:
    """Ask the payment gateways about every pending refund that is due, once each."""
    from rma.bootstrap import bootstrap
    from rma.worker import reconcile_refunds

    console.print(f"refunds asked: {reconcile_refunds(bootstrap())}")


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


@secrets_app.command("new-key")
def new_encryption_key() -> None:
    """Make a new encryption key; it goes first, the older ones keep decrypting.

    With RMA_ENCRYPTION_KEY unset, the key is put first in data_dir/encryption_key; else it
    is printed, for the operator to put first in RMA_ENCRYPTION_KEY of every process.
    """
    from rma.adapters.crypto import add_key_to_file, new_key
    from rma.config import get_settings

    settings = get_settings()
    if settings.encryption_key:
        print(new_key())
        console.print(
            "put it first in RMA_ENCRYPTION_KEY (comma-separated, newest first) of every"
            " process, restart them, then run `rma secrets rotate`",
            highlight=False,
        )
        return
    add_key_to_file(settings.data_dir)
    console.print(
        f"a new key is first in {settings.data_dir / 'encryption_key'}; restart every process"
        " that shares this database, then run `rma secrets rotate`",
        highlight=False,
    )


@secrets_app.command("rotate")
def rotate_secrets(
    forget_old_keys: Annotated[
        bool,
        typer.Option(
            "--forget-old-keys",
            help="Then keep only the newest key in data_dir/encryption_key.",
        ),
    ] = False,
) -> None:
    """Encrypt every stored secret again with the newest key."""
    from rma.adapters.crypto import drop_old_keys_from_file, reencrypt
    from rma.bootstrap import bootstrap

    container = bootstrap()
    for where, count in reencrypt(container.engine).items():
        console.print(f"{where}: {count}", highlight=False)
    if forget_old_keys:
        if container.settings.encryption_key:
            console.print("the keys come from RMA_ENCRYPTION_KEY: drop the old ones there")
            raise typer.Exit(2)
        dropped = drop_old_keys_from_file(container.settings.data_dir)
        console.print(f"old keys forgotten: {dropped}")
