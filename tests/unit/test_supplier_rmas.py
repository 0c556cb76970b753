"""Supplier RMAs: answered once, reminded then escalated, credit expected and reconciled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rma.domain.addresses import Address
from rma.domain.errors import IllegalTransition, InvalidInput, InvalidRmaNumber
from rma.domain.partners import Remedy, SupplierTerms
from rma.domain.supplier_rmas import SupplierOutcome, SupplierRma, SupplierRmaStatus

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DOCK = Address("Acme", "9 Kiln Road", "Stoke", "ST1", "GB")


def rma(expected: int = 1080, remedy: Remedy = Remedy.CREDIT) -> SupplierRma:
    return SupplierRma(
        "srma_1",
        "sel_1",
        "ret_1",
        "ptn_1",
        SupplierRmaStatus.REQUESTED,
        "USD",
        remedy,
        expected,
        NOW,
        NOW,
    )


def test_terms_take_the_restocking_fee_off_the_expected_credit() -> None:
    assert SupplierTerms(restocking_fee_percent=10).expected_credit(1200) == 1080
    assert SupplierTerms(remedy=Remedy.REPLACEMENT).expected_credit(1200) == 0
    with pytest.raises(InvalidInput):
        SupplierTerms(restocking_fee_percent=120)


def test_accepting_records_the_suppliers_number_and_address_once() -> None:
    asked = rma()
    asked.accept("acme-77", DOCK, NOW, "supplier:x")
    assert (asked.status, asked.supplier_rma_number) == (SupplierRmaStatus.ACCEPTED, "ACME-77")
    assert [e.type for e in asked.events] == ["supplier_rma.accepted"]
    with pytest.raises(IllegalTransition) as answered:
        asked.refuse("too late", NOW, "supplier:x")
    assert answered.value.code == "supplier_rma_answered"
    assert asked.status is SupplierRmaStatus.ACCEPTED


def test_a_bad_number_or_an_empty_reason_changes_nothing() -> None:
    asked = rma()
    with pytest.raises(InvalidRmaNumber):
        asked.accept("not ok!", DOCK, NOW, "s")
    with pytest.raises(InvalidInput):
        asked.refuse("  ", NOW, "s")
    assert asked.status is SupplierRmaStatus.REQUESTED
    assert asked.events == []


def test_an_unanswered_request_is_reminded_then_escalated_and_may_still_be_answered() -> None:
    asked = rma()
    asked.remind(NOW + timedelta(hours=48), "returns@acme.example")
    asked.escalate(NOW + timedelta(hours=96))
    assert asked.status is SupplierRmaStatus.ESCALATED
    asked.refuse("outside our window", NOW + timedelta(hours=97), "s")
    assert [e.type for e in asked.events] == [
        "supplier_rma.reminded",
        "supplier_rma.escalated",
        "supplier_rma.refused",
    ]
    assert asked.open_balance == 0  # nothing is owed for a refused return


def test_credit_received_closes_the_open_balance() -> None:
    asked = rma(1080)
    with pytest.raises(IllegalTransition):
        asked.record_credit(100, NOW)  # not accepted yet
    asked.accept("A-1", DOCK, NOW, "s")
    asked.resolve(SupplierOutcome.CREDIT, NOW, credit_memo="CM-1")
    asked.record_credit(1000, NOW)
    assert asked.open_balance == 80
    asked.record_credit(80, NOW)
    assert asked.open_balance == 0


def test_a_replacement_owes_no_credit() -> None:
    asked = rma(1080)
    asked.accept("A-1", DOCK, NOW, "s")
    asked.resolve(SupplierOutcome.REPLACEMENT, NOW)
    assert asked.open_balance == 0
