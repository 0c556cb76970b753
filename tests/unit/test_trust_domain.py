"""The trust domain in microseconds: normalizing customers, rules, verdicts, chains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rma.domain.audit import GENESIS, chain_hash, check_chain, is_secret
from rma.domain.errors import InvalidInput
from rma.domain.risk import (
    PastReturn,
    Request,
    Rule,
    assess,
    list_value,
    normalize_address,
    normalize_email,
    profile_of,
)

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def test_two_spellings_of_one_mailbox_are_one_customer() -> None:
    assert normalize_email(" Ada.Lovelace+shop@GMail.com ") == "adalovelace@gmail.com"
    assert normalize_email("ada+x@example.com") == "ada@example.com"


def test_two_spellings_of_one_door_are_one_address() -> None:
    one = {"line1": "12 Mill Road", "postal_code": "LS1 1AA", "country": "GB"}
    other = {"line1": "12, MILL RD.", "postal_code": "ls1 1aa", "country": "gb"}
    assert normalize_address(one) == normalize_address(other) != ""


def test_a_list_entry_must_be_an_email_or_an_address() -> None:
    assert list_value("a@b.co") == ("email", "a@b.co")
    with pytest.raises(InvalidInput):
        list_value("nobody")
    with pytest.raises(InvalidInput):
        list_value({"line1": "x"})


@pytest.mark.parametrize(
    ("code", "effect", "params"),
    [
        ("nope", None, {}),
        ("return_count", None, {"window_days": -1, "max_returns": 1}),
        ("return_count", None, {"window_days": 30}),
        ("high_value", "banish", {"min_value": 1}),
        ("high_value", None, {"min_value": True}),
    ],
)
def test_bad_rules_are_invalid_input(code: str, effect: str | None, params: dict) -> None:
    with pytest.raises(InvalidInput):
        Rule.make(code, effect, params)


def past(n: int) -> list[PastReturn]:
    return [PastReturn(f"r{i}", "ada@example.com", "authorized", NOW, 1000) for i in range(n)]


def test_the_allow_list_overrides_every_rule() -> None:
    rules = [Rule.make("return_count", None, {"window_days": 30, "max_returns": 1})]
    profile = profile_of("ada@example.com", "", 5, past(3))
    held = assess(rules, profile, past(3), Request(100, NOW))
    assert held.holds
    assert "return number 4 in 30 days" in held.explanation()
    assert not assess(rules, profile, past(3), Request(100, NOW, allowed=True)).reasons


def test_old_returns_fall_out_of_the_window() -> None:
    rules = [Rule.make("return_count", None, {"window_days": 30, "max_returns": 1})]
    old = [PastReturn("r", "ada@example.com", "closed", NOW - timedelta(days=40), 10)]
    assert not assess(rules, profile_of("a@b.co", "", 1, old), old, Request(1, NOW)).reasons


def test_a_block_listed_customer_is_denied_without_a_rule() -> None:
    found = assess([], profile_of("a@b.co", "", 0, []), [], Request(1, NOW, blocked="a@b.co"))
    assert found.denies


def chain(n: int) -> list[tuple[str, int, str, str, str]]:
    rows, previous = [], GENESIS
    for seq in range(1, n + 1):
        body = f'{{"n":{seq}}}'
        digest = chain_hash(previous, seq, "sel", body)
        rows.append((f"aud_{seq}", seq, previous, digest, body))
        previous = digest
    return rows


def test_a_clean_chain_checks_out_and_an_edit_is_named() -> None:
    rows = chain(5)
    assert check_chain("sel", rows, {5: rows[4][3]}).ok
    edited = [*rows[:2], (*rows[2][:4], '{"n":99}'), *rows[3:]]
    bad = check_chain("sel", edited, {}).first_bad
    assert bad is not None
    assert (bad.entry_id, bad.problem) == ("aud_3", "altered")


def test_swapped_and_truncated_chains_are_named() -> None:
    rows = chain(5)
    swapped = [rows[0], (rows[2][0], 2, *rows[2][2:]), (rows[1][0], 3, *rows[1][2:]), *rows[3:]]
    bad = check_chain("sel", swapped, {}).first_bad
    assert bad is not None
    assert bad.problem == "reordered"
    cut = check_chain("sel", rows[:3], {5: rows[4][3]}).first_bad
    assert cut is not None
    assert cut.problem == "missing"


def test_secret_columns_are_recognised() -> None:
    assert all(map(is_secret, ["secret_hash", "api_token", "password", "encrypted_key"]))
    assert not is_secret("transit_days")
