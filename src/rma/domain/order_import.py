"""Orders from a CSV file: one row per order line, checked row by row, grouped by order.

A file is read as a stream of rows. Rows of one order follow each other; each group becomes
an ``OrderDraft`` or, when any of its rows is bad, a list of ``RowProblem`` naming the row
and the field. ``order_merge`` merges a draft into the order rma has, idempotently: lines and
shipments are matched by their ids, so importing the same file twice changes nothing the
second time, and a later file can add shipments and delivery dates.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from rma.domain.orders import OrderLine

REQUIRED_COLUMNS = (
    "order_number",
    "ordered_at",
    "customer_email",
    "currency",
    "line_id",
    "sku",
    "quantity",
    "unit_price",
)
OPTIONAL_COLUMNS = (
    "customer_name",
    "shipping_amount",
    "name",
    "tax_per_unit",
    "shipment_id",
    "shipped_at",
    "delivered_at",
    "carrier",
    "tracking_number",
    "facility_code",
    "shipped_quantity",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# The same bounds as the JSON API's order schema.
_LENGTHS = {
    "order_number": 100,
    "customer_email": 320,
    "customer_name": 200,
    "line_id": 100,
    "sku": 100,
    "name": 300,
    "shipment_id": 40,
    "carrier": 64,
    "tracking_number": 100,
    "facility_code": 40,
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SHIPMENT_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2999, 12, 31, tzinfo=UTC)
_MAX_MINOR_UNITS = 10**12
_MAX_QUANTITY = 100_000
# Order-level columns must agree on every row of one order.
_ORDER_FIELDS = ("ordered_at", "customer_email", "customer_name", "currency", "shipping_amount")


@dataclass(frozen=True)
class RowProblem:
    """Why one row (1 is the header) could not be taken, naming the field at fault."""

    row: int
    field: str
    code: str
    message: str
    order_number: str = ""


@dataclass(frozen=True)
class ShipmentRow:
    id: str
    shipped_at: datetime
    delivered_at: datetime | None
    carrier: str | None
    tracking_number: str | None
    facility_code: str | None
    quantity: int


@dataclass(frozen=True)
class LineRow:
    """One valid row: an order's fields, one line, and the shipment that carried it."""

    row: int
    order_number: str
    ordered_at: datetime
    customer_email: str
    customer_name: str
    currency: str
    shipping_amount: int
    line: OrderLine
    shipment: ShipmentRow | None


@dataclass
class OrderDraft:
    """An order as the file describes it, checked and ready to merge or add."""

    number: str
    first_row: int
    rows: list[LineRow] = field(default_factory=list)

    @property
    def head(self) -> LineRow:
        return self.rows[0]


@dataclass(frozen=True)
class OrderGroup:
    """The rows of one order, valid as a draft or refused with the problems found."""

    number: str
    first_row: int
    rows: int
    draft: OrderDraft | None
    problems: tuple[RowProblem, ...] = ()


def missing_columns(header: Iterable[str]) -> list[str]:
    """Required columns the header does not name."""
    present = {name.strip() for name in header}
    return [name for name in REQUIRED_COLUMNS if name not in present]


def parse_row(row: int, values: Mapping[str, str | None]) -> LineRow | list[RowProblem]:
    """Check one row; every problem it has is reported, each naming its field."""
    reader = _Reader(row, values)
    number = reader.text("order_number", required=True)
    ordered_at = reader.time("ordered_at", required=True)
    email = reader.text("customer_email", required=True)
    if email and not _EMAIL.match(email):
        reader.fail("customer_email", "invalid_email", "not an email address")
    currency = reader.text("currency", required=True).upper()
    if currency and not _CURRENCY.match(currency):
        reader.fail("currency", "invalid_currency", "give a three-letter ISO code, like EUR")
    line = OrderLine(
        line_id=reader.text("line_id", required=True),
        sku=reader.text("sku", required=True),
        quantity=reader.integer("quantity", required=True, low=1, high=_MAX_QUANTITY),
        unit_price=reader.integer("unit_price", required=True, high=_MAX_MINOR_UNITS),
        name=reader.text("name"),
        tax_per_unit=reader.integer("tax_per_unit", high=_MAX_MINOR_UNITS),
    )
    shipment = _shipment(reader, number, line)
    parsed = LineRow(
        row=row,
        order_number=number,
        ordered_at=ordered_at or _EARLIEST,
        customer_email=email,
        customer_name=reader.text("customer_name"),
        currency=currency,
        shipping_amount=reader.integer("shipping_amount", high=_MAX_MINOR_UNITS),
        line=line,
        shipment=shipment,
    )
    if reader.problems:
        return [_numbered(p, number) for p in reader.problems]
    return parsed


def group_rows(
    rows: Iterable[tuple[int, Mapping[str, str | None]]],
) -> Iterator[OrderGroup]:
    """Consecutive rows of one order number, checked together, one group at a time."""
    number: str | None = None
    first_row = 0
    parsed: list[LineRow] = []
    problems: list[RowProblem] = []
    count = 0
    for row, values in rows:
        key = (values.get("order_number") or "").strip()
        if number is not None and key != number:
            yield _group(number, first_row, count, parsed, problems)
            parsed, problems, count = [], [], 0
        if number is None or key != number:
            number, first_row = key, row
        count += 1
        result = parse_row(row, values)
        if isinstance(result, list):
            problems.extend(result)
        else:
            parsed.append(result)
    if number is not None:
        yield _group(number, first_row, count, parsed, problems)


# -- rows -----------------------------------------------------------------------------------


class _Reader:
    def __init__(self, row: int, values: Mapping[str, str | None]):
        self.row = row
        self.values = values
        self.problems: list[RowProblem] = []

    def fail(self, name: str, code: str, message: str) -> None:
        self.problems.append(RowProblem(self.row, name, code, message))

    def raw(self, name: str) -> str:
        value = self.values.get(name)
        return value.strip() if isinstance(value, str) else ""

    def text(self, name: str, *, required: bool = False) -> str:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "missing", f"{name} is required")
            return ""
        if "\x00" in value:
            self.fail(name, "invalid_text", "text cannot contain the NUL character")
        limit = _LENGTHS.get(name)
        if limit is not None and len(value) > limit:
            self.fail(name, "too_long", f"at most {limit} characters")
        return value

    def integer(self, name: str, *, required: bool = False, low: int = 0, high: int) -> int:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "missing", f"{name} is required")
            return 0
        if not value.isascii() or not value.isdigit():
            self.fail(name, "invalid_number", f"a whole number from {low}, in minor units")
            return 0
        number = int(value)
        if not low <= number <= high:
            self.fail(name, "out_of_range", f"between {low} and {high}")
        return number

    def time(self, name: str, *, required: bool = False) -> datetime | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "missing", f"{name} is required")
            return None
        try:
            parsed = _parse_time(value)
        except ValueError:
            self.fail(name, "invalid_time", "give a date (2026-01-31) or a time with its zone")
            return None
        if not _EARLIEST <= parsed <= _LATEST:
            self.fail(name, "out_of_range", "give a time between 1970 and 2999")
            return None
        return parsed


def _parse_time(value: str) -> datetime:
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("no time zone")
    return parsed.astimezone(UTC)


def _shipment(reader: _Reader, number: str, line: OrderLine) -> ShipmentRow | None:
    shipment_id = reader.text("shipment_id")
    shipped_at = reader.time("shipped_at")
    delivered_at = reader.time("delivered_at")
    quantity_given = bool(reader.raw("shipped_quantity"))
    if shipped_at is None:
        for name, given in (
            ("shipment_id", bool(shipment_id)),
            ("delivered_at", delivered_at is not None),
            ("shipped_quantity", quantity_given),
        ):
            if given and not reader.raw("shipped_at"):
                reader.fail("shipped_at", "missing", f"shipped_at is required with {name}")
                break
        return None
    if shipment_id and not _SHIPMENT_ID.match(shipment_id):
        reader.fail("shipment_id", "invalid_id", "letters, digits, '-' and '_' only")
    if delivered_at is not None and delivered_at < shipped_at:
        reader.fail("delivered_at", "before_shipped", "delivered before it shipped")
    quantity = (
        reader.integer("shipped_quantity", low=1, high=_MAX_QUANTITY)
        if quantity_given
        else line.quantity
    )
    return ShipmentRow(
        id=shipment_id or _derived_shipment_id(number, shipped_at, reader),
        shipped_at=shipped_at,
        delivered_at=delivered_at,
        carrier=reader.text("carrier") or None,
        tracking_number=reader.text("tracking_number") or None,
        facility_code=reader.text("facility_code") or None,
        quantity=quantity,
    )


def _derived_shipment_id(number: str, shipped_at: datetime, reader: _Reader) -> str:
    # The same file gives the same id, so a re-import finds the shipment it made before.
    basis = "|".join((number, shipped_at.isoformat(), reader.raw("tracking_number")))
    return "csv_" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _numbered(problem: RowProblem, number: str) -> RowProblem:
    return RowProblem(problem.row, problem.field, problem.code, problem.message, number)


def _group(
    number: str, first_row: int, count: int, parsed: list[LineRow], problems: list[RowProblem]
) -> OrderGroup:
    problems = problems + _disagreements(parsed)
    if problems or not parsed:
        return OrderGroup(number, first_row, count, None, tuple(problems))
    return OrderGroup(number, first_row, count, OrderDraft(number, first_row, parsed))


def _disagreements(rows: list[LineRow]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    if not rows:
        return problems
    head = rows[0]
    seen: set[str] = set()
    for row in rows:
        for name in _ORDER_FIELDS:
            if getattr(row, name) != getattr(head, name):
                problems.append(
                    RowProblem(
                        row.row,
                        name,
                        "order_fields_differ",
                        f"differs from row {head.row} of the same order",
                        row.order_number,
                    )
                )
        if row.line.line_id in seen:
            problems.append(
                RowProblem(
                    row.row,
                    "line_id",
                    "duplicate_line",
                    "this order already has a row for this line_id",
                    row.order_number,
                )
            )
        seen.add(row.line.line_id)
    return problems


def read_csv(lines: Iterable[str]) -> tuple[list[str], Iterator[tuple[int, dict[str, str | None]]]]:
    """The header and the numbered rows of a CSV text (the header is row 1).

    Rows are read one at a time as they are asked for; nothing holds the whole file.
    """
    reader = csv.reader(lines)
    header = [name.strip().lstrip("\ufeff") for name in next(reader, [])]

    def rows() -> Iterator[tuple[int, dict[str, str | None]]]:
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue  # a blank line, as spreadsheets leave at the end
            yield number, dict(zip(header, values, strict=False))

    return header, rows()
