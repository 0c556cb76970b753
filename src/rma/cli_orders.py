"""``rma orders import FILE`` (orders from a CSV file, with a progress bar) and ``rma mail-in``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from rma.domain.errors import RmaError

console = Console()
SHOWN_PROBLEMS = 50


def import_orders(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="UTF-8 CSV, one row per line.")
    ],
    seller: Annotated[str, typer.Option("--seller", envvar="RMA_SELLER", help="Seller id.")],
    batch_size: Annotated[int, typer.Option(min=1, max=5000, help="Orders per transaction.")] = 200,
) -> None:
    """Create or update orders from a CSV file; importing it again changes nothing."""
    from rma.bootstrap import bootstrap
    from rma.services import order_import

    container = bootstrap()
    cmd = order_import.ImportOrders(seller, batch_size)
    columns = (
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[orders]} orders"),
        TimeRemainingColumn(),
    )
    with file.open("rb") as binary, Progress(*columns, console=console) as progress:
        task = progress.add_task("import", total=file.stat().st_size, orders=0)

        def advance(report: order_import.ImportReport) -> None:
            done = report.created + report.updated + report.unchanged + report.refused
            progress.update(task, completed=binary.tell(), orders=done)

        try:
            report = order_import.import_orders(
                cmd, order_import.text_lines(binary), container.uow, advance
            )
        except RmaError as error:
            console.print(f"[red]{error.code}[/red]: {error.message}")
            raise typer.Exit(2) from error
        progress.update(task, completed=file.stat().st_size)
    console.print(
        f"{report.rows} rows: [green]{report.created} created[/green], "
        f"{report.updated} updated, {report.unchanged} unchanged, "
        f"[{'red' if report.refused else 'green'}]{report.refused} refused[/]"
    )
    for problem in report.problems[:SHOWN_PROBLEMS]:
        console.print(
            f"  row {problem.row}, {problem.field}: [red]{problem.code}[/red] "
            f"{problem.message} (order {problem.order_number or '?'})"
        )
    if report.problems_total > SHOWN_PROBLEMS:
        console.print(f"  ... {report.problems_total - SHOWN_PROBLEMS} more problems")
    if report.refused:
        raise typer.Exit(1)


def mail_in(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    lmtp: Annotated[bool, typer.Option("--lmtp", help="Speak LMTP instead of SMTP.")] = False,
) -> None:
    """Receive return requests by email at <seller id>@RMA_MAIL_IN_DOMAIN, until SIGTERM."""
    import signal
    import threading

    from rma.adapters.mail_in import ReturnMailHandler, listener
    from rma.bootstrap import bootstrap
    from rma.services import mail_in as service

    container = bootstrap()
    settings = container.settings
    handler = ReturnMailHandler(
        settings.mail_in_domain,
        f"{settings.base_url.rstrip('/')}/returns",
        lambda cmd: service.receive_return_email(cmd, container.uow),
        lambda seller_id: service.knows_seller(seller_id, container.reader()),
    )
    server = listener(
        handler,
        host or settings.mail_in_host,
        port or settings.mail_in_port,
        lmtp=lmtp,
        max_bytes=settings.mail_in_max_bytes,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    console.print(
        f"[green]mail-in listening[/green] on {server.hostname}:{server.port} "
        f"({'LMTP' if lmtp else 'SMTP'}) for *@{settings.mail_in_domain}"
    )
    try:
        stop.wait()
    finally:
        server.stop()
