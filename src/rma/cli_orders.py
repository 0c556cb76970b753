"""``rma orders import FILE``: a seller's orders from a CSV file, with a progress bar."""

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
