"""Identifiers: a type prefix and 26 characters that sort by creation time."""

from __future__ import annotations

import os
import threading
import time

_RANDOM_BITS = 80
_lock = threading.Lock()
_last = (0, 0)  # milliseconds and random part of the last id made in this process
# Crockford's base32 digits (ids are written in lower case), and every pair of them, in
# the order of the ten bits they write.
_DIGITS = "0123456789abcdefghjkmnpqrstvwxyz"
_PAIRS = [first + second for first in _DIGITS for second in _DIGITS]
# Random bytes asked of the system at once: a read for each id was 1-2% of a request.
_READ_AHEAD = 4096
_unused = bytearray()


def _forget_unused() -> None:
    _unused.clear()  # a forked process must not make its parent's ids


os.register_at_fork(after_in_child=_forget_unused)


def _random(bits: int) -> int:
    """``bits`` random bits from the system's source, read ahead; each byte used once."""
    size = (bits + 7) // 8
    if len(_unused) < size:
        _unused[:] = os.urandom(_READ_AHEAD)
    taken = int.from_bytes(_unused[-size:])
    del _unused[-size:]
    return taken >> (size * 8 - bits)


def new_id(prefix: str) -> str:
    """``prefix_`` and a ULID: 48 bits of milliseconds, then 80 random bits.

    Ids made within one millisecond still sort in the order they were made (the random part
    grows by a random step), so the items of one return keep the order they were given in.
    """
    global _last
    millis = time.time_ns() // 1_000_000
    with _lock:
        last_millis, last_random = _last
        if millis > last_millis:
            random = _random(_RANDOM_BITS)
        else:
            millis = last_millis
            random = last_random + 1 + _random(32)
            if random >> _RANDOM_BITS:
                millis, random = millis + 1, _random(_RANDOM_BITS)
        _last = (millis, random)
    return f"{prefix}_{crockford(millis << _RANDOM_BITS | random)}"


def crockford(value: int) -> str:
    """A 128-bit number in 26 characters of Crockford's base32, most significant first."""
    # Two characters a lookup, ten bits each: 130 bits, the top two zeros. A third of what
    # base64's encoder took (itself Python), and a request makes a dozen ids.
    p = _PAIRS
    return (
        p[value >> 120 & 1023] + p[value >> 110 & 1023] + p[value >> 100 & 1023]
        + p[value >> 90 & 1023] + p[value >> 80 & 1023] + p[value >> 70 & 1023]
        + p[value >> 60 & 1023] + p[value >> 50 & 1023] + p[value >> 40 & 1023]
        + p[value >> 30 & 1023] + p[value >> 20 & 1023] + p[value >> 10 & 1023]
        + p[value & 1023]
    )  # fmt: skip
