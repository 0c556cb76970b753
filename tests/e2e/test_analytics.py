"""Every measure against values worked out by hand from tests/analytics_world.py, over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from rma.adapters import orm
from rma.bootstrap import Container
from tests import analytics_world
from tests.support import Shop, error_code, ok, open_shop

FEB_MAR = {"from": "2026-02-01", "to": "2026-03-31", "group_by": "month"}


@pytest.fixture
def shop(http: httpx.Client, container: Container) -> Shop:
    shop = open_shop(http)
    analytics_world.build(container, shop.seller_id)
    return shop


def measure(shop: Shop, name: str, **params: Any) -> list[dict[str, Any]]:
    asked = {k: v for k, v in {**FEB_MAR, **params}.items() if v is not None}
    body = ok(shop.call("GET", f"/v1/analytics/{name}", params=asked))
    rows: list[dict[str, Any]] = body["data"]
    return rows


def rates(rows: list[dict[str, Any]]) -> list[tuple[str, str, int, int, float | None]]:
    return [
        (r["period"], r["key"], r["units_shipped"], r["units_returned"], r["return_rate"])
        for r in rows
    ]


def test_return_rate_overall_groups_by_month_in_the_sellers_zone(shop: Shop) -> None:
    body = ok(shop.call("GET", "/v1/analytics/return-rates", params=FEB_MAR))
    assert body["period"] == {
        "start": "2026-02-01",
        "end": "2026-03-31",
        "time_zone": analytics_world.TZ,
    }
    # Feb: 20 TEE + 4 MUG shipped (S2 at 03:00 UTC on 1 March is 28 Feb in New York);
    # R1's 3 units and R2's 3. Mar: 6 MUG + 5 CAP shipped; R3's 3 units (R4 was denied).
    assert rates(body["data"]) == [
        ("2026-02-01", "all", 24, 6, 0.25),
        ("2026-03-01", "all", 11, 3, 0.2727),
    ]


def test_return_rate_per_sku_and_per_category(shop: Shop) -> None:
    # SKUs returned most over the period first: TEE 5 units, MUG 3, CAP 1.
    assert rates(measure(shop, "return-rates", by="sku")) == [
        ("2026-02-01", "TEE", 20, 5, 0.25),
        ("2026-03-01", "TEE", 0, 0, None),
        ("2026-02-01", "MUG", 4, 1, 0.25),
        ("2026-03-01", "MUG", 6, 2, 0.3333),
        ("2026-02-01", "CAP", 0, 0, None),
        ("2026-03-01", "CAP", 5, 1, 0.2),
    ]
    assert rates(measure(shop, "return-rates", by="category")) == [
        ("2026-02-01", "(none)", 0, 0, None),
        ("2026-03-01", "(none)", 5, 1, 0.2),
        ("2026-02-01", "apparel", 20, 5, 0.25),
        ("2026-03-01", "apparel", 0, 0, None),
        ("2026-02-01", "kitchen", 4, 1, 0.25),
        ("2026-03-01", "kitchen", 6, 2, 0.3333),
    ]


def test_return_rate_filtered_by_channel_facility_category_and_week(shop: Shop) -> None:
    assert rates(measure(shop, "return-rates", channel="amazon")) == [
        ("2026-02-01", "all", 10, 3, 0.3),
        ("2026-03-01", "all", 0, 0, None),
    ]
    # Shipped from WH1: S1 (14 units); received at WH1: R1 (3 units).
    assert rates(measure(shop, "return-rates", facility="WH1")) == [
        ("2026-02-01", "all", 14, 3, 0.2143),
        ("2026-03-01", "all", 0, 0, None),
    ]
    assert rates(measure(shop, "return-rates", category="apparel"))[0] == (
        "2026-02-01", "all", 20, 5, 0.25,
    )  # fmt: skip
    weekly = measure(
        shop,
        "return-rates",
        sku="TEE",
        group_by="week",
        **{"from": "2026-02-23", "to": "2026-03-08"},
    )
    assert rates(weekly) == [
        ("2026-02-23", "all", 10, 3, 0.3),
        ("2026-03-02", "all", 0, 0, None),
    ]


@pytest.mark.parametrize("name", ["return-rates", "reasons"])
def test_answers_split_by_sku_come_a_page_of_skus_at_a_time(shop: Shop, name: str) -> None:
    daily = {**FEB_MAR, "by": "sku", "group_by": "day"}
    whole = ok(shop.call("GET", f"/v1/analytics/{name}", params=daily))
    assert whole["next_cursor"] is None
    skus: list[list[str]] = []
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        asked = {**daily, "limit": 1, **({"cursor": cursor} if cursor else {})}
        body = ok(shop.call("GET", f"/v1/analytics/{name}", params=asked))
        skus.append(sorted({row["key"] for row in body["data"]}))
        rows.extend(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    # Most returned first (TEE 5 units, MUG 3, CAP 1); the pages add up to the whole answer.
    assert skus == [["TEE"], ["MUG"], ["CAP"]]
    assert sorted(rows, key=repr) == sorted(whole["data"], key=repr)
    forged = shop.call("GET", f"/v1/analytics/{name}", params={"by": "sku", "cursor": "x"})
    assert error_code(forged, 422) == "invalid_cursor"


def test_reasons_with_fault_and_share(shop: Shop) -> None:
    rows = [
        (r["period"], r["reason_code"], r["fault"], r["units"], r["share"])
        for r in measure(shop, "reasons")
    ]
    assert rows == [
        ("2026-02-01", "CR-DAMAGED_BY_CARRIER", "carrier", 3, 0.5),
        ("2026-02-01", "CR-DEFECTIVE", "seller", 2, 0.3333),
        ("2026-02-01", "CR-UNWANTED_ITEM", "buyer", 1, 0.1667),
        ("2026-03-01", "CR-UNWANTED_ITEM", "buyer", 2, 0.6667),
        ("2026-03-01", "CR-DEFECTIVE", "seller", 1, 0.3333),
    ]
    per_sku = [(r["key"], r["reason_code"], r["units"]) for r in measure(shop, "reasons", by="sku")]
    assert ("TEE", "CR-DAMAGED_BY_CARRIER", 3) in per_sku
    assert ("CAP", "CR-DEFECTIVE", 1) in per_sku


def test_carrier_damage_counts_inspections_and_exceptions(shop: Shop) -> None:
    assert measure(shop, "carrier-damage") == [
        {"period": "2026-03-01", "carrier": "FEDEX", "damaged_units": 3, "exceptions": 1}
    ]


def test_money_per_period_in_minor_units(shop: Shop) -> None:
    assert measure(shop, "money") == [
        {
            "period": "2026-02-01",
            "currency": "USD",
            "refunded": 5380,
            "store_credit_issued": 0,
            "restocking_fees": 120,
            "label_costs_recovered": 700,
            "value_restocked": 1200,
            "value_written_off": 0,
        },
        {
            "period": "2026-03-01",
            "currency": "USD",
            "refunded": 0,
            "store_credit_issued": 1500,
            "restocking_fees": 0,
            "label_costs_recovered": 0,
            "value_restocked": 0,
            "value_written_off": 7500,
        },
    ]


def test_speed_median_and_90th_percentile(shop: Shop) -> None:
    rows = [
        (r["period"], r["stage"], r["returns"], r["p50_seconds"], r["p90_seconds"])
        for r in measure(shop, "speed")
    ]
    hour = 3600
    assert rows == [
        ("2026-02-01", "request_to_authorization", 2, 2 * hour, 6 * hour),
        ("2026-02-01", "authorization_to_receipt", 2, 48 * hour, 72 * hour),
        ("2026-02-01", "receipt_to_refund", 1, 24 * hour, 24 * hour),
        ("2026-03-01", "request_to_authorization", 1, 10 * hour, 10 * hour),
    ]


def test_outcomes_per_sku(shop: Shop) -> None:
    assert measure(shop, "outcomes", group_by=None) == [
        {"sku": "MUG", "condition": "sellable", "disposition": "restock", "units_accepted": 1,
         "units_rejected": 0},
        {"sku": "TEE", "condition": "carrier_damaged", "disposition": "dispose",
         "units_accepted": 3, "units_rejected": 0},
        {"sku": "TEE", "condition": "defective", "disposition": "return_to_vendor",
         "units_accepted": 2, "units_rejected": 0},
    ]  # fmt: skip


def test_customers_with_the_most_returns(shop: Shop) -> None:
    assert measure(shop, "customers", group_by=None) == [
        {"customer_email": "ada@example.com", "returns": 2, "units_returned": 6,
         "units_shipped": 25, "return_rate": 0.24},
        {"customer_email": "bob@example.com", "returns": 1, "units_returned": 3,
         "units_shipped": 10, "return_rate": 0.3},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2023-01-01", "to": "2026-03-31"}, "to"),
        ({"group_by": "year"}, "query.group_by"),
        ({"by": "colour"}, "query.by"),
        ({"sku": "NOPE"}, "sku"),
        ({"reason": "CR-NOPE"}, "reason"),
        ({"facility": "NOWHERE"}, "facility"),
        ({"category": "garden"}, "category"),
        ({"channel": "ebay"}, "query.channel"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    shop: Shop, params: dict[str, str], field: str
) -> None:
    response = shop.call("GET", "/v1/analytics/return-rates", params={**FEB_MAR, **params})
    assert error_code(response, 422) in {"invalid_input"}
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def test_a_grouping_the_measure_does_not_support_is_refused(shop: Shop) -> None:
    response = shop.call("GET", "/v1/analytics/money", params={**FEB_MAR, "by": "sku"})
    assert error_code(response, 422) == "invalid_input"
    assert [d["field"] for d in response.json()["error"]["details"]] == ["by"]
    response = shop.call("GET", "/v1/analytics/outcomes", params=FEB_MAR)
    assert [d["field"] for d in response.json()["error"]["details"]] == ["group_by"]


def test_another_sellers_sku_and_facility_answer_nothing_of_theirs(
    shop: Shop, http: httpx.Client, container: Container
) -> None:
    attacker = open_shop(http, "Attacker")
    for params in ({"sku": "TEE"}, {"facility": "WH1"}, {"category": "apparel"}):
        response = attacker.call("GET", "/v1/analytics/return-rates", params={**FEB_MAR, **params})
        assert error_code(response, 422) == "invalid_input"
        assert "units" not in response.text
    # With a SKU of its own of the same name, the attacker still sees only its own units.
    body = ok(attacker.call("GET", "/v1/analytics/return-rates", params=FEB_MAR))
    assert [(r["units_shipped"], r["units_returned"]) for r in body["data"]] == [(0, 0), (0, 0)]
    for name in ("reasons", "carrier-damage", "money", "speed"):
        assert ok(attacker.call("GET", f"/v1/analytics/{name}", params=FEB_MAR))["data"] == []
    for name in ("outcomes", "customers"):
        params = {"from": "2026-02-01", "to": "2026-03-31"}
        assert ok(attacker.call("GET", f"/v1/analytics/{name}", params=params))["data"] == []


def test_a_warehouse_key_may_not_read_analytics(shop: Shop) -> None:
    response = shop.call("GET", "/v1/analytics/return-rates", "warehouse", params=FEB_MAR)
    assert error_code(response, 403) == "forbidden"


def test_the_rollup_answers_the_same_and_newer_shipments_still_count(
    shop: Shop, container: Container
) -> None:
    from rma.services.rollups import refresh_rollups

    asked = [
        {},
        {"by": "sku"},
        {"by": "category"},
        {"channel": "amazon"},
        {"facility": "WH1"},
        {"category": "apparel"},
        {"group_by": "week", "from": "2026-02-23", "to": "2026-03-08", "sku": "TEE"},
    ]
    raw = [measure(shop, "return-rates", **params) for params in asked]
    assert refresh_rollups(container.uow) == 5  # shipment rows rolled up
    assert refresh_rollups(container.uow) == 0  # nothing new
    assert [measure(shop, "return-rates", **params) for params in asked] == raw

    # A shipment made after the refresh counts at once, read raw past the watermark.
    rows = analytics_world.Rows(container, shop.seller_id)
    order_id = analytics_world.order(rows, "1009", "cy@example.com", [("1", "CAP", 7, 1000)])
    analytics_world.shipment(rows, order_id, "S9", "2026-03-20 12:00", [("1", 7)])
    rows.write()
    march = measure(shop, "return-rates")[1]
    assert (march["units_shipped"], march["units_returned"]) == (18, 3)
    assert refresh_rollups(container.uow) == 1
    assert measure(shop, "return-rates")[1]["units_shipped"] == 18

    # Another zone: the days are rolled up again, in the new zone.
    with container.engine.begin() as connection:
        connection.execute(
            update(orm.sellers).where(orm.sellers.c.id == shop.seller_id).values(timezone="UTC")
        )
    utc = measure(shop, "return-rates")  # raw until the rollup catches up
    assert [r["units_shipped"] for r in utc] == [14, 28]  # S2 on 1 March in UTC
    assert refresh_rollups(container.uow) == 6
    assert measure(shop, "return-rates") == utc
