"""RMA numbers: the check character catches every typo and swap; custom numbers are validated."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rma.domain import rma_numbers
from rma.domain.errors import InvalidRmaNumber
from rma.domain.rma_numbers import ALPHABET, check_character, is_valid_generated

bodies = st.text(alphabet=ALPHABET, min_size=9, max_size=9)


def _grouped(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


@settings(max_examples=300)
@given(bodies)
def test_every_single_substitution_is_caught(body: str) -> None:
    raw = body + check_character(body)
    assert is_valid_generated(_grouped(raw))
    for position in range(len(raw)):
        for other in ALPHABET:
            if other != raw[position]:
                typo = raw[:position] + other + raw[position + 1 :]
                assert not is_valid_generated(_grouped(typo)), typo


@settings(max_examples=300)
@given(bodies)
def test_every_adjacent_transposition_is_caught(body: str) -> None:
    raw = body + check_character(body)
    for position in range(len(raw) - 1):
        a, b = raw[position], raw[position + 1]
        if a != b:
            swapped = raw[:position] + b + a + raw[position + 2 :]
            assert not is_valid_generated(_grouped(swapped)), swapped


def test_generated_numbers_are_valid_grouped_and_free_of_look_alikes() -> None:
    numbers = {rma_numbers.generate_rma_number() for _ in range(500)}
    assert len(numbers) == 500
    for number in numbers:
        assert rma_numbers.looks_generated(number)
        assert is_valid_generated(number)
        assert not set(number) & set("01OIL")
    assert is_valid_generated(next(iter(numbers)).lower())  # read back case-insensitively


@pytest.mark.parametrize(
    ("typed", "stored"), [("rma-77", "RMA-77"), (" A ", "A"), ("X" * 32, "X" * 32)]
)
def test_custom_numbers_are_normalized(typed: str, stored: str) -> None:
    assert rma_numbers.validate_custom(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "X" * 33, "RMA 77", "RMA_77", "RMA-77!", "ÄBC", "\ufb01", "straße", "\u0131"],
)
def test_custom_numbers_outside_a_z_0_9_and_dash_are_refused(typed: str) -> None:
    with pytest.raises(InvalidRmaNumber) as raised:
        rma_numbers.validate_custom(typed)
    assert raised.value.code == "invalid_rma_number"
    assert raised.value.details[0]["field"] == "rma_number"


@given(st.text(max_size=40))
def test_any_accepted_custom_number_is_1_to_32_of_the_allowed_characters(typed: str) -> None:
    try:
        stored = rma_numbers.validate_custom(typed)
    except InvalidRmaNumber:
        return
    assert 1 <= len(stored) <= 32
    assert set(stored) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
    assert stored == typed.strip().upper()
    assert typed.strip().isascii()
