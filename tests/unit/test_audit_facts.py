"""Holding live rows to the trail: what is judged, and what is not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from rma.domain.audit import check_history, check_rows

BEGAN = datetime(2026, 6, 1, tzinfo=UTC)


def _body(action: str, after: dict[str, Any]) -> str:
    return json.dumps({"action": action, "after": after})


def _move(at: datetime, action: str) -> dict[str, Any]:
    fields = {"actor": "system:rma", "action": action, "from_status": None}
    return {**fields, "to_status": "requested", "note": ""}


def test_history_from_before_the_trail_is_not_judged_but_a_later_row_is() -> None:
    old = BEGAN - timedelta(days=30)
    rows = [("ret_a", 1, old, _move(old, "request"))]
    assert check_history(rows, [], BEGAN) == (0, None)

    late = BEGAN + timedelta(days=1)
    rows.append(("ret_b", 2, late, _move(late, "request")))
    checked, bad = check_history(rows, [], BEGAN)
    assert checked == 1
    assert bad is not None
    assert bad.problem == "history_unrecorded"
    assert "ret_b" in bad.message


def test_a_row_from_before_the_trail_updated_since_is_neither_judged_nor_missed() -> None:
    old = BEGAN - timedelta(days=30)
    rows = [("ret_a", old, {"status": "authorized"}), ("ret_b", BEGAN, {"status": "requested"})]
    facts = [
        ("ret_a", "aud_1", _body("update", {"status": "authorized"})),
        ("ret_b", "aud_2", _body("insert", {"status": "requested"})),
    ]
    assert check_rows("returns", rows, facts, BEGAN) == (1, None)


def test_the_last_value_the_trail_gave_a_column_is_the_one_that_counts() -> None:
    rows = [("ret_a", BEGAN, {"status": "requested", "deadline": None})]
    facts = [
        ("ret_a", "aud_1", _body("insert", {"status": "requested", "deadline": None})),
        ("ret_a", "aud_2", _body("update", {"status": "authorized"})),
    ]
    checked, bad = check_rows("returns", rows, facts, BEGAN)
    assert checked == 1
    assert bad is not None
    assert bad.problem == "row_altered"
    assert bad.entry_id == "aud_2"
    assert "status 'requested' (the trail: 'authorized')" in bad.message


def test_an_entry_whose_row_is_gone_is_missing_unless_it_was_deleted() -> None:
    facts = [
        ("ret_a", "aud_1", _body("insert", {"status": "requested"})),
        ("ret_b", "aud_2", _body("insert", {"status": "requested"})),
        ("ret_b", "aud_3", _body("delete", {})),
    ]
    assert check_rows("returns", [], facts[1:], BEGAN) == (0, None)
    _, bad = check_rows("returns", [], facts, BEGAN)
    assert bad is not None
    assert bad.problem == "row_missing"
    assert "ret_a" in bad.message
