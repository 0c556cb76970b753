"""Supplier credit as CSV, for the seller's accounting (API export and desk download)."""

from __future__ import annotations

import csv
import io

from rma.services.supplier_rmas import SupplierBalance


def credit_csv(found: list[SupplierBalance]) -> str:
    """The reconciliation as CSV: one row per supplier RMA, amounts in minor units."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "supplier",
            "supplier_rma_id",
            "return_id",
            "status",
            "supplier_rma_number",
            "outcome",
            "credit_memo",
            "currency",
            "expected_credit",
            "received_credit",
            "open_balance",
        ]
    )
    for balance in found:
        for rma in balance.rmas:
            writer.writerow(
                [
                    _cell(balance.partner.name),
                    rma.id,
                    rma.return_id,
                    rma.status,
                    rma.supplier_rma_number or "",
                    rma.outcome or "",
                    _cell(rma.credit_memo),
                    rma.currency,
                    rma.expected_credit,
                    rma.received_credit,
                    rma.open_balance,
                ]
            )
    return out.getvalue()


def _cell(text: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula: keep it text.
    return "'" + text if text[:1] in {"=", "+", "-", "@"} else text
