"""Every change writes one audit entry; the sealed chain shows any row changed behind its back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from rma.bootstrap import Container
from rma.services.audit import seal_audit, verify_audit
from rma.trust_wiring import audit_chains, audit_keys
from tests.support import ADMIN_KEY, Shop, bearer, ok, open_shop

ADDRESS = {
    "name": "Returns",
    "line1": "1 Dock Road",
    "city": "Leeds",
    "postal_code": "LS1 1AA",
    "country": "GB",
}

REASON = {"description": "d", "fault": "buyer"}


def entries(shop: Shop, **filters: str) -> list[dict[str, Any]]:
    page = ok(shop.call("GET", "/v1/audit", "admin", params={"limit": 500, **filters}))
    data: list[dict[str, Any]] = page["data"]
    return data


def seal(container: Container) -> int:
    return seal_audit(audit_chains(container), audit_keys(container))


def first_bad(container: Container, seller_id: str) -> dict[str, Any] | None:
    [found] = verify_audit(audit_chains(container), audit_keys(container), seller_id)
    return found.as_dict()["first_bad"]


def test_a_settings_change_is_one_entry_naming_the_key_with_before_and_after(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"transit_days": 20}))

    changes = [e for e in entries(shop, entity="sellers") if e["action"] == "update"]
    assert len(changes) == 1
    [change] = changes
    assert change["actor"].startswith("seller:key_")
    assert change["before"]["transit_days"] == 15
    assert change["after"]["transit_days"] == 20
    assert change["entity_id"] == shop.seller_id


# Each listed change: how to make it, and the table whose row it changes.
CHANGES: dict[str, tuple[str, Callable[[Shop], Any]]] = {
    "policy": (
        "category_policies",
        lambda s: ok(s.call("PUT", "/v1/policies/apparel", json={"window_days": 20})),
    ),
    "reason code": (
        "reason_codes",
        lambda s: ok(
            s.call(
                "PUT", "/v1/reason-codes/X-SCRATCHED", json={"description": "d", "fault": "buyer"}
            )
        ),
    ),
    "return address": (
        "return_addresses",
        lambda s: ok(
            s.call("POST", "/v1/return-addresses", json={"label": "x", "address": ADDRESS}), 201
        ),
    ),
    "webhook endpoint": (
        "webhook_endpoints",
        lambda s: ok(
            s.call("POST", "/v1/webhook-endpoints", json={"url": "http://127.0.0.1:65533/hook"}),
            201,
        ),
    ),
    "carrier source": (
        "carrier_sources",
        lambda s: ok(
            s.call(
                "POST",
                "/v1/carrier-sources",
                json={"kind": "easypost", "name": "EP", "secret": "s3cret-for-audit-0123"},
            ),
            201,
        ),
    ),
    "amazon credentials": (
        "amazon_credentials",
        lambda s: ok(
            s.http.post(
                "/v1/amazon/credentials", json={"seller_id": s.seller_id}, headers=bearer(ADMIN_KEY)
            ),
            201,
        ),
    ),
    "api key": (
        "api_keys",
        lambda s: ok(
            s.call("POST", "/v1/api-keys", "admin", json={"role": "seller", "name": "ops"}), 201
        ),
    ),
}


@pytest.mark.parametrize("what", sorted(CHANGES))
def test_each_listed_change_writes_exactly_one_entry_with_actor(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    monkeypatch.setattr(container.destinations, "allow_private", True)
    shop = open_shop(http)
    entity, make = CHANGES[what]
    before = len(entries(shop, entity=entity))
    make(shop)

    new = entries(shop, entity=entity)[: len(entries(shop, entity=entity)) - before]
    assert len(new) == 1, new
    [entry] = new
    assert entry["action"] == "insert" or entry["before"]
    assert entry["after"]
    assert entry["actor"].split(":")[0] in {"seller", "admin"}
    for column, value in entry["after"].items():
        if any(word in column for word in ("secret", "hash", "token", "password", "key")):
            assert value in ({"changed": True}, None), (column, value)


def test_a_return_request_is_audited_as_the_customer_who_asked(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("A-1")
    token = ok(
        http.post("/v1/portal/sessions", json={"order_number": "A-1", "email": "ada@example.com"}),
        201,
    )["token"]
    body = {
        "order_number": "A-1",
        "items": [{"line_id": "1", "quantity": 1, "reason_code": "CR-UNWANTED_ITEM"}],
    }
    ret = ok(http.post("/v1/returns", json=body, headers=bearer(token)), 201)

    [entry] = entries(shop, entity="returns", entity_id=ret["id"])
    assert entry["actor"].startswith("customer:")
    assert entry["after"]["status"] == ret["status"]
    items = entries(shop, entity="return_items")
    assert len(items) == 1


def test_a_refund_is_one_entry_with_its_amount(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"keep_item_max_value": 10_000}))
    shop.order("K-1")
    kept = ok(shop.request_return("K-1", [("1", 1)], resolution="keep_item"), 201)
    assert kept["status"] == "resolved"

    [refund] = entries(shop, entity="refunds")
    assert refund["action"] == "insert"
    assert refund["after"]["amount"] == 2500
    assert refund["after"]["return_id"] == kept["id"]


def _world(http: httpx.Client, container: Container) -> Shop:
    shop = open_shop(http)
    for days in (20, 21, 22, 23):
        ok(shop.call("PUT", "/v1/settings", json={"transit_days": days}))
    assert seal(container) > 0
    return shop


def test_a_clean_log_verifies(http: httpx.Client, container: Container) -> None:
    shop = _world(http, container)
    assert first_bad(container, shop.seller_id) is None
    report = ok(shop.call("GET", "/v1/audit/verify", "admin"))
    assert report["ok"] is True
    assert report["chains"][0]["entries"] >= 8
    assert report["chains"][0]["unsealed"] == 0


def _sealed(container: Container, seller_id: str) -> list[tuple[str, int]]:
    with container.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, seq FROM audit_entries WHERE seller_id = :s ORDER BY seq"),
            {"s": seller_id},
        ).all()
    return [(row[0], int(row[1])) for row in rows]


def sql(container: Container, statement: str, **params: Any) -> None:
    """Run ``statement`` straight on the database, behind rma's back."""
    with container.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_an_edited_entry_is_named(http: httpx.Client, container: Container) -> None:
    shop = _world(http, container)
    target, _seq = _sealed(container, shop.seller_id)[3]
    sql(
        container,
        "UPDATE audit_entries SET body = replace(body, '\"action\":', '\"action\": ')"
        " WHERE id = :id",
        id=target,
    )
    bad = first_bad(container, shop.seller_id)
    assert bad is not None
    assert bad["entry_id"] == target
    assert bad["problem"] == "altered"
    report = ok(shop.call("GET", "/v1/audit/verify", "admin"))
    assert report["ok"] is False
    assert report["chains"][0]["first_bad"]["entry_id"] == target


def test_a_deleted_entry_is_named_by_the_one_after_it(
    http: httpx.Client, container: Container
) -> None:
    shop = _world(http, container)
    rows = _sealed(container, shop.seller_id)
    sql(container, "DELETE FROM audit_entries WHERE id = :id", id=rows[2][0])
    bad = first_bad(container, shop.seller_id)
    assert bad is not None
    assert bad["entry_id"] == rows[3][0]
    assert bad["problem"] == "missing"


def test_a_deleted_tail_is_seen(http: httpx.Client, container: Container) -> None:
    shop = _world(http, container)
    rows = _sealed(container, shop.seller_id)
    sql(container, "DELETE FROM audit_entries WHERE id = :id", id=rows[-1][0])
    bad = first_bad(container, shop.seller_id)
    assert bad is not None
    assert bad["problem"] == "missing"
    assert bad["seq"] == rows[-1][1]


def test_an_inserted_entry_is_named(http: httpx.Client, container: Container) -> None:
    shop = _world(http, container)
    rows = _sealed(container, shop.seller_id)
    sql(
        container,
        "INSERT INTO audit_entries (id, seller_id, entity, entity_id, action, actor, occurred_at,"
        " body, seq, prev_hash, hash) SELECT 'aud_forged', seller_id, entity, entity_id, action,"
        " actor, occurred_at, body, seq, prev_hash, hash FROM audit_entries WHERE id = :id",
        id=rows[2][0],
    )
    bad = first_bad(container, shop.seller_id)
    assert bad is not None
    assert bad["entry_id"] in {"aud_forged", rows[2][0]}
    assert bad["problem"] == "inserted"
    assert bad["seq"] == rows[2][1]


def test_reordered_entries_are_named(http: httpx.Client, container: Container) -> None:
    shop = _world(http, container)
    rows = _sealed(container, shop.seller_id)
    (a, seq_a), (b, seq_b) = rows[4], rows[5]
    sql(container, "UPDATE audit_entries SET seq = -1 WHERE id = :id", id=a)
    sql(container, "UPDATE audit_entries SET seq = :seq WHERE id = :id", seq=seq_a, id=b)
    sql(container, "UPDATE audit_entries SET seq = :seq WHERE id = :id", seq=seq_b, id=a)
    bad = first_bad(container, shop.seller_id)
    assert bad is not None
    assert bad["entry_id"] == b
    assert bad["problem"] == "reordered"


def test_a_rewritten_chain_is_caught_by_the_signed_checkpoint(
    http: httpx.Client, container: Container
) -> None:
    from rma.domain.audit import chain_hash

    shop = _world(http, container)
    with container.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, seq, body FROM audit_entries WHERE seller_id = :s ORDER BY seq"),
            {"s": shop.seller_id},
        ).all()
    # Whoever edits an entry and recomputes every hash after it still cannot sign.
    previous = "0" * 64
    for index, (entry_id, seq, body) in enumerate(rows):
        if index == 1:
            body = body.replace('"action":', '"action": ')
        digest = chain_hash(previous, int(seq), shop.seller_id, body)
        sql(
            container,
            "UPDATE audit_entries SET body = :b, prev_hash = :p, hash = :h WHERE id = :id",
            b=body,
            p=previous,
            h=digest,
            id=entry_id,
        )
        previous = digest
    bad = first_bad(container, shop.seller_id)
    assert bad is not None
    assert bad["problem"] == "checkpoint_mismatch"


def test_audit_routes_are_for_admin_keys_only(http: httpx.Client) -> None:
    shop = open_shop(http)
    for role in ("seller", "warehouse"):
        assert shop.call("GET", "/v1/audit", role).status_code == 403
        assert shop.call("GET", "/v1/audit/verify", role).status_code == 403
    other = open_shop(http, "Other")
    forbidden = shop.call("GET", "/v1/audit", "admin", params={"seller_id": other.seller_id})
    assert forbidden.status_code == 403
    platform = http.get(
        "/v1/audit", params={"seller_id": other.seller_id}, headers=bearer(ADMIN_KEY)
    )
    assert ok(platform)["data"]
    key = ok(http.get("/v1/audit/public-key"))
    assert key["algorithm"] == "Ed25519"
    assert "BEGIN PUBLIC KEY" in key["public_key_pem"]
