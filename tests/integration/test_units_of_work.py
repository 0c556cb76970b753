"""Units of work on both databases: a new return's fast path, and read-only lookups."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError

from rma.adapters import orm, unit_of_work
from rma.adapters.driver_rows import DriverStatement
from rma.bootstrap import Container
from rma.domain.access import Role
from rma.domain.errors import Conflict
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor, Resolution
from rma.domain.statuses import ReturnStatus
from rma.services import receiving, sellers
from rma.services import returns as service
from rma.services.access import authenticate
from rma.services.clock import utcnow
from tests.integration.test_returns_storage import _order, _request, _seller

STAFF = Actor("seller", "key_1")


def test_a_new_return_moved_again_before_commit_is_stored_as_it_ended(
    container: Container,
) -> None:
    # A keep-item return under the seller's limit resolves in the unit of work that adds
    # it: the rows inserted at add() must then be updated, and the refund refer to them.
    seller_id = _seller(container)
    sellers.update_settings(
        seller_id,
        sellers.ReturnSettings(keep_item_max_value=5000),
        container.uow(),
        container.destinations,
    )
    _order(container, seller_id)
    cmd = service.RequestReturn(
        service.Scope(seller_id),
        "1001",
        [RequestedItem("1", 1, "CR-UNWANTED_ITEM")],
        Actor("customer", "ord"),
        resolution=Resolution.KEEP_ITEM,
    )

    asked = service.request_return(cmd, container.uow()).ret

    with container.uow() as uow:
        stored = uow.returns.get(seller_id, asked.id)
        assert stored is not None
        assert stored.status is ReturnStatus.RESOLVED
        assert stored.version == 2  # inserted, then one versioned UPDATE
        assert [h.to_status for h in stored.history] == [
            ReturnStatus.REQUESTED,
            ReturnStatus.AUTHORIZED,
            ReturnStatus.RESOLVED,
        ]
        refund = uow.refunds.for_return(seller_id, asked.id)
        assert refund is not None
        assert refund.amount == 2500


def test_a_reader_finds_what_was_committed_and_cannot_commit(container: Container) -> None:
    seller_id = _seller(container)
    _order(container, seller_id)
    ret = _request(container, seller_id)
    assert ret.rma_number is not None

    found = receiving.match_scan(seller_id, ret.rma_number, container.reader())

    assert found is not None
    assert found.id == ret.id
    with container.reader() as uow, pytest.raises(RuntimeError, match="read-only"):
        uow.commit()


def test_lookups_are_answered_while_a_write_is_open(container: Container) -> None:
    # On SQLite a writer holds the only write lock until it commits; scans and key checks
    # must not queue behind it (they would wait out the busy timeout, then fail).
    seller_id = _seller(container)
    _order(container, seller_id)
    ret = _request(container, seller_id)
    assert ret.rma_number is not None
    issued = sellers.issue_api_key(sellers.IssueApiKey(Role.SELLER, seller_id), container.uow())

    with container.uow() as writer:
        held = writer.returns.get(seller_id, ret.id)
        assert held is not None
        held.close(actor=STAFF, now=held.history[-1].at)
        writer.session.flush()  # written, not yet committed

        found = receiving.match_scan(seller_id, ret.rma_number, container.reader())
        principal = authenticate(issued.secret, container.reader())

    assert found is not None
    assert found.status == "authorized"  # the reader sees only what was committed
    assert principal.seller_id == seller_id


def _committed(container: Container) -> tuple[list[str], list[tuple[str, int | None]]]:
    """Seller names and idempotency answers as another connection sees them."""
    # Read only: on SQLite a writer's BEGIN IMMEDIATE would wait for the held transaction.
    with container.engine.connect().execution_options(rma_read_only=True) as connection:
        names = list(connection.execute(text("SELECT name FROM sellers ORDER BY name")).scalars())
        keys = connection.execute(text("SELECT key, status_code FROM idempotency_keys")).all()
    return names, [(k, s) for k, s in keys]


def test_the_change_its_idempotency_key_and_its_answer_commit_together(
    container: Container,
) -> None:
    uow = container.uow()
    uow.claim_idempotency_key("admin:x", "k-1", "hash")

    sellers.create_seller(sellers.CreateSeller("Held"), uow)

    assert _committed(container) == ([], [])  # nothing yet: the commit waits for the answer
    assert uow.commit_with_answer(201, {"name": "Held"}) is True
    assert _committed(container) == (["Held"], [("k-1", 201)])
    with container.uow() as reader:
        record = reader.idempotency.get("admin:x", "k-1")
    assert record is not None
    assert record.body == {"name": "Held"}


def test_a_use_case_of_two_transactions_commits_the_first_when_the_second_starts(
    container: Container,
) -> None:
    uow = container.uow()
    uow.claim_idempotency_key("admin:x", "k-2", "hash")

    sellers.create_seller(sellers.CreateSeller("First"), uow)
    sellers.create_seller(sellers.CreateSeller("Second"), uow)

    assert _committed(container) == (["First", "Second"], [("k-2", None)])
    assert uow.commit_with_answer(201, {}) is False  # the caller saves the answer itself


def test_an_abandoned_use_case_leaves_neither_change_nor_key(container: Container) -> None:
    uow = container.uow()
    uow.claim_idempotency_key("admin:x", "k-3", "hash")
    sellers.create_seller(sellers.CreateSeller("Gone"), uow)

    uow.abandon()

    assert _committed(container) == ([], [])


def test_commits_within_a_held_transaction_write_each_event_once(container: Container) -> None:
    seller_id = _seller(container)
    _order(container, seller_id)
    ret = _request(container, seller_id)  # authorized: 2 events
    uow = container.uow()
    uow.claim_idempotency_key("seller:x", "k-4", "hash")

    with uow:
        held = uow.returns.get(seller_id, ret.id)
        assert held is not None
        held.close(actor=STAFF, now=utcnow(), note="first")
        uow.commit()
        held.reopen(actor=STAFF, now=utcnow(), note="second")
        uow.commit()
    assert uow.commit_with_answer(200, {"id": ret.id}) is True

    with container.engine.connect().execution_options(rma_read_only=True) as connection:
        types = list(
            connection.execute(
                text("SELECT event_type FROM outbox WHERE aggregate_id = :id"), {"id": ret.id}
            ).scalars()
        )
    assert types.count("return.closed") == 1
    assert types.count("return.reopened") == 1


def test_a_commit_whose_outbox_fails_leaves_the_return_as_it_was(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL the outbox's statement carries the COMMIT: when it fails, the move
    # sent before it in the transaction must not be committed without its events.
    seller_id = _seller(container)
    _order(container, seller_id)
    ret = _request(container, seller_id)
    c = orm.outbox.c
    with container.engine.connect() as connection:
        taken = connection.execute(select(c.id, c.occurred_at).where(c.aggregate_id == ret.id))
        taken_id, taken_at = taken.first()  # type: ignore[misc]
    real_new_id = unit_of_work.new_id
    monkeypatch.setattr(
        unit_of_work, "new_id", lambda kind: taken_id if kind == "evt" else real_new_id(kind)
    )

    with container.uow() as uow:
        held = uow.returns.get(seller_id, ret.id)
        assert held is not None
        held.close(actor=STAFF, now=taken_at, note="its event cannot be written")
        with pytest.raises(Conflict):  # the event's key is taken: a clash, try again
            uow.commit()

    monkeypatch.setattr(unit_of_work, "new_id", real_new_id)
    with container.reader() as reader:
        found = reader.returns.get(seller_id, ret.id)
        assert found is not None
        assert found.status == ret.status
        assert [h.action for h in found.history] == [h.action for h in ret.history]
    with container.uow() as uow:  # the pooled connection serves the next unit of work
        again = uow.returns.get(seller_id, ret.id)
        assert again is not None
        again.close(actor=STAFF, now=utcnow(), note="now it can")
        uow.commit()
    with container.reader() as reader:
        closed = reader.returns.get(seller_id, ret.id)
        assert closed is not None
        assert closed.status == ReturnStatus.CLOSED


@pytest.mark.postgres_only
def test_the_last_statement_of_a_transaction_carries_its_commit(container: Container) -> None:
    claim = DriverStatement(
        insert(orm.idempotency_keys).values(
            scope=bindparam("scope"),
            key=bindparam("key"),
            request_hash="hash",
            created_at=bindparam("at"),
        )
    )
    first, second = ({"scope": "admin:x", "key": key, "at": utcnow()} for key in ("c-1", "c-2"))
    with container.uow() as uow:
        connection = uow.session.connection()  # type: ignore[attr-defined]
        claim.execute(connection, first)
        claim.execute(connection, second, commit=True)
        assert _committed(container)[1] == [("c-1", None), ("c-2", None)]  # before commit()
        uow.session.commit()  # type: ignore[attr-defined]

    with container.uow() as uow:
        connection = uow.session.connection()  # type: ignore[attr-defined]
        claim.execute(connection, {**first, "key": "c-3"})
        with pytest.raises(IntegrityError):  # c-2 again: neither it nor c-3 is committed
            claim.execute(connection, second, commit=True)
    assert _committed(container)[1] == [("c-1", None), ("c-2", None)]
