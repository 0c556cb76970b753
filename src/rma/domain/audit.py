"""The audit trail's rules: what an entry says, how entries chain, and how a chain is checked.

An entry's ``body`` is canonical JSON (sorted keys, no spaces); its hash commits to the
previous entry's hash, its place in the seller's chain and the seller::

    hash(n) = SHA-256("{hash(n-1)}\\n{n}\\n{seller_id}\\n{body}")   with hash(0) = 64 zeros

so changing, removing, adding or moving any sealed entry changes every hash after it. A signed
checkpoint pins ``(seller, n, hash(n))``; whoever holds one can check a copy of the log.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from hashlib import sha256
from typing import Any

GENESIS = "0" * 64
# Columns named with one of these words hold credentials: an entry says only that they changed.
SECRET_WORDS = ("secret", "hash", "token", "password", "key")
CHANGED = {"changed": True}


@functools.cache
def is_secret(column: str) -> bool:
    """Whether a column holds a credential (its values never enter the trail)."""
    name = column.lower()
    return any(word in name for word in SECRET_WORDS)


_AS_IS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A value as JSON can hold it: times in ISO 8601, enums by value, objects as dicts."""
    if type(value) in _AS_IS:  # the common case first: one set lookup
        return value
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict):
        return plain(as_dict())
    return str(value)


def canonical(document: Mapping[str, Any]) -> str:
    """The one text of a document that hashes the same everywhere."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous: str, seq: int, seller_id: str, body: str) -> str:
    """The hash of the entry at ``seq`` of ``seller_id``'s chain."""
    return sha256(f"{previous}\n{seq}\n{seller_id}\n{body}".encode()).hexdigest()


def checkpoint_message(seller_id: str, seq: int, head: str, signed_at: str) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return f"rma-audit-checkpoint/1\n{seller_id}\n{seq}\n{head}\n{signed_at}".encode()


@dataclass(frozen=True)
class Change:
    """One row's change in one transaction: columns before and after (secrets masked)."""

    seller_id: str
    entity: str
    entity_id: str
    action: str  # insert | update | delete
    before: dict[str, Any]
    after: dict[str, Any]

    def merged(self, later: Change) -> Change | None:
        """This change followed by a later one of the same row, as one change (or none)."""
        if later.action == "delete":
            if self.action == "insert":
                return None  # made and unmade in one transaction: nothing happened
            return Change(self.seller_id, self.entity, self.entity_id, "delete", self.before, {})
        before = {**later.before, **self.before}
        after = {**self.after, **later.after}
        return Change(self.seller_id, self.entity, self.entity_id, self.action, before, after)


def entry_body(entry_id: str, change: Change, actor: tuple[str, str], occurred_at: datetime) -> str:
    """The canonical text of one entry."""
    return canonical(
        {
            "id": entry_id,
            "seller_id": change.seller_id,
            "entity": change.entity,
            "entity_id": change.entity_id,
            "action": change.action,
            "actor": actor[0],
            "actor_name": actor[1],
            "at": occurred_at.isoformat(),
            "before": change.before,
            "after": change.after,
        }
    )


@dataclass(frozen=True)
class Break:
    """The first entry that does not check out, and why."""

    entry_id: str | None
    seq: int | None
    problem: str  # a stable code
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "seq": self.seq,
            "problem": self.problem,
            "message": self.message,
        }


@dataclass(frozen=True)
class ChainCheck:
    """What checking one seller's chain found."""

    seller_id: str
    entries: int
    head: str
    first_bad: Break | None

    @property
    def ok(self) -> bool:
        return self.first_bad is None


# A sealed row as read for checking: id, seq, prev_hash, hash, body.
SealedRow = tuple[str, int, str, str, str]


def check_chain(
    seller_id: str,
    rows: Iterable[SealedRow],
    checkpoints: Mapping[int, str],
    head_seq: int | None = None,
) -> ChainCheck:
    """Walk a seller's sealed entries in ``seq`` order; name the first one that is wrong."""
    expected, previous, count = 1, GENESIS, 0
    prefix = f"\n{seller_id}\n"
    for entry_id, seq, prev_hash, digest, body in rows:
        # The fast path inlines chain_hash: it runs once per entry of the whole trail.
        fine = (
            seq == expected
            and prev_hash == previous
            and sha256(f"{previous}\n{seq}{prefix}{body}".encode()).hexdigest() == digest
            and (seq not in checkpoints or checkpoints[seq] == digest)
        )
        if not fine:
            problem = _problem(expected, previous, seller_id, seq, prev_hash, digest, body)
            code, why = problem or ("checkpoint_mismatch", "differs from the signed checkpoint")
            return ChainCheck(
                seller_id, count, previous, Break(entry_id, seq, code, f"entry {entry_id}: {why}")
            )
        previous, expected, count = digest, expected + 1, count + 1
    signed_up_to = max(checkpoints, default=0)
    last = max(signed_up_to, head_seq or 0)
    if last > count:
        why = f"the chain ends at {count} but entries up to {last} were sealed: the tail is gone"
        return ChainCheck(seller_id, count, previous, Break(None, count + 1, "missing", why))
    return ChainCheck(seller_id, count, previous, None)


def _problem(
    expected: int,
    previous: str,
    seller_id: str,
    seq: int,
    prev_hash: str,
    digest: str,
    body: str,
) -> tuple[str, str] | None:
    if seq < expected:
        return ("inserted", f"a second entry at place {seq}: inserted or copied")
    if seq > expected:
        return ("missing", f"place {expected} is empty before place {seq}: an entry was deleted")
    if prev_hash != previous:
        return ("reordered", "does not follow the entry before it: moved, inserted or deleted")
    if chain_hash(previous, seq, seller_id, body) != digest:
        return ("altered", "its content does not match its hash: it was edited")
    return None
