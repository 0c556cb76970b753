"""Carrier payloads and signatures, and scanned codes, read without any database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from rma.domain import rma_numbers
from rma.domain.errors import InvalidInput, InvalidRmaNumber, Unauthenticated
from rma.domain.receiving import check_rma_typo, read_scan
from rma.domain.tracking import SourceKind, TrackingStatus, parse_payload, sign, verify
from tests.physical_support import easypost_event, shippo_event

NOW = 1_800_000_000.0  # a fixed "now", in Unix seconds


def test_easypost_signature_is_the_hex_hmac_of_the_body_with_the_nfkd_secret() -> None:
    body = b'{"description": "tracker.updated"}'
    # "ﬁ" (U+FB01) normalizes to "fi" under NFKD, as EasyPost's own libraries do.
    assert sign(SourceKind.EASYPOST, "ﬁsh-secret", body, 0) == sign(
        SourceKind.EASYPOST, "fish-secret", body, 0
    )
    signature = sign(SourceKind.EASYPOST, "fish-secret", body, 0)
    verify(SourceKind.EASYPOST, "fish-secret", body, signature, NOW)
    with pytest.raises(Unauthenticated):
        verify(SourceKind.EASYPOST, "fish-secret", body + b" ", "hmac-sha256-hex=00", NOW)


def test_timestamped_signatures_cover_the_timestamp() -> None:
    body = b"{}"
    header = sign(SourceKind.SHIPPO, "secret-123456789", body, 1700000000)
    verify(SourceKind.SHIPPO, "secret-123456789", body, header, 1700000000)
    with pytest.raises(Unauthenticated):
        verify(SourceKind.SHIPPO, "secret-123456789", body, header.replace("t=17", "t=18"), NOW)
    with pytest.raises(Unauthenticated):
        verify(SourceKind.NATIVE, "secret-123456789", body, "v1=abc", NOW)


@pytest.mark.parametrize("kind", [SourceKind.SHIPPO, SourceKind.NATIVE])
@pytest.mark.parametrize(
    ("age", "fresh"),
    [(0, True), (299, True), (-299, True), (301, False), (-301, False), (30 * 86400, False)],
)
def test_a_timestamped_signature_ages_out_after_five_minutes_either_way(
    kind: SourceKind, age: int, fresh: bool
) -> None:
    body = b"{}"
    header = sign(kind, "secret-123456789", body, int(NOW) - age)
    if fresh:
        verify(kind, "secret-123456789", body, header, NOW)
    else:
        with pytest.raises(Unauthenticated) as refused:
            verify(kind, "secret-123456789", body, header, NOW)
        assert refused.value.code == "signature_expired"


def test_easypost_history_becomes_one_event_per_detail_with_stable_ids() -> None:
    event = easypost_event(
        "EZ1",
        [("pre_transit", "2026-11-01T09:00:00Z", "Label"), ("failure", "2026-11-02T09:00Z", "x")],
    )
    first = parse_payload(SourceKind.EASYPOST, json.dumps(event).encode())
    again = parse_payload(SourceKind.EASYPOST, json.dumps(event).encode())

    assert [e.status for e in first] == [TrackingStatus.PRE_TRANSIT, TrackingStatus.EXCEPTION]
    assert first[0].occurred_at == datetime(2026, 11, 1, 9, tzinfo=UTC)
    assert first[0].location == "Reno, NV, 89501, US"
    assert [e.event_id for e in first] == [e.event_id for e in again]


def test_shippo_history_keeps_the_carriers_object_ids() -> None:
    update = shippo_event("92055", [("a1", "TRANSIT", "2026-11-02T10:00:00Z")])
    (scan,) = parse_payload(SourceKind.SHIPPO, json.dumps(update).encode())
    assert (scan.event_id, scan.status, scan.carrier) == ("a1", TrackingStatus.IN_TRANSIT, "usps")


def test_other_event_types_are_ignored_and_garbage_is_refused() -> None:
    assert parse_payload(SourceKind.EASYPOST, b'{"description": "batch.updated"}') == []
    with pytest.raises(InvalidInput):
        parse_payload(SourceKind.NATIVE, b'{"events": [{"event_id": "1"}]}')
    with pytest.raises(InvalidInput):
        parse_payload(SourceKind.SHIPPO, b"[1, 2]")


def test_scans_are_read_as_slip_codes_or_rma_numbers_with_their_check() -> None:
    body = "K7QXM4TPH"
    raw = body + rma_numbers.check_character(body)
    number = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    bare = raw.lower()

    assert read_scan(bare).rma_number == number
    assert read_scan("ret_01jabcdefghjkmnpqrstvwxyz0").return_id == "ret_01jabcdefghjkmnpqrstvwxyz0"
    check_rma_typo(read_scan(number))
    with pytest.raises(InvalidRmaNumber):
        check_rma_typo(read_scan("7" + "K" + number[2:]))  # two neighbours swapped
    check_rma_typo(read_scan("1Z999AA10123456784"))  # a tracking number is not checked
