"""Import a seller's orders from a CSV file: streamed, idempotent, all-or-nothing per order."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import BinaryIO

from rma.domain import order_import as csv_orders
from rma.domain.errors import Conflict, InvalidInput
from rma.domain.ids import new_id
from rma.domain.order_import import OrderGroup, RowProblem
from rma.domain.order_merge import build_order, merge_into
from rma.services.unit_of_work import UnitOfWork

MAX_PROBLEMS_REPORTED = 1000  # a file of a million bad rows must not fill memory with them


@dataclass(frozen=True)
class ImportOrders:
    seller_id: str
    batch_size: int = 200  # orders per transaction; one order alone when a batch clashes


@dataclass
class ImportReport:
    """What an import did: orders created, updated, unchanged, refused, and why."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problems_total: int = 0

    def refuse(self, problems: Iterable[RowProblem]) -> None:
        self.refused += 1
        for problem in problems:
            self.problems_total += 1
            if len(self.problems) < MAX_PROBLEMS_REPORTED:
                self.problems.append(problem)


Progress = Callable[[ImportReport], None]


def import_orders(
    cmd: ImportOrders,
    lines: Iterable[str],
    uows: Callable[[], UnitOfWork],
    progress: Progress | None = None,
) -> ImportReport:
    """Create or update the orders a CSV text describes, one row per order line.

    The text is read as it goes. A bad row refuses its whole order, named in the report by
    row and field; every other order is taken. Orders are matched by number, so importing
    the same file again creates nothing and changes nothing.
    """
    header, rows = csv_orders.read_csv(lines)
    missing = csv_orders.missing_columns(header)
    if missing:
        raise InvalidInput(
            f"the header lacks the columns {', '.join(missing)}",
            code="missing_columns",
            details=[{"row": 1, "field": name} for name in missing],
        )
    report = ImportReport()
    groups = csv_orders.group_rows(rows)
    for batch in _batches(groups, max(1, cmd.batch_size)):
        refused = [g for g in batch if g.draft is None]
        for group in refused:
            report.refuse(group.problems)
        valid = [g for g in batch if g.draft is not None]
        try:
            _import_batch(cmd.seller_id, valid, uows, report)
        except Conflict:
            # Another writer clashed with one order of the batch (a number or shipment id
            # taken meanwhile): take the orders one by one, so only that one is refused.
            for group in valid:
                _import_alone(cmd.seller_id, group, uows, report)
        report.rows += sum(g.rows for g in batch)
        if progress is not None:
            progress(report)
    return report


def _batches(groups: Iterator[OrderGroup], size: int) -> Iterator[list[OrderGroup]]:
    while batch := list(islice(groups, size)):
        yield batch


def _import_alone(
    seller_id: str, group: OrderGroup, uows: Callable[[], UnitOfWork], report: ImportReport
) -> None:
    try:
        _import_batch(seller_id, [group], uows, report)
    except Conflict as error:
        # Shipment ids are unique per seller: the likely clash is one already on another
        # order (or another import writing this order at the same time).
        rows = group.draft.rows if group.draft else []
        field = "shipment_id" if any(r.shipment for r in rows) else "order_number"
        message = (
            "another of your orders already has one of this order's shipment ids, or another "
            "import wrote this order at the same time"
        )
        report.refuse([RowProblem(group.first_row, field, error.code, message, group.number)])


def _import_batch(
    seller_id: str, groups: list[OrderGroup], uows: Callable[[], UnitOfWork], report: ImportReport
) -> None:
    outcome = ImportReport()
    with uows() as uow:
        found = uow.orders.by_numbers(seller_id, [g.number for g in groups])
        existing = {o.number: o for o in found}
        for group in groups:
            assert group.draft is not None
            order = existing.get(group.number)
            if order is None:
                made = build_order(group.draft, new_id("ord"), seller_id)
                uow.orders.add(made)
                existing[made.number] = made
                outcome.created += 1
                continue
            merged = merge_into(order, group.draft)
            if isinstance(merged, list):
                outcome.refuse(merged)
            elif merged:
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        uow.commit()
    report.created += outcome.created
    report.updated += outcome.updated
    report.unchanged += outcome.unchanged
    report.refused += outcome.refused
    report.problems_total += outcome.problems_total
    room = MAX_PROBLEMS_REPORTED - len(report.problems)
    report.problems.extend(outcome.problems[: max(0, room)])


def text_lines(binary: BinaryIO) -> Iterator[str]:
    """The lines of a UTF-8 file (a byte-order mark is skipped), read as they are asked for."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    line_number = 0
    try:
        for line_number, line in enumerate(text, start=1):  # noqa: B007 (read in except)
            yield line
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"the file is not UTF-8 text (after line {line_number})",
            code="not_utf8",
            details=[{"row": line_number + 1, "field": "file"}],
        ) from error
    finally:
        if not binary.closed:
            text.detach()  # the caller owns the file: it stays open
