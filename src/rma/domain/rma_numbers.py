"""RMA numbers: generated ones with a check character, custom ones validated.

A generated number is nine random characters and one check character from an alphabet
without look-alikes (no 0/O, 1/I/L), printed in groups: ``K7QX-M4TP-HW``. The alphabet has
31 characters, a prime, and the check character is a position-weighted sum modulo 31, so a
single mistyped character and two swapped neighbours are always caught.
"""

from __future__ import annotations

import re
import secrets

from rma.domain.errors import InvalidRmaNumber

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_BODY_LENGTH = 9
_CUSTOM = re.compile(r"^[A-Z0-9-]{1,32}$")
_GENERATED = re.compile(rf"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{2}}$")


def check_character(body: str) -> str:
    """The check character for ``body`` (characters of ``ALPHABET``)."""
    total = sum((position + 1) * _VALUE[ch] for position, ch in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def generate_rma_number() -> str:
    """A fresh random RMA number with its check character, grouped for reading aloud."""
    # One draw from the operating system, spelled in base 31: drawing each character on
    # its own costs a system call apiece, which shows when thousands are made at once.
    value = secrets.randbelow(len(ALPHABET) ** _BODY_LENGTH)
    digits = []
    for _ in range(_BODY_LENGTH):
        value, digit = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[digit])
    body = "".join(digits)
    raw = body + check_character(body)
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize(number: str) -> str:
    """Upper-case and trimmed, as stored and compared (numbers are case-insensitive)."""
    return number.strip().upper()


def looks_generated(number: str) -> bool:
    """Whether ``number`` has the shape of a generated number (whatever its check)."""
    return bool(_GENERATED.match(normalize(number)))


def is_valid_generated(number: str) -> bool:
    """Whether a generated-shaped number carries the right check character."""
    raw = normalize(number).replace("-", "")
    return looks_generated(number) and check_character(raw[:-1]) == raw[-1]


def validate_custom(number: str) -> str:
    """The normalized custom number, or ``InvalidRmaNumber`` saying what is wrong with it."""
    normalized = normalize(number)
    # Checked on ASCII input: upper() turns some other letters into A-Z ("ß" into "SS").
    if not number.strip().isascii() or not _CUSTOM.match(normalized):
        raise InvalidRmaNumber(
            "a custom RMA number is 1-32 characters of A-Z, 0-9 and '-'",
            details=[{"field": "rma_number", "value": number[:64]}],
        )
    return normalized
