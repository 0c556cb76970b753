"""A return's history is the audit trail's facts: one entry per move, keyed by the return.

`rma audit verify` checks every history row against the entry written with it, so a history
row edited, deleted or added behind rma's back is named like a bad entry.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import delete, insert

from rma.adapters.orm_trust import audit_holds
from rma.bootstrap import Container
from rma.services.clock import utcnow
from tests.integration.test_audit_trail import entries, first_bad, seal, sql
from tests.support import Shop, ok, open_shop


def _moved(http: httpx.Client) -> tuple[Shop, str]:
    """A return asked for, held for review, authorized in bulk, then received."""
    shop = open_shop(http)
    shop.order("H-1", delivered_days_ago=40)  # past the window: a person reviews it
    ret = ok(shop.request_return("H-1", [("1", 1)]), 201)
    assert ret["status"] == "pending_review"
    answer = ok(shop.call("POST", "/v1/returns/authorize", json={"ids": [ret["id"]]}))
    assert answer["authorized"] == 1
    return shop, ret["id"]


def _history(shop: Shop, return_id: str) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = ok(shop.call("GET", f"/v1/returns/{return_id}"))["history"]
    return shown


def test_each_move_is_one_entry_of_the_return_bulk_authorization_included(
    http: httpx.Client,
) -> None:
    shop, return_id = _moved(http)

    facts = entries(shop, entity="return_history", entity_id=return_id)

    shown = _history(shop, return_id)
    moves = [f["after"]["action"] for f in reversed(facts)]
    assert moves == [h["action"] for h in shown]
    assert moves == ["request", "send_to_review", "authorize"]
    assert {f["after"]["return_id"] for f in facts} == {return_id}


def test_a_clean_history_verifies(http: httpx.Client, container: Container) -> None:
    shop, _return_id = _moved(http)
    seal(container)

    assert first_bad(container, shop.seller_id) is None


def test_a_history_row_edited_in_the_database_is_named(
    http: httpx.Client, container: Container
) -> None:
    shop, return_id = _moved(http)
    seal(container)
    sql(
        container,
        "UPDATE return_history SET note = 'approved by the owner' "
        "WHERE return_id = :r AND action = 'authorize'",
        r=return_id,
    )

    bad = first_bad(container, shop.seller_id)

    assert bad is not None
    assert bad["problem"] == "history_altered"
    assert return_id in bad["message"]
    assert "note" in bad["message"]
    [fact] = [
        f
        for f in entries(shop, entity="return_history", entity_id=return_id)
        if f["after"]["action"] == "authorize"
    ]
    assert bad["entry_id"] == fact["id"]


def test_a_history_row_deleted_in_the_database_is_named(
    http: httpx.Client, container: Container
) -> None:
    shop, return_id = _moved(http)
    seal(container)
    sql(
        container,
        "DELETE FROM return_history WHERE return_id = :r AND action = 'request'",
        r=return_id,
    )

    bad = first_bad(container, shop.seller_id)

    assert bad is not None
    assert bad["problem"] == "history_missing"
    assert return_id in bad["message"]


def test_a_history_row_added_in_the_database_is_named(
    http: httpx.Client, container: Container
) -> None:
    shop, return_id = _moved(http)
    seal(container)
    sql(
        container,
        "INSERT INTO return_history (seller_id, return_id, at, actor, action, from_status,"
        " to_status, note) SELECT seller_id, return_id, at, actor, 'refund', to_status,"
        " to_status, 'refunded in full' FROM return_history WHERE return_id = :r"
        " AND action = 'authorize'",
        r=return_id,
    )

    bad = first_bad(container, shop.seller_id)

    assert bad is not None
    assert bad["problem"] == "history_unrecorded"
    assert return_id in bad["message"]
    assert "refund" in bad["message"]


def _walked(http: httpx.Client) -> tuple[Shop, str]:
    """A return through its whole life: asked, received, inspected, resolved, closed."""
    shop = open_shop(http)
    shop.order("L-1")
    ret = ok(shop.request_return("L-1", [("1", 2)]), 201)
    assert ret["status"] == "authorized"
    path, item = f"/v1/returns/{ret['id']}", ret["items"][0]["id"]
    received = {"items": [{"item_id": item, "quantity": 2}]}
    ok(shop.call("POST", f"{path}/receive", "warehouse", json=received))
    looked = {"item_id": item, "accepted": 1, "rejected": 1, "condition": "defective"}
    inspected = {"items": [{**looked, "disposition": "return_to_vendor"}]}
    ok(shop.call("POST", f"{path}/inspect", "warehouse", json=inspected))
    resolved = {"items": [{"item_id": item, "resolution": "store_credit"}]}
    ok(shop.call("POST", f"{path}/resolve", json=resolved))
    ok(shop.call("POST", f"{path}/close", json={"note": "done"}))
    return shop, ret["id"]


def test_a_return_through_its_whole_life_verifies(http: httpx.Client, container: Container) -> None:
    shop, _return_id = _walked(http)
    _moved_shop, _ = _moved(http)
    seal(container)

    report = ok(shop.call("GET", "/v1/audit/verify", "admin"))

    assert report["ok"] is True, report["chains"][0]["first_bad"]
    assert report["chains"][0]["returns"] == 1
    assert first_bad(container, _moved_shop.seller_id) is None


def test_a_deadline_changed_in_the_database_is_named(
    http: httpx.Client, container: Container
) -> None:
    shop, return_id = _moved(http)
    seal(container)
    sql(container, "UPDATE returns SET deadline = NULL WHERE id = :r", r=return_id)

    bad = first_bad(container, shop.seller_id)

    assert bad is not None
    assert bad["problem"] == "row_altered"
    assert return_id in bad["message"]
    assert "deadline" in bad["message"]


def test_rows_from_before_the_upgrade_that_began_holding_them_are_not_judged(
    http: httpx.Client, container: Container
) -> None:
    shop, return_id = _moved(http)
    seal(container)
    sql(container, "UPDATE return_history SET note = 'x' WHERE return_id = :r", r=return_id)
    sql(container, "UPDATE returns SET deadline = NULL WHERE id = :r", r=return_id)
    assert first_bad(container, shop.seller_id) is not None

    # As if this database had been upgraded after the return was made.
    later = utcnow() + timedelta(minutes=5)
    with container.engine.begin() as connection:
        connection.execute(delete(audit_holds))
        connection.execute(insert(audit_holds).values(what="rows", since=later))

    assert first_bad(container, shop.seller_id) is None
