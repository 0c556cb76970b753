"""Identifiers: a type prefix and 26 characters that sort by creation time."""

from __future__ import annotations

import secrets
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_lock = threading.Lock()
_last = (0, 0)  # milliseconds and random part of the last id made in this process


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
            random = secrets.randbits(_RANDOM_BITS)
        else:
            millis = last_millis
            random = last_random + 1 + secrets.randbits(32)
            if random >> _RANDOM_BITS:
                millis, random = millis + 1, secrets.randbits(_RANDOM_BITS)
        _last = (millis, random)
    value = millis << _RANDOM_BITS | random
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return f"{prefix}_{''.join(reversed(chars)).lower()}"
