"""Periods in a zone, buckets, percentiles, tail probabilities and report encodings."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from rma.domain.analytics import (
    Grain,
    Period,
    binomial_tail,
    bucket_of,
    buckets,
    nearest_rank,
    poisson_tail,
)
from rma.domain.errors import InvalidInput
from rma.domain.reports import ExportFormat, amazon_fba_row, encode, iso_utc, refunded_for_item


def test_a_zones_offsets_change_at_its_daylight_saving_instants() -> None:
    period = Period.of(date(2026, 1, 1), date(2026, 12, 31), "America/New_York")
    assert period.offsets() == [
        (datetime(2026, 1, 1, 5, tzinfo=UTC), -5 * 3600),
        (datetime(2026, 3, 8, 7, tzinfo=UTC), -4 * 3600),
        (datetime(2026, 11, 1, 6, tzinfo=UTC), -5 * 3600),
    ]
    assert Period.of(date(2026, 1, 1), date(2026, 1, 31), "Asia/Kolkata").offsets() == [
        (datetime(2025, 12, 31, 18, 30, tzinfo=UTC), 19800)
    ]


def test_buckets_start_on_mondays_and_firsts_and_cover_the_period() -> None:
    assert bucket_of(date(2026, 3, 1), Grain.WEEK) == date(2026, 2, 23)  # a Sunday
    assert bucket_of(date(2026, 3, 31), Grain.MONTH) == date(2026, 3, 1)
    period = Period.of(date(2026, 1, 30), date(2026, 3, 2), "UTC")
    assert buckets(period, Grain.MONTH) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert len(buckets(period, Grain.DAY)) == 32


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2023, 1, 1), date(2026, 1, 5), "to"),  # over 3 years
        (date(2026, 2, 1), date(2026, 1, 1), "to"),  # ends before it starts
        (date(1, 1, 1), date(2026, 1, 1), "from"),
        (date(2026, 1, 1), date(9999, 12, 31), "to"),
    ],
)
def test_bad_periods_name_the_field(start: date, end: date, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Period.of(start, end, "UTC")
    assert refused.value.details[0]["field"] == field


def test_three_years_to_the_day_is_allowed() -> None:
    assert Period.of(date(2023, 1, 1), date(2026, 1, 2), "UTC").start == date(2023, 1, 1)


def test_nearest_rank_percentiles() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert nearest_rank(values, 0.5) == 5.0
    assert nearest_rank(values, 0.9) == 9.0
    assert nearest_rank([7.0], 0.9) == 7.0
    assert nearest_rank([], 0.5) is None


def test_tail_probabilities_match_their_closed_forms() -> None:
    assert binomial_tail(0, 10, 0.3) == 1.0
    assert binomial_tail(10, 10, 0.5) == pytest.approx(0.5**10)
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(2, 1.0) == pytest.approx(1 - 2 * 2.718281828459045**-1)
    assert 0 < poisson_tail(200, 10.0) < 1e-100


def test_csv_is_rfc_4180_and_json_lines_one_object_a_line() -> None:
    rows = [["a,b", 'say "hi"', "two\nlines", None, 5]] * 1200
    data = b"".join(encode(("x", "y", "z", "n", "k"), rows, ExportFormat.CSV)).decode()
    assert data.startswith('x,y,z,n,k\r\n"a,b","say ""hi""","two\nlines",,5\r\n')
    parsed = list(csv.reader(io.StringIO(data, newline="")))
    assert len(parsed) == 1201
    assert parsed[1] == ["a,b", 'say "hi"', "two\nlines", "", "5"]
    lines = b"".join(encode(("x", "k"), [["a", 1], ["b", None]], ExportFormat.JSONL)).decode()
    assert [json.loads(line) for line in lines.splitlines()] == [
        {"x": "a", "k": 1},
        {"x": "b", "k": None},
    ]


def test_times_are_utc_with_a_z_and_refunds_split_by_item() -> None:
    assert iso_utc(datetime(2026, 2, 12, 10, 0, tzinfo=UTC)) == "2026-02-12T10:00:00Z"
    breakdown = {"lines": [{"item_id": "i1", "goods": 500, "tax": 50, "restocking_fee": 25}]}
    assert refunded_for_item(breakdown, "i1") == 525
    assert refunded_for_item(breakdown, "i2") == 0
    row = amazon_fba_row(
        {
            "received_at": None,
            "created_at": datetime(2026, 1, 2, tzinfo=UTC),
            "order_number": "1",
            "sku": "S",
            "asin": None,
            "fnsku": None,
            "product_name": "P",
            "received_quantity": 1,
            "facility_code": None,
            "condition": None,
            "disposition": None,
            "reason_code": "R",
            "rma_number": "RMA",
            "comment": "",
        }
    )
    assert row[0] == "2026-01-02T00:00:00Z"
    assert (row[8], row[10]) == ("", "Received")
