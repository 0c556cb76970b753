"""Orders in bulk from a CSV file: over HTTP, from the `rma` command, idempotent, row by row."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from rma.adapters import orm
from rma.api.app import create_app
from rma.bootstrap import Container
from tests.intake_support import csv_text, order_rows, serving
from tests.security.browsing import hidden, sign_in
from tests.support import ok, open_shop

RMA = str(Path(sys.executable).with_name("rma"))


def upload(shop: Any, content: str | bytes, role: str = "seller") -> httpx.Response:
    body = content.encode() if isinstance(content, str) else content
    files = {"file": ("orders.csv", body, "text/csv")}
    return shop.call("POST", "/v1/orders/import", role, files=files, timeout=180)


def counts(container: Container) -> dict[str, int]:
    with container.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (orm.orders, orm.order_lines, orm.shipments, orm.shipment_items)
        }


def test_ten_thousand_lines_import_twice_with_the_same_result(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    content = csv_text(order_rows(5000))

    first = ok(upload(shop, content))
    assert first["rows"] == 10_000
    assert (first["created"], first["updated"], first["refused"]) == (5000, 0, 0)
    after_first = counts(container)
    assert after_first == {
        "orders": 5000,
        "order_lines": 10_000,
        "shipments": 5000,
        "shipment_items": 10_000,
    }

    second = ok(upload(shop, content))
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 5000)
    assert counts(container) == after_first
    order = ok(shop.call("GET", "/v1/orders/CSV-0004999"))
    assert order["customer_email"] == "customer4999@example.com"
    assert order["shipments"][0]["delivered_at"].startswith("2026-11-05T08:30:00")
    assert [line["shipped_quantity"] for line in order["lines"]] == [2, 2]


def test_a_later_file_adds_delivery_dates_without_duplicating(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    ok(upload(shop, csv_text(order_rows(3, delivered=False))))
    again = ok(upload(shop, csv_text(order_rows(3, delivered=True))))
    assert (again["created"], again["updated"]) == (0, 3)
    assert counts(container)["shipments"] == 3
    order = ok(shop.call("GET", "/v1/orders/CSV-0000001"))
    assert order["shipments"][0]["delivered_at"] is not None


def test_a_bad_row_refuses_its_order_only_and_names_row_and_field(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    rows = list(order_rows(3))
    rows[3]["quantity"] = "two"  # row 5 of the file: second line of order 1
    rows[4]["customer_email"] = "not-an-email"  # row 6: first line of order 2
    report = ok(upload(shop, csv_text(rows)))

    assert (report["created"], report["refused"]) == (1, 2)
    problems = {(p["row"], p["field"], p["code"], p["order_number"]) for p in report["problems"]}
    assert problems == {
        (5, "quantity", "invalid_number", "CSV-0000001"),
        (6, "customer_email", "invalid_email", "CSV-0000002"),
    }
    assert shop.call("GET", "/v1/orders/CSV-0000000").status_code == 200
    for refused in ("CSV-0000001", "CSV-0000002"):
        assert shop.call("GET", f"/v1/orders/{refused}").status_code == 404
    assert counts(container)["order_lines"] == 2  # nothing of a refused order half-imported


def test_more_shipped_than_ordered_and_changed_lines_are_refused(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(upload(shop, csv_text(order_rows(1))))
    rows = list(order_rows(1))
    rows[0]["sku"] = "HAT"
    rows[1]["shipped_quantity"] = "3"
    report = ok(upload(shop, csv_text(rows)))
    assert report["refused"] == 1
    fields = {(p["row"], p["field"], p["code"]) for p in report["problems"]}
    assert fields == {(2, "sku", "line_changed"), (3, "shipped_quantity", "over_shipped")}
    order = ok(shop.call("GET", "/v1/orders/CSV-0000000"))
    assert [line["sku"] for line in order["lines"]] == ["TEE", "MUG"]


def test_a_file_without_required_columns_is_refused_whole(http: httpx.Client) -> None:
    shop = open_shop(http)
    response = upload(shop, "order_number,sku\nA,TEE\n")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "missing_columns"
    assert {"row": 1, "field": "currency"} in error["details"]


def test_a_file_that_is_not_utf8_is_refused(http: httpx.Client) -> None:
    shop = open_shop(http)
    content = csv_text(order_rows(1)).encode() + "X-\xe9,".encode("latin-1") + b"\n"
    assert upload(shop, content).json()["error"]["code"] == "not_utf8"


def test_warehouse_keys_cannot_import_orders(http: httpx.Client) -> None:
    shop = open_shop(http)
    assert upload(shop, csv_text(order_rows(1)), role="warehouse").status_code == 403
    assert http.post("/v1/orders/import", files={"file": ("a.csv", b"x")}).status_code == 401


def test_an_import_larger_than_its_limit_is_413_even_without_a_length(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)
    monkeypatch.setattr(container.settings, "import_body_max_bytes", 4096)
    headers = {"Authorization": f"Bearer {shop.keys['seller']}"}
    content = csv_text(order_rows(40)).encode()
    files = {"file": ("orders.csv", content, "text/csv")}

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for start in range(0, len(content), 1000):
            yield content[start : start + 1000]

    # The limits are read when the app is built: this one gets a server of its own.
    with serving(create_app(container)) as url, httpx.Client(base_url=url) as small:
        declared = small.post("/v1/orders/import", files=files, headers=headers)
        assert declared.status_code == 413
        streamed = small.post(
            "/v1/orders/import",
            content=chunks(),
            headers={**headers, "Content-Type": "multipart/form-data; boundary=x"},
        )
        assert streamed.status_code == 413
    assert counts(container)["orders"] == 0
    assert ok(upload(shop, content[:3000].rsplit(b"\n", 1)[0]))["created"] >= 1


def test_the_command_imports_a_file_with_a_report(
    tmp_path: Path, http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    rows = list(order_rows(50))
    rows[7]["unit_price"] = "-1"
    path = tmp_path / "orders.csv"
    path.write_text(csv_text(rows))
    env = {
        **os.environ,
        "RMA_DATABASE_URL": container.settings.database_url,
        "RMA_DATA_DIR": str(container.settings.data_dir),
        "COLUMNS": "200",
    }
    command = [RMA, "orders", "import", str(path), "--seller", shop.seller_id]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1, done.stderr  # one order refused
    assert "49 created" in done.stdout
    assert "row 9, unit_price" in done.stdout

    rows[7]["unit_price"] = "2500"
    path.write_text(csv_text(rows))
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 created" in done.stdout
    assert "49 unchanged" in done.stdout
    with container.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM orders")).scalar_one() == 50


def test_the_desk_imports_a_file_and_shows_the_bad_rows(
    http: httpx.Client, server_url: str
) -> None:
    shop = open_shop(http)
    rows = list(order_rows(3))
    rows[5]["currency"] = "euro"
    with httpx.Client(base_url=server_url, timeout=60) as browser:
        refused = browser.post(
            "/desk/orders/import", files={"file": ("o.csv", csv_text(rows), "text/csv")}
        )
        assert refused.status_code == 303  # not signed in: the file is not read
        assert refused.headers["location"].startswith("/desk/login")
        sign_in(browser, shop.keys["seller"])
        form = browser.get("/desk/orders/import")
        assert form.status_code == 200
        page = browser.post(
            "/desk/orders/import",
            data={"csrf": hidden(form, "csrf")},
            files={"file": ("o.csv", csv_text(rows), "text/csv")},
        )
    assert page.status_code == 200, page.text
    assert "2 orders created" in page.text
    assert "1 refused" in page.text
    assert "<td>7</td><td><code>currency</code></td><td>CSV-0000002</td>" in page.text
    assert shop.call("GET", "/v1/orders/CSV-0000002").status_code == 404


def test_support_creates_a_return_for_a_customer_in_the_desk(
    http: httpx.Client, server_url: str
) -> None:
    shop = open_shop(http)
    shop.order("1001", delivered_days_ago=3)
    with httpx.Client(base_url=server_url, timeout=60) as browser:
        sign_in(browser, shop.keys["seller"])
        assert browser.get("/desk/returns/new", params={"order": "nope"}).status_code == 404
        form = browser.get("/desk/returns/new", params={"order": "1001"})
        assert form.status_code == 200
        assert "ada@example.com" in form.text
        missing = browser.post(
            "/desk/returns/new",
            data={"csrf": hidden(form, "csrf"), "order": "1001", "qty_1": "1"},
        )
        assert missing.status_code == 422  # a reason is needed, as on the portal
        made = browser.post(
            "/desk/returns/new",
            data={
                "csrf": hidden(form, "csrf"),
                "order": "1001",
                "qty_1": "1",
                "reason_1": "CR-DEFECTIVE",
                "comment_1": "called support",
                "resolution": "refund",
            },
        )
    assert made.status_code == 303, made.text
    return_id = made.headers["location"].rsplit("/", 1)[1]
    created = ok(shop.call("GET", f"/v1/returns/{return_id}"))
    assert created["status"] == "authorized"  # in policy, professional: as for the customer
    assert created["items"][0]["reason_code"] == "CR-DEFECTIVE"
    assert created["history"][0]["actor"].startswith("seller")


def test_a_shipment_id_of_another_order_refuses_only_that_order(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(upload(shop, csv_text(order_rows(2))))
    rows = list(order_rows(2, prefix="NEW"))  # the same shipment ids, on other orders
    rows[2]["shipment_id"] = rows[3]["shipment_id"] = "S-FREE"
    report = ok(upload(shop, csv_text(rows)))
    assert (report["created"], report["refused"]) == (1, 1)
    (problem,) = report["problems"]
    assert (problem["row"], problem["field"], problem["order_number"]) == (
        2,
        "shipment_id",
        "NEW-0000000",
    )
