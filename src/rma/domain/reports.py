"""Reports a seller downloads: their columns, how our facts map onto Amazon's, and encodings.

Every report is a header and rows of plain values. Times are ISO-8601 in UTC with a ``Z``;
money is integer minor units beside a currency column. CSV follows RFC 4180 (CRLF line ends,
fields quoted when they hold a comma, quote or line break); JSON Lines is one object a line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Report(StrEnum):
    """The reports and exports there are."""

    RETURNS = "returns"  # one row per return
    RETURN_ITEMS = "return-items"  # one row per returned item
    AMAZON_FBA_RETURNS = "amazon-fba-returns"  # Amazon's FBA customer returns report
    AMAZON_SELLER_FULFILLED_RETURNS = "amazon-seller-fulfilled-returns"  # Amazon's MFN report
    REFUNDS = "refunds"  # one row per refund, with its breakdown
    STORE_CREDIT = "store-credit"  # the store-credit ledger
    INVENTORY_MOVEMENTS = "inventory-movements"  # the stock ledger after inspection
    INVENTORY_RECONCILIATION = "inventory-reconciliation"  # per SKU and location, each bucket


class ExportFormat(StrEnum):
    CSV = "csv"  # RFC 4180
    JSONL = "jsonl"  # JSON Lines

    @property
    def media_type(self) -> str:
        return "text/csv; charset=utf-8" if self is ExportFormat.CSV else "application/jsonl"


BUCKETS = (
    "available",
    "refurbish",
    "return_to_vendor",
    "liquidate",
    "dispose",
    "rejected",
    "damaged",
)

# Amazon's FBA customer returns report, column for column.
AMAZON_FBA_COLUMNS = (
    "return-date",
    "order-id",
    "sku",
    "asin",
    "fnsku",
    "product-name",
    "quantity",
    "fulfillment-center-id",
    "detailed-disposition",
    "reason",
    "status",
    "license-plate-number",
    "customer-comments",
)

# Amazon's seller-fulfilled (MFN) returns report, column for column.
AMAZON_SELLER_FULFILLED_COLUMNS = (
    "Order ID",
    "Order date",
    "Return request date",
    "Return request status",
    "Amazon RMA ID",
    "Seller RMA ID",
    "Label type",
    "Label cost",
    "Currency code",
    "Return carrier",
    "Tracking ID",
    "Label to be paid by",
    "A-to-z Claim",
    "Is prime",
    "ASIN",
    "Merchant SKU",
    "Item Name",
    "Return quantity",
    "Return reason",
    "In policy",
    "Return type",
    "Resolution",
    "Invoice number",
    "Return delivery date",
    "Order Amount",
    "Order quantity",
    "SafeT action reason",
    "SafeT claim id",
    "SafeT claim state",
    "SafeT claim creation time",
    "SafeT claim reimbursement amount",
    "Refunded Amount",
    "Category",
)

COLUMNS: dict[Report, tuple[str, ...]] = {
    Report.RETURNS: (
        "return_id",
        "rma_number",
        "order_number",
        "customer_email",
        "status",
        "resolution",
        "in_policy",
        "created_at",
        "updated_at",
        "carrier",
        "tracking_number",
        "label_type",
        "label_paid_by",
        "label_cost",
        "currency",
    ),
    Report.RETURN_ITEMS: (
        "return_id",
        "rma_number",
        "item_id",
        "order_number",
        "line_id",
        "sku",
        "reason_code",
        "requested_quantity",
        "authorized_quantity",
        "received_quantity",
        "accepted_quantity",
        "rejected_quantity",
        "condition",
        "disposition",
        "resolution",
        "unit_price",
        "currency",
        "return_created_at",
        "inspected_at",
        "comment",
    ),
    Report.AMAZON_FBA_RETURNS: AMAZON_FBA_COLUMNS,
    Report.AMAZON_SELLER_FULFILLED_RETURNS: AMAZON_SELLER_FULFILLED_COLUMNS,
    Report.REFUNDS: (
        "refund_id",
        "return_id",
        "order_id",
        "status",
        "gateway",
        "amount",
        "goods",
        "tax",
        "shipping",
        "restocking_fee",
        "label_cost",
        "adjustment",
        "currency",
        "reference",
        "created_at",
        "updated_at",
    ),
    Report.STORE_CREDIT: (
        "entry_id",
        "customer_email",
        "kind",
        "amount",
        "bonus",
        "currency",
        "return_id",
        "note",
        "created_at",
    ),
    Report.INVENTORY_MOVEMENTS: (
        "created_at",
        "sku",
        "location",
        "bucket",
        "quantity",
        "return_id",
        "item_id",
    ),
    Report.INVENTORY_RECONCILIATION: (
        "sku",
        "location",
        "units_received",
        *BUCKETS,
        "units_booked",
        "unaccounted",
    ),
}

_DETAILED_DISPOSITION = {
    "sellable": "SELLABLE",
    "defective": "DEFECTIVE",
    "customer_damaged": "CUSTOMER_DAMAGED",
    "carrier_damaged": "CARRIER_DAMAGED",
    "damaged": "DAMAGED",
    "wrong_item": "WRONG_ITEM",
    "missing": "MISSING",
}
_FBA_STATUS = {
    "restock": "Unit returned to inventory",
    "refurbish": "Sent for refurbishment",
    "return_to_vendor": "Returned to vendor",
    "liquidate": "Liquidated",
    "dispose": "Disposed",
}
_REQUEST_STATUS = {
    "requested": "Pending",
    "pending_review": "Pending",
    "authorized": "Approved",
    "in_transit": "Approved",
    "partially_received": "Approved",
    "received": "Approved",
    "inspected": "Approved",
    "resolved": "Closed",
    "closed": "Closed",
    "denied": "Rejected",
    "expired": "Expired",
    "cancelled": "Cancelled",
}


def iso_utc(at: datetime | None) -> str | None:
    """``2026-02-12T15:00:00Z``: ISO-8601 in UTC, to the second."""
    if at is None:
        return None
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amazon_fba_row(fact: dict[str, Any]) -> list[Any]:
    """One row of the FBA customer returns report from a received return item."""
    condition = fact["condition"]
    disposition = fact["disposition"]
    status = _FBA_STATUS.get(disposition, "Received") if condition else "Received"
    return [
        iso_utc(fact["received_at"] or fact["created_at"]),
        fact["order_number"],
        fact["sku"],
        fact["asin"],
        fact["fnsku"],
        fact["product_name"],
        fact["received_quantity"],
        fact["facility_code"],
        _DETAILED_DISPOSITION.get(condition or "", ""),
        fact["reason_code"],
        status,
        fact["rma_number"],
        fact["comment"],
    ]


def refunded_for_item(breakdown: dict[str, Any] | None, item_id: str) -> int:
    """The part of a refund that paid back one item (its line's total), in minor units."""
    for line in (breakdown or {}).get("lines", []):
        if line.get("item_id") == item_id:
            return int(
                line.get("goods", 0)
                + line.get("tax", 0)
                + line.get("shipping", 0)
                - line.get("restocking_fee", 0)
            )
    return 0


def amazon_seller_fulfilled_row(fact: dict[str, Any]) -> list[Any]:
    """One row of the seller-fulfilled returns report from a return item."""
    refunded = (
        refunded_for_item(fact["breakdown"], fact["item_id"])
        if fact["refund_status"] == "succeeded"
        else 0
    )
    return [
        fact["order_number"],
        iso_utc(fact["ordered_at"]),
        iso_utc(fact["created_at"]),
        _REQUEST_STATUS.get(fact["status"], fact["status"]),
        "",  # Amazon's own RMA id: returns authorized here have none
        fact["rma_number"],
        fact["label_type"],
        fact["label_cost"],
        fact["currency"],
        fact["carrier"],
        fact["tracking_number"],
        "Customer" if fact["label_paid_by"] == "buyer" else "Seller",
        "N",
        "N",
        fact["asin"],
        fact["sku"],
        fact["product_name"],
        fact["requested_quantity"],
        fact["reason_code"],
        "Y" if fact["in_policy"] else "N",
        "C-Returns",
        fact["item_resolution"] or fact["resolution"],
        "",
        iso_utc(fact["delivered_at"]),
        fact["line_amount"],
        fact["line_quantity"],
        "",
        "",
        "",
        "",
        "",
        refunded,
        fact["category"],
    ]


def encode(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: ExportFormat
) -> Iterator[bytes]:
    """The report as bytes, a few hundred rows per chunk, header first (CSV)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    names = list(columns)
    if fmt is ExportFormat.CSV:
        writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        if fmt is ExportFormat.CSV:
            writer.writerow(row)
        else:
            buffer.write(json.dumps(dict(zip(names, row, strict=True)), separators=(",", ":")))
            buffer.write("\n")
        if count % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
