"""Reports stream as RFC 4180 CSV and JSON Lines, Amazon's headers exactly, and load in pandas."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pandas as pd
import pytest

from rma.bootstrap import Container
from tests import analytics_world
from tests.support import Shop, error_code, open_shop

# Written out from the lists (and Amazon's seller-fulfilled returns report), not
# imported, so a changed header fails here.
FBA_HEADER = (
    "return-date,order-id,sku,asin,fnsku,product-name,quantity,fulfillment-center-id,"
    "detailed-disposition,reason,status,license-plate-number,customer-comments"
)
SELLER_FULFILLED_HEADER = (
    "Order ID,Order date,Return request date,Return request status,Amazon RMA ID,"
    "Seller RMA ID,Label type,Label cost,Currency code,Return carrier,Tracking ID,"
    "Label to be paid by,A-to-z Claim,Is prime,ASIN,Merchant SKU,Item Name,Return quantity,"
    "Return reason,In policy,Return type,Resolution,Invoice number,Return delivery date,"
    "Order Amount,Order quantity,SafeT action reason,SafeT claim id,SafeT claim state,"
    "SafeT claim creation time,SafeT claim reimbursement amount,Refunded Amount,Category"
)


@pytest.fixture
def shop(http: httpx.Client, container: Container) -> Shop:
    shop = open_shop(http)
    analytics_world.build(container, shop.seller_id)
    return shop


def download(shop: Shop, report: str, **params: str) -> httpx.Response:
    response = shop.call("GET", f"/v1/reports/{report}", params=params)
    assert response.status_code == 200, response.text
    return response


def table(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "\r\n" in response.text  # RFC 4180 line ends
    return list(csv.DictReader(io.StringIO(response.text, newline="")))


def test_amazon_fba_returns_report_headers_and_rows(shop: Shop) -> None:
    response = download(shop, "amazon-fba-returns")
    assert response.text.split("\r\n")[0] == FBA_HEADER
    rows = table(response)
    assert [(r["order-id"], r["sku"], r["quantity"]) for r in rows] == [
        ("1001", "TEE", "2"),
        ("1001", "MUG", "1"),
        ("1002", "TEE", "3"),
    ]
    first = rows[0]
    assert first["return-date"] == "2026-02-15T17:00:00Z"
    assert (first["asin"], first["fnsku"], first["product-name"]) == (
        "B000TEE001",
        "X000TEE001",
        "Tee",
    )
    assert first["fulfillment-center-id"] == "WH1"
    assert first["detailed-disposition"] == "DEFECTIVE"
    assert first["license-plate-number"] == "RMA-R1"
    assert first["customer-comments"] == "stopped working"
    assert rows[2]["detailed-disposition"] == "CARRIER_DAMAGED"


def test_amazon_seller_fulfilled_returns_report_headers_and_rows(shop: Shop) -> None:
    response = download(shop, "amazon-seller-fulfilled-returns")
    assert response.text.split("\r\n")[0] == SELLER_FULFILLED_HEADER
    rows = table(response)
    assert len(rows) == 7  # every item of R1..R5
    tee = rows[0]
    assert tee["Order ID"] == "1001"
    assert tee["Seller RMA ID"] == "RMA-R1"
    assert tee["Return request status"] == "Closed"
    assert (tee["Label cost"], tee["Currency code"], tee["Label to be paid by"]) == (
        "700",
        "USD",
        "Customer",
    )
    assert (tee["Return quantity"], tee["Order Amount"], tee["Order quantity"]) == (
        "2",
        "25000",
        "10",
    )
    assert tee["Category"] == "apparel"
    assert [r["Return request status"] for r in rows[-2:]] == ["Rejected", "Pending"]


def test_returns_export_parses_and_loads_in_pandas_with_types(shop: Shop) -> None:
    response = download(shop, "returns")
    assert response.headers["content-disposition"] == 'attachment; filename="returns.csv"'
    rows = table(response)
    assert [r["rma_number"] for r in rows] == ["RMA-R1", "RMA-R2", "RMA-R3", "RMA-R4", "RMA-R5"]
    assert rows[0]["created_at"] == "2026-02-12T15:00:00Z"
    frame = pd.read_csv(io.StringIO(response.text), parse_dates=["created_at", "updated_at"])
    assert isinstance(frame["created_at"].dtype, pd.DatetimeTZDtype)
    assert str(frame["created_at"].dt.tz) == "UTC"
    assert frame["label_cost"].dtype == "int64"
    assert frame["in_policy"].dtype == "bool"
    assert frame["label_cost"].sum() == 700


def test_return_items_as_json_lines_load_in_pandas(shop: Shop) -> None:
    response = download(shop, "return-items", format="jsonl")
    assert response.headers["content-type"] == "application/jsonl"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) == 7
    assert lines[0]["unit_price"] == 2500
    assert lines[0]["currency"] == "USD"
    frame = pd.read_json(io.StringIO(response.text), lines=True, dtype={"sku": "string"})
    assert frame["requested_quantity"].dtype == "int64"
    assert frame["requested_quantity"].sum() == 2 + 1 + 3 + 2 + 1 + 1 + 1


def test_a_filtered_export_shows_what_the_filter_shows(shop: Shop) -> None:
    rows = table(
        download(shop, "return-items", sku="MUG", **{"from": "2026-02-01", "to": "2026-03-31"})
    )
    assert [(r["rma_number"], r["sku"]) for r in rows] == [
        ("RMA-R1", "MUG"),
        ("RMA-R3", "MUG"),
        ("RMA-R4", "MUG"),
    ]
    amazon = table(download(shop, "returns", channel="amazon"))
    assert [r["rma_number"] for r in amazon] == ["RMA-R2"]


def test_money_and_stock_reports(shop: Shop) -> None:
    refunds = table(download(shop, "refunds"))
    assert [
        (r["amount"], r["restocking_fee"], r["label_cost"], r["currency"]) for r in refunds
    ] == [("5380", "120", "700", "USD")]
    credit = table(download(shop, "store-credit"))
    assert [(r["kind"], r["amount"], r["created_at"]) for r in credit] == [
        ("issued", "1500", "2026-03-20T10:00:00Z")
    ]
    movements = table(download(shop, "inventory-movements"))
    assert [(r["sku"], r["bucket"], r["quantity"]) for r in movements] == [
        ("TEE", "return_to_vendor", "2"),
        ("MUG", "available", "1"),
        ("TEE", "dispose", "3"),
    ]
    reconciliation = table(download(shop, "inventory-reconciliation"))
    assert reconciliation == [
        {"sku": "MUG", "location": "WH1", "units_received": "1", "available": "1",
         "refurbish": "0", "return_to_vendor": "0", "liquidate": "0", "dispose": "0",
         "rejected": "0", "damaged": "0", "units_booked": "1", "unaccounted": "0"},
        {"sku": "TEE", "location": "WH1", "units_received": "5", "available": "0",
         "refurbish": "0", "return_to_vendor": "2", "liquidate": "0", "dispose": "3",
         "rejected": "0", "damaged": "0", "units_booked": "5", "unaccounted": "0"},
    ]  # fmt: skip


def test_returns_csv_is_no_longer_a_404(shop: Shop) -> None:
    response = shop.call("GET", "/v1/returns.csv")
    assert len(table(response)) == 5


def test_bad_report_input_is_a_422_naming_the_field(shop: Shop) -> None:
    for params, field in (
        ({"sku": "NOPE"}, "sku"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"group_by": "day"}, "group_by"),
        ({"format": "xlsx"}, "query.format"),
    ):
        response = shop.call("GET", "/v1/reports/returns", params=params)
        assert error_code(response, 422) == "invalid_input"
        assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert shop.call("GET", "/v1/reports/everything").status_code == 422


def test_another_seller_downloads_nothing_of_theirs(shop: Shop, http: httpx.Client) -> None:
    attacker = open_shop(http, "Attacker")
    for report in ("returns", "return-items", "amazon-fba-returns", "refunds", "store-credit"):
        response = attacker.call("GET", f"/v1/reports/{report}")
        assert response.status_code == 200
        assert len(table(response)) == 0
    assert error_code(attacker.call("GET", "/v1/reports/returns", params={"facility": "WH1"}), 422)
