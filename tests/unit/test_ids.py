"""Identifiers sort in the order they were made, even within one millisecond."""

from __future__ import annotations

from rma.domain.ids import new_id


def test_ids_made_in_a_burst_sort_in_the_order_they_were_made() -> None:
    ids = [new_id("itm") for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("itm_") and len(i) == 30 for i in ids)
