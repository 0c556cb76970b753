"""Identifiers sort in the order they were made, even within one millisecond."""

from __future__ import annotations

import os
import random
import time

from rma.domain.ids import crockford, new_id


def test_ids_made_in_a_burst_sort_in_the_order_they_were_made() -> None:
    ids = [new_id("itm") for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("itm_") and len(i) == 30 for i in ids)


def _written_digit_by_digit(value: int) -> str:
    digits = "0123456789abcdefghjkmnpqrstvwxyz"
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(digits[digit])
    return "".join(reversed(chars))


def test_an_id_is_its_number_in_crockfords_base32() -> None:
    rng = random.Random(7)
    values = [0, 1, 31, 32, 2**80 - 1, 2**128 - 1] + [rng.getrandbits(128) for _ in range(2000)]
    assert [crockford(v) for v in values] == [_written_digit_by_digit(v) for v in values]


def test_a_forked_process_makes_ids_of_its_own() -> None:
    # Random bytes are read ahead: a child must not use the ones its parent has not yet.
    new_id("ret")
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's coverage is not collected)
        time.sleep(0.005)
        os.write(writer, new_id("ret").encode())
        os._exit(0)
    time.sleep(0.005)
    ours = new_id("ret")
    os.waitpid(child, 0)
    theirs = os.read(reader, 64).decode()
    assert len(theirs) == len(ours) == 30
    assert theirs[-16:] != ours[-16:]  # the 80 random bits
