"""Reads sent by the driver itself answer what SQLAlchemy's own path answers, on both databases.

Sign-in, the seller's settings and a request's order are read by ``DriverQuery``
(``rma.adapters.driver_rows``): its own conversion of each column has to give the same
values the ORM gives (times with their zone on SQLite, the seller's secret decrypted, an
address from JSON), and a statement someone listens to (the benchmark's recorder) must be
sent the usual way, where the listener sees it.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import pq
from sqlalchemy import Integer, String, bindparam, cast, event, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from rma.adapters import driver_rows, flush_inserts, orm, return_writes, session_loads
from rma.adapters.driver_rows import (
    DriverInsert,
    DriverQuery,
    ask_ahead,
    insert_together,
    read_together,
)
from rma.bootstrap import Container
from rma.domain import rma_numbers
from rma.domain.access import ApiKey, CustomerSession, hash_secret
from rma.domain.flags import Flag, FlagCode
from rma.domain.orders import Order, Product
from rma.domain.returns import Return
from rma.domain.sellers import Seller
from rma.services.clock import utcnow
from tests.integration.test_audit_trail import seal
from tests.physical_support import authorized_return
from tests.returns_flow import inspect, receive, resolution, start_return
from tests.support import customer_token, ok, open_shop


def _seller_name() -> DriverQuery:
    """A driver's read of a seller's name, new to every connection."""
    return DriverQuery(select(orm.sellers.c.name).where(orm.sellers.c.id == bindparam("id")))


def _columns(value: Any, table: Any) -> dict[str, Any]:
    # The entities compare by identity (they are mapped): compare what their rows hold.
    return {f.name: getattr(value, f.name) for f in fields(value) if f.name in table.c}


def _values(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in fields(value)}


def test_driver_reads_answer_what_the_orm_answers(http: httpx.Client, container: Container) -> None:
    shop = open_shop(http)
    address = {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345"}
    shop.order("DR-1", shipping_address={**address, "country": "US"})
    key = shop.keys["seller"]
    token = customer_token(http, "DR-1")

    with container.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        settings = uow.sellers.settings(shop.seller_id)
        signed_in = uow.api_keys.by_hash(hash_secret(key))
        customer = uow.customer_sessions.by_hash(hash_secret(token))
        tracked_customer = session.get(CustomerSession, hash_secret(token))
        snapshot = uow.orders.to_return_from(shop.seller_id, "DR-1")
        tracked_order = uow.orders.by_number(shop.seller_id, "DR-1")
        tracked_seller = session.get(Seller, shop.seller_id)
        assert signed_in is not None
        tracked_key = session.get(ApiKey, signed_in.id)

    assert settings is not None
    assert tracked_seller is not None
    assert settings.payment_webhook_secret  # decrypted, as the ORM gives it
    assert _columns(settings, orm.sellers) == _columns(tracked_seller, orm.sellers)
    assert settings.created_at.tzinfo is not None
    assert _columns(signed_in, orm.api_keys) == _columns(tracked_key, orm.api_keys)
    assert customer is not None
    assert tracked_customer is not None
    assert _columns(customer, orm.customer_sessions) == _columns(
        tracked_customer, orm.customer_sessions
    )
    assert customer.expires_at.tzinfo is not None  # compared with the time now when used
    assert snapshot is not None
    assert tracked_order is not None
    assert _columns(snapshot, orm.orders) == _columns(tracked_order, orm.orders)
    assert snapshot.shipping_address is not None
    assert snapshot.shipping_address.city == "Springfield"
    assert [_values(line) for line in snapshot.lines] == [
        _values(line) for line in tracked_order.lines
    ]

    def shipments(order: Any) -> list[Any]:
        return [(_values(s) | {"items": [_values(i) for i in s.items]}) for s in order.shipments]

    assert shipments(snapshot) == shipments(tracked_order)
    assert snapshot.shipments[0].shipped_at.tzinfo is not None


def test_a_statement_listened_to_is_sent_the_usual_way(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    with container.uow() as uow:
        unheard = uow.sellers.settings(shop.seller_id)

    heard: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        heard.append(statement)

    event.listen(container.engine, "before_cursor_execute", listen)
    try:
        with container.uow() as uow:
            listened = uow.sellers.settings(shop.seller_id)
    finally:
        event.remove(container.engine, "before_cursor_execute", listen)

    assert any("FROM sellers" in statement for statement in heard)
    assert listened is not None
    assert unheard is not None
    assert _columns(listened, orm.sellers) == _columns(unheard, orm.sellers)
    ok(http.get("/v1/returns", headers={"Authorization": f"Bearer {shop.keys['seller']}"}))


def test_a_list_longer_than_a_chunk_is_asked_whole(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    other = open_shop(http, "Other shop")
    with container.uow() as uow:
        for n in range(40):
            category = None if n % 3 == 0 else f"cat-{n % 4}"
            uow.products.add(Product(shop.seller_id, f"SKU-{n}", f"Thing {n}", category))
        uow.products.add(Product(other.seller_id, "SKU-1", "Their thing", "theirs"))
        uow.commit()
    asked = [f"SKU-{n}" for n in range(45)] + ["SKU-1", "SKU-2"]  # 5 unknown, 2 twice

    with container.uow() as uow:
        categories = uow.products.categories(shop.seller_id, asked)
        codes = uow.reason_codes.among(
            shop.seller_id, ["CR-UNWANTED_ITEM", "NOPE", "CR-UNWANTED_ITEM"]
        )
        tracked = uow.reason_codes.get(shop.seller_id, "CR-UNWANTED_ITEM")

    assert categories == {f"SKU-{n}": None if n % 3 == 0 else f"cat-{n % 4}" for n in range(40)}
    assert [code.code for code in codes] == ["CR-UNWANTED_ITEM"]
    assert tracked is not None
    assert _values(codes[0]) == _values(tracked)


def test_a_request_sent_either_way_writes_the_same_rows_and_trail(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    shop.order("DR-2")
    shop.order("DR-3")
    driven = ok(shop.request_return("DR-2", [("1", 1), ("2", 1)]), 201)
    event.listen(container.engine, "before_cursor_execute", _heard)
    try:
        usual = ok(shop.request_return("DR-3", [("1", 1), ("2", 1)]), 201)
    finally:
        event.remove(container.engine, "before_cursor_execute", _heard)

    def shown(created: dict[str, Any]) -> tuple[Any, ...]:
        ret = ok(shop.call("GET", f"/v1/returns/{created['id']}"))
        items = [(i["line_id"], i["requested_quantity"]) for i in ret["items"]]
        return ret["status"], items, [h["action"] for h in ret["history"]]

    assert shown(driven) == shown(usual)
    assert shown(driven)[2]  # its history, read back by the keys the inserts answered
    assert seal(container) > 0  # the trail holds both requests' rows, history and all
    report = ok(shop.call("GET", "/v1/audit/verify", "admin"))
    assert report["ok"] is True
    assert report["chains"][0]["history_rows"] >= 2


def _heard(*_: Any) -> None:
    pass


def test_an_order_or_return_read_by_the_driver_is_tracked_as_if_loaded(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    order_id = shop.order("DR-4")["id"]
    return_id = ok(shop.request_return("DR-4", [("1", 1)]), 201)["id"]

    def orm_order() -> dict[str, Any]:
        with container.uow() as uow:
            session = uow.session  # type: ignore[attr-defined]
            found = session.scalars(
                select(Order)
                .where(orm.orders.c.id == order_id)
                .execution_options(populate_existing=True)
            ).one()
            return _tree(found)

    loaded_by_the_orm = orm_order()
    with container.uow() as uow:
        order = uow.orders.get(shop.seller_id, order_id)
        ret = uow.returns.get(shop.seller_id, return_id)
        assert order is not None
        assert ret is not None
        assert uow.orders.get(shop.seller_id, order_id) is order  # the session's own, again
        assert _tree(order) == loaded_by_the_orm
        order.customer_name = "Ada Lovelace"
        ret.items[0].comment = "changed while tracked"
        uow.commit()

    shown = [h["action"] for h in _history(shop, return_id)]
    with container.uow() as uow:
        saved = uow.orders.get(shop.seller_id, order_id)
        again = uow.returns.get(shop.seller_id, return_id)
        assert saved is not None
        assert saved.customer_name == "Ada Lovelace"
        assert again is not None
        assert again.items[0].comment == "changed while tracked"
        assert [h.action for h in again.history] == shown


def _tree(order: Any) -> dict[str, Any]:
    return _values(order) | {
        "lines": [_values(line) for line in order.lines],
        "shipments": [
            _values(s) | {"items": [_values(i) for i in s.items]} for s in order.shipments
        ],
    }


def _history(shop: Any, return_id: str) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = ok(shop.call("GET", f"/v1/returns/{return_id}"))["history"]
    return history


def test_a_move_written_by_the_driver_leaves_what_the_orm_flush_left(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)

    def through_its_life(number: str) -> str:
        ret, item = start_return(shop, number, reason="CR-UNWANTED_ITEM")
        receive(shop, ret, item)
        inspect(shop, ret, item)
        ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))
        return ret

    by_the_driver = through_its_life("DR-5")
    with monkeypatch.context() as patched:  # every move and the refund left to the ORM's flush
        patched.setattr(return_writes, "write_moved_returns", lambda _session: None)
        patched.setattr(flush_inserts, "write_new_rows", lambda _session: None)
        by_the_flush = through_its_life("DR-6")

    assert _shown(shop, by_the_driver) == _shown(shop, by_the_flush)
    assert _trail(container, by_the_driver) == _trail(container, by_the_flush)
    assert any(entity == "refunds" for commit in _trail(container, by_the_driver)
               for entity, *_ in commit)  # fmt: skip
    refunds = {r["return_id"]: r for r in ok(shop.call("GET", "/v1/refunds"))["data"]}
    assert _refund_shown(refunds[by_the_driver]) == _refund_shown(refunds[by_the_flush])
    assert seal(container) > 0
    assert ok(shop.call("GET", "/v1/audit/verify", "admin"))["ok"] is True


def _refund_shown(refund: dict[str, Any]) -> dict[str, Any]:
    kept = ("amount", "currency", "status", "gateway", "sequence", "attempt", "reference")
    return {name: refund.get(name) for name in kept}


def _shown(shop: Any, return_id: str) -> tuple[Any, ...]:
    ret = ok(shop.call("GET", f"/v1/returns/{return_id}"))
    quantities = ("requested", "authorized", "received", "accepted", "rejected")
    items = [[i[f"{name}_quantity"] for name in quantities] for i in ret["items"]]
    moves = [(h["action"], h["from_status"], h["to_status"]) for h in ret["history"]]
    return ret["status"], ret["version"], items, moves


def _trail(container: Container, return_id: str) -> list[list[tuple[Any, ...]]]:
    """What the entries about the return, its items and its history say changed, commit by
    commit (the order of one commit's entries follows the session's, which is no order)."""
    with container.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT occurred_at, entity, action, body FROM audit_entries"
                " WHERE entity_id = :id"
                " OR entity_id IN (SELECT id FROM return_items WHERE return_id = :id)"
                " OR entity_id IN (SELECT id FROM refunds WHERE return_id = :id)"
                " ORDER BY occurred_at"
            ),
            {"id": return_id},
        ).all()
    commits: dict[Any, list[tuple[Any, ...]]] = {}
    for at, entity, action, body in rows:
        said = json.loads(body)
        commits.setdefault(at, []).append(
            (entity, action, sorted(said["before"]), sorted(said["after"]))
        )
    return [sorted(entries) for entries in commits.values()]


@pytest.mark.parametrize("count", [7, 20])
def test_a_request_of_many_items_inserts_them_as_a_batch(http: httpx.Client, count: int) -> None:
    # On PostgreSQL, 7 rows go in one INSERT of as many VALUES, 20 in psycopg's executemany.
    shop = open_shop(http)
    lines = [
        {"line_id": str(n), "sku": f"SKU-{n}", "quantity": 1, "unit_price": 1000 + n}
        for n in range(1, count + 1)
    ]
    shop.order("DR-7", lines=lines)
    created = ok(shop.request_return("DR-7", [(str(n), 1) for n in range(1, count + 1)]), 201)

    shown = ok(shop.call("GET", f"/v1/returns/{created['id']}"))
    assert sorted((i["line_id"], i["sku"], i["unit_price"]) for i in shown["items"]) == sorted(
        (str(n), f"SKU-{n}", 1000 + n) for n in range(1, count + 1)
    )


def _skus(container: Container, seller_id: str) -> list[str]:
    with container.engine.connect() as connection:
        found = select(orm.products.c.sku).where(orm.products.c.seller_id == seller_id)
        return sorted(connection.execute(found).scalars())


def _insert(container: Container, product: Product, *, commit: bool = True) -> None:
    with container.uow() as uow:
        DriverInsert(orm.products).objects(uow.session, [product])  # type: ignore[attr-defined]
        if commit:
            uow.commit()


def test_a_write_sent_first_in_a_transaction_is_undone_by_its_rollback(
    http: httpx.Client, container: Container
) -> None:
    # On PostgreSQL the driver's statements go by libpq, past psycopg: the first of a
    # transaction has to begin it as psycopg would, or it would be committed on its own.
    shop = open_shop(http)
    _insert(container, Product(shop.seller_id, "SKU-GONE", "Undone"), commit=False)
    _insert(container, Product(shop.seller_id, "SKU-KEPT", "Kept"))

    assert _skus(container, shop.seller_id) == ["SKU-KEPT"]


def test_a_failed_statement_raises_as_sqlalchemy_would_and_changes_nothing(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    insert = DriverInsert(orm.products)
    _insert(container, Product(shop.seller_id, "SKU-1", "First"))

    def second_and_first_again() -> None:
        with container.uow() as uow:
            session = uow.session  # type: ignore[attr-defined]
            insert.objects(session, [Product(shop.seller_id, "SKU-2", "Second")])
            insert.objects(session, [Product(shop.seller_id, "SKU-1", "Again")])
            uow.commit()

    # SQLAlchemy's error around the driver's own, as from SQLAlchemy's execution: the unit of
    # work answers an IntegrityError as a conflict, the API an OperationalError with 503.
    with pytest.raises(IntegrityError) as raised:
        second_and_first_again()
    assert isinstance(raised.value.orig, (psycopg.errors.UniqueViolation, sqlite3.IntegrityError))

    assert _skus(container, shop.seller_id) == ["SKU-1"]
    ok(http.get("/v1/returns", headers={"Authorization": f"Bearer {shop.keys['seller']}"}))


@pytest.mark.postgres_only
def test_a_statement_is_prepared_once_a_connection_and_outlives_its_rollbacks(
    http: httpx.Client, container: Container
) -> None:
    # psycopg prepared a statement run five times by itself, and then dropped every
    # prepared statement of the connection at its next rollback (``DEALLOCATE ALL``), the
    # driver's too: the next request's statement was missing.
    shop = open_shop(http)
    name = _seller_name()
    prepared = "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'rma\\_%'"
    with container.engine.connect() as connection:
        session = Session(bind=connection)
        counts = []
        for _ in range(3):
            for _ in range(6):
                connection.execute(text("SELECT 1"))
            assert name.first(session, {"id": shop.seller_id}) == ("Shop",)
            counts.append(connection.execute(text(prepared)).scalar_one())
            connection.rollback()

    assert counts[0] >= 1
    assert counts == [counts[0]] * 3


def _one_return(http: httpx.Client, number: str) -> tuple[Any, str]:
    """A new shop and a return of one item of its order ``number``: the shop, the return's id."""
    shop = open_shop(http)
    shop.order(number)
    return shop, ok(shop.request_return(number, [("1", 1)]), 201)["id"]


def _reads_of(shop: Any, return_id: str) -> list[tuple[DriverQuery, dict[str, Any]]]:
    owner = {"seller_id": shop.seller_id, "return_id": return_id}
    by_id = {"seller_id": shop.seller_id, "id": return_id}
    return [
        (session_loads.RETURN_BY_ID, by_id),
        (session_loads._ITEMS_OF, owner),
        (session_loads._HISTORY_OF, owner),
    ]


def test_reads_sent_together_answer_what_each_answers_alone(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    shop.order("DR-8")
    created = ok(shop.request_return("DR-8", [("1", 1), ("2", 1)]), 201)
    reads = _reads_of(shop, created["id"])
    for unit in (container.uow, container.reader):  # in a transaction, and outside one
        with unit() as uow:
            session = uow.session  # type: ignore[attr-defined]
            together = read_together(session, reads)
            alone = [query.all(session, params) for query, params in reads]
        assert together == alone
        assert [len(rows) for rows in together[:2]] == [1, 2]
        assert together[2]  # its history


@pytest.mark.postgres_only
def test_a_failed_read_sent_together_raises_as_sqlalchemy_would(
    http: httpx.Client, container: Container
) -> None:
    shop, return_id = _one_return(http, "DR-9")
    reads = _reads_of(shop, return_id)
    number = DriverQuery(select(cast(bindparam("text", type_=String), Integer).label("n")))
    with container.uow() as uow, pytest.raises(DBAPIError) as raised:
        read_together(uow.session, [reads[0], (number, {"text": "ten"}), reads[1]])  # type: ignore[attr-defined]
    assert isinstance(raised.value.orig, psycopg.errors.InvalidTextRepresentation)
    with container.uow() as uow:  # the pooled connection serves the next unit of work
        assert [len(rows) for rows in read_together(uow.session, reads)[:2]] == [1, 1]  # type: ignore[attr-defined]


@pytest.mark.postgres_only
def test_reads_sent_together_on_a_lost_connection_raise_what_the_api_answers_503(
    http: httpx.Client, container: Container
) -> None:
    shop, return_id = _one_return(http, "DR-10")
    with container.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with container.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(OperationalError) as raised:
            read_together(session, _reads_of(shop, return_id))
    assert raised.value.connection_invalidated
    ok(shop.call("GET", f"/v1/returns/{return_id}"))


def test_settings_read_ahead_with_a_return_are_read_again_once_they_may_have_changed(
    http: httpx.Client, container: Container
) -> None:
    shop, return_id = _one_return(http, "DR-11")
    with container.uow() as uow:
        alone = uow.sellers.settings(shop.seller_id)
        assert uow.returns.get(shop.seller_id, return_id) is not None  # its seller read along
        ahead = uow.sellers.settings(shop.seller_id)
        assert alone is not None
        assert ahead is not None
        assert _columns(ahead, orm.sellers) == _columns(alone, orm.sellers)

        assert uow.returns.get(shop.seller_id, return_id) is not None
        tracked = uow.sellers.get(shop.seller_id)  # the session may change it from now on
        assert tracked is not None
        tracked.window_days = alone.window_days + 15
        uow.session.flush()  # type: ignore[attr-defined]
        changed = uow.sellers.settings(shop.seller_id)
        assert changed is not None
        assert changed.window_days == alone.window_days + 15

    with container.uow() as uow:
        assert uow.returns.get(shop.seller_id, return_id) is not None
        uow.session.commit()  # type: ignore[attr-defined]  # (nothing changed by it)
        with container.uow() as other:
            elsewhere = other.sellers.get(shop.seller_id)
            assert elsewhere is not None
            elsewhere.window_days = alone.window_days + 30
            other.commit()
        later = uow.sellers.settings(shop.seller_id)  # a new transaction: read again
        assert later is not None
        assert later.window_days == alone.window_days + 30


@pytest.mark.postgres_only
def test_inserts_sent_together_answer_in_order_and_stop_at_the_first_error(
    http: httpx.Client, container: Container
) -> None:
    _shop, return_id = _one_return(http, "DR-12")
    entries = DriverInsert(orm.return_history, returning=orm.return_history.c.pk)
    items = DriverInsert(orm.return_items)
    h, i = orm.return_history.c, orm.return_items.c
    with container.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        entry = dict(session.execute(select(h).where(h.return_id == return_id)).mappings().first())
        item = dict(session.execute(select(i).where(i.return_id == return_id)).mappings().one())
        del entry["pk"]
        notes = [{**entry, "note": f"note {n}"} for n in range(3)]
        _, pks = insert_together(session, [(items, []), (entries, notes)])
        found = session.execute(select(h.pk, h.note).where(h.pk.in_(pks))).all()
        assert sorted(found) == list(zip(pks, ["note 0", "note 1", "note 2"], strict=True))
        uow.commit()

    def written() -> int:
        with container.engine.connect() as connection:
            return len(connection.execute(select(h.pk).where(h.return_id == return_id)).all())

    before = written()
    with container.uow() as uow, pytest.raises(IntegrityError):  # the item is there already
        insert_together(uow.session, [(entries, notes[:1]), (items, [item]), (entries, notes)])  # type: ignore[attr-defined]
    assert written() == before  # the entry sent before it is not kept
    with container.uow() as uow:  # the pooled connection serves the next unit of work
        assert insert_together(uow.session, [(entries, notes[:1])])[0]  # type: ignore[attr-defined]


def test_an_orders_returns_are_read_with_their_own_items_and_history(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    order_id = shop.order("DR-13")["id"]
    made = [ok(shop.request_return("DR-13", [(line, 1)]), 201)["id"] for line in ("1", "2")]

    def tree(ret: Return) -> tuple[Any, ...]:
        return ret.id, [i.line_id for i in ret.items], [(h.action, h.pk) for h in ret.history]

    with container.uow() as uow:
        alone = sorted(tree(r) for r in (uow.returns.get(shop.seller_id, i) for i in made) if r)
    with container.uow() as uow:
        together = uow.returns.for_order(shop.seller_id, order_id)
        assert sorted(tree(r) for r in together) == alone
        assert all(uow.returns.get(shop.seller_id, r.id) is r for r in together)  # tracked


@pytest.mark.postgres_only
def test_a_transactions_first_statement_goes_with_its_begin_in_one_round_trip(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    name = _seller_name()
    with container.engine.connect() as connection, tempfile.TemporaryFile("w+") as trace:
        session = Session(bind=connection)
        name.first(session, {"id": shop.seller_id})  # prepared: a round trip of its own
        connection.rollback()
        dbapi: Any = connection.connection.dbapi_connection
        dbapi.pgconn.trace(trace.fileno())
        dbapi.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            found = name.first(session, {"id": shop.seller_id})
            status = dbapi.pgconn.transaction_status
        finally:
            dbapi.pgconn.untrace()
        connection.rollback()
        trace.seek(0)
        sent = [line.rstrip().split("\t")[2] for line in trace if line.startswith("F\t")]

    assert found == ("Shop",)
    assert status == pq.TransactionStatus.INTRANS  # begun, as psycopg would have
    # Each round trip ends with a Sync (or is one simple Query): BEGIN went along.
    assert (sent.count("Sync"), sent.count("Query")) == (1, 0)


def test_reads_asked_ahead_answer_once_in_their_transaction(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)
    name = _seller_name()
    asked = {"id": shop.seller_id}
    sent: list[Any] = []
    send = driver_rows._sent
    monkeypatch.setattr(driver_rows, "_sent", lambda *a: sent.append(a[2]) or send(*a))

    with container.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        ask_ahead(session, [(name, asked)])
        sent.clear()  # what asking sent, one by one where there are no pipelines (SQLite)
        first = name.all(session, asked)  # answered from what was read
        unsent = list(sent)
        again = name.all(session, asked)  # once only: read again
        other = name.all(session, {"id": "sel_none"})
    with container.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        ask_ahead(session, [(name, asked)])
        session.commit()  # a later transaction reads for itself
        sent.clear()
        later = name.all(session, asked)

    assert (first, again, other, later) == ([("Shop",)], [("Shop",)], [], [("Shop",)])
    assert unsent == []
    assert len(sent) == 1


def _sent_by(
    monkeypatch: pytest.MonkeyPatch, request: Callable[[], Any]
) -> tuple[list[list[str]], list[str]]:
    """The statements ``request`` sent: each pipeline's, and those sent alone."""
    together: list[list[str]] = []
    alone: list[str] = []
    send, pipelined = driver_rows._sent, driver_rows._pipelined

    def recorded(connection: Any, statements: Any, **options: Any) -> Any:
        held = driver_rows.held_statements(connection)  # sent ahead of them
        together.append([compiled.sql for compiled, _values in (*held, *statements)])
        return pipelined(connection, statements, **options)

    with monkeypatch.context() as patched:  # recording ``request`` alone, not what follows
        patched.setattr(driver_rows, "_sent", lambda *a: alone.append(a[1].sql) or send(*a))
        patched.setattr(driver_rows, "_pipelined", recorded)
        request()
    return together, alone


def _a_return_requested(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[list[str]], list[str]]:
    """The statements a return request sent: each pipeline's, and those sent alone."""
    shop = open_shop(http)
    shop.order("1001")
    return _sent_by(monkeypatch, lambda: ok(shop.request_return("1001", [("1", 1)]), 201))


NUMBER_TAKEN = "returns.rma_number ="  # the look whether an RMA number is taken


@pytest.mark.postgres_only
def test_a_return_request_reads_what_it_decides_with_in_one_round_trip(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    together, alone = _a_return_requested(http, monkeypatch)

    # Each read by what it alone names: the codes, the SKUs' products and policies, the
    # returns of the order, whether the seller routes returns, the customer's risk history,
    # whether the RMA number drawn for it is taken.
    reads = (
        "reason_codes.code IN",
        "products.sku IN",
        "sku_policies.sku IN",
        "returns.order_id",
        "FROM routing_rules",
        "FROM risk_settings",
        NUMBER_TAKEN,
    )

    def named(sql: list[str]) -> list[str]:
        return [read for read in reads if any(read in s for s in sql)]

    assert [named(sql) for sql in together if named(sql)] == [list(reads)]
    assert named(alone) == []


@pytest.mark.postgres_only
def test_a_return_request_writes_its_rows_with_its_outbox_and_commit_in_one_round_trip(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    together, alone = _a_return_requested(http, monkeypatch)

    def written(sql: list[str]) -> list[str]:
        tables = ("returns", "return_items", "return_history", "outbox")
        return [t for s in sql for t in tables if f"INSERT INTO {t} " in s]

    # Requested and authorized at once: two history entries, a statement each.
    assert [written(sql) for sql in together if written(sql)] == [
        ["returns", "return_items", "return_history", "return_history", "outbox"]
    ]
    assert written(alone) == []
    with container.uow() as uow:  # the rows are there, the history entry with its key
        (ret,) = uow.session.scalars(select(Return)).all()  # type: ignore[attr-defined]
        assert [(h.action, h.pk > 0) for h in ret.history] == [
            ("request", True),
            ("authorize", True),
        ]
        assert len(ret.items) == 1


@pytest.mark.postgres_only
def test_a_return_request_reads_its_sellers_settings_with_its_locked_order(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    together, alone = _a_return_requested(http, monkeypatch)

    def reads_settings(sql: str) -> bool:
        return "FROM sellers" in sql and "sellers.authorization_mode" in sql

    locked = [sql for sql in together if any("FOR UPDATE" in s for s in sql)]
    assert len(locked) == 1
    assert any(reads_settings(s) for s in locked[0])  # the settings rode with the lock
    assert not any(reads_settings(s) for s in alone)  # and were not read again alone


@pytest.mark.postgres_only
def test_an_authorization_reads_in_one_round_trip_and_writes_in_another(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http, kind="individual")
    ok(shop.call("PUT", "/v1/settings", json={"authorization_mode": "manual"}))
    shop.order("1001")
    pending = ok(shop.request_return("1001", [("1", 1)]), 201)
    path = f"/v1/returns/{pending['id']}/authorize"

    together, alone = _sent_by(monkeypatch, lambda: ok(shop.call("POST", path, json={})))

    # Whether its RMA number is taken is asked with the return's read,
    with_return = [sql for sql in together if any("FROM return_items" in s for s in sql)]
    assert len(with_return) == 1
    assert sum(NUMBER_TAKEN in s for s in with_return[0]) == 1
    assert not any(NUMBER_TAKEN in s for s in alone)
    # and the move goes with the outbox's statement and the COMMIT.
    writes = [sql for sql in together if any("UPDATE returns" in s for s in sql)]
    assert len(writes) == 1
    assert [s.split()[0] for s in writes[0]] == ["WITH", "WITH"]  # the move, then the outbox
    assert "INSERT INTO outbox" in writes[0][1]
    assert not any("UPDATE returns" in s or "INSERT INTO outbox" in s for s in alone)
    shown = ok(shop.call("GET", f"/v1/returns/{pending['id']}"))
    assert shown["status"] == "authorized"
    assert shown["rma_number"]
    assert [h["action"] for h in shown["history"]][-1] == "authorize"


@pytest.mark.postgres_only
def test_an_inspections_writes_ride_with_its_next_statements(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)
    ret, item = start_return(shop, "1001", reason="CR-DEFECTIVE")  # inspected sellable: a flag
    receive(shop, ret, item)

    together, alone = _sent_by(monkeypatch, lambda: inspect(shop, ret, item))

    def writes(sql: str) -> str | None:
        for table in ("return_flags", "inventory_movements", "returns", "outbox"):
            if f"INSERT INTO {table} " in sql or f"UPDATE {table} " in sql:
                return table
        return None

    # Each write rides with the request's next statement: the flag with the read of the
    # box's facility, the stock movement with the move, the outbox and the COMMIT.
    written = [(sql, [w for s in sql if (w := writes(s))]) for sql in together]
    rode = [(sql, w) for sql, w in written if w]
    assert [w for _sql, w in rode] == [
        ["return_flags"],
        ["inventory_movements", "returns", "outbox"],
    ]
    assert "FROM package_receipts" in rode[0][0][1]
    assert not [s for s in alone if writes(s)]
    findings = ok(shop.call("GET", f"/v1/returns/{ret}/findings", "warehouse"))
    assert [f["code"] for f in findings["flags"]] == ["reason_mismatch"]
    moved = ok(shop.call("GET", "/v1/inventory/movements", "warehouse"))["data"]
    assert [(m["return_id"], m["quantity"]) for m in moved] == [(ret, 2)]


@pytest.mark.postgres_only
def test_a_box_scan_writes_its_receipt_and_move_with_its_commit_in_one_round_trip(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "1001")
    body = {"scan": ret["rma_number"]}

    together, alone = _sent_by(
        monkeypatch, lambda: ok(shop.call("POST", "/v1/receipts", "warehouse", json=body), 201)
    )

    def written(sql: list[str]) -> list[str]:
        tables = ("package_receipts", "returns", "outbox")
        return [t for s in sql for t in tables if f"INTO {t} " in s or f"UPDATE {t} " in s]

    assert [written(sql) for sql in together if written(sql)] == [
        ["package_receipts", "returns", "outbox"]
    ]
    assert written(alone) == []
    received = ok(shop.call("GET", f"/v1/returns/{ret['id']}"))
    assert received["status"] == "received"
    receipts = ok(shop.call("GET", "/v1/receipts", "warehouse"))["data"]
    assert [(r["return_id"], r["status"]) for r in receipts] == [(ret["id"], "matched")]


@pytest.mark.postgres_only
def test_a_resolution_reads_in_one_round_trip_and_writes_in_another(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)
    ret, item = start_return(shop, "1001", reason="CR-DEFECTIVE")
    receive(shop, ret, item)
    inspect(shop, ret, item)
    path = f"/v1/returns/{ret}/resolve"

    together, alone = _sent_by(monkeypatch, lambda: ok(shop.call("POST", path, json={})))

    # Each read by what it alone names: the order, its lines and shipments, the items'
    # reason codes, products and SKU policies, what the order's other returns refunded.
    reads = (
        "FROM orders",
        "FROM order_lines",
        "FROM shipments",
        "reason_codes.code IN",
        "products.sku IN",
        "sku_policies.sku IN",
        "refunds.return_id !=",
    )

    def named(sql: list[str]) -> list[str]:
        return [read for read in reads if any(read in s for s in sql)]

    assert [named(sql) for sql in together if named(sql)] == [list(reads)]
    assert named(alone) == []

    def written(sql: list[str]) -> list[str]:
        tables = ("refunds", "returns", "outbox")
        return [t for s in sql for t in tables if f"INTO {t} " in s or f"UPDATE {t} " in s]

    # and writes its refund with its move, its outbox and the COMMIT
    assert [written(sql) for sql in together if written(sql)] == [["refunds", "returns", "outbox"]]
    assert written(alone) == []
    assert ok(shop.call("GET", f"/v1/returns/{ret}"))["status"] == "resolved"
    # The seller's fault: two tees, their tax and their share of the shipping (5000 of 6200).
    assert resolution(shop, ret)["refund"]["amount"] == 5000 + 400 + 806


def _flag(seller_id: str, return_id: str) -> Flag:
    return Flag(seller_id, return_id, FlagCode.SKU_MISMATCH, "held to ride", utcnow())


@pytest.mark.postgres_only
def test_rows_held_to_ride_go_before_sqlalchemys_next_statement_and_not_past_a_rollback(
    http: httpx.Client, container: Container
) -> None:
    shop, return_id = _one_return(http, "DR-11")
    seller_id = shop.seller_id
    with container.uow() as uow:
        uow.returns.get(seller_id, return_id)  # the transaction begun
        uow.flags.add_all([_flag(seller_id, return_id)])
        assert [f.message for f in uow.flags.for_return(seller_id, return_id)] == ["held to ride"]
        uow.rollback()
    with container.uow() as uow:
        uow.returns.get(seller_id, return_id)
        uow.flags.add_all([_flag(seller_id, return_id)])
    with container.uow() as uow:  # the same pooled connection, the last rows never sent
        assert uow.flags.for_return(seller_id, return_id) == []
        uow.returns.get(seller_id, return_id)
        uow.flags.add_all([_flag(seller_id, return_id)])
        uow.commit()  # no move, no event: sent before the COMMIT
    with container.uow() as uow:
        assert len(uow.flags.for_return(seller_id, return_id)) == 1


def test_an_rma_number_drawn_ahead_that_is_taken_is_not_given_again(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)
    shop.order("1001")
    shop.order("1002")
    first = ok(shop.request_return("1001", [("1", 1)]), 201)
    taken = first["rma_number"]
    fresh = rma_numbers.generate_rma_number()
    draws = iter([taken, taken, fresh])
    monkeypatch.setattr(rma_numbers, "generate_rma_number", lambda: next(draws))

    second = ok(shop.request_return("1002", [("1", 1)]), 201)

    assert (first["status"], second["status"]) == ("authorized", "authorized")
    assert second["rma_number"] == fresh
    assert next(draws, None) is None  # the drawn number was asked about, then two more drawn


def test_a_session_that_read_ahead_is_freed_without_the_cycle_collector(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    name = _seller_name()
    gc.collect()
    gc.disable()  # what reference counting alone frees, as between a server's collections
    try:
        uow = container.uow()
        with uow:
            session = uow.session  # type: ignore[attr-defined]
            ask_ahead(session, [(name, {"id": shop.seller_id})])
            assert name.all(session, {"id": shop.seller_id}) == [("Shop",)]
        freed = weakref.ref(session)
        del session, uow
        # A cycle through the session (its info holding its transaction) would keep it, and
        # every request's connection and objects with it, for the cyclic collector.
        assert freed() is None
    finally:
        gc.enable()
