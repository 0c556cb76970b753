"""The audit trail's rules: what an entry says, how entries chain, and how a chain is checked.

An entry's ``body`` is canonical JSON (sorted keys, no spaces); its hash commits to the
previous entry's hash, its place in the seller's chain and the seller::

    hash(n) = SHA-256("{hash(n-1)}\\n{n}\\n{seller_id}\\n{body}")   with hash(0) = 64 zeros

so changing, removing, adding or moving any sealed entry changes every hash after it. A signed
checkpoint pins ``(seller, n, hash(n))``; whoever holds one can check a copy of the log.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
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
    return _CANONICAL.encode(document)


# Made once: ``json.dumps`` makes an encoder at every call given options of its own.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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


# A return's history row as read for checking: the return, the row's key, its time, then the
# other fields an entry's ``after`` holds (``HISTORY_FIELDS``), as ``plain`` makes them.
HISTORY_FIELDS = ("actor", "action", "from_status", "to_status", "note")
HistoryRow = tuple[str, int, datetime, dict[str, Any]]
# The entry the row was written with: the return (its ``entity_id``), the entry id, its body.
HistoryFact = tuple[str, str, str]


@dataclass(frozen=True)
class _Move:
    at: datetime
    fields: tuple[Any, ...]
    key: str  # the row's primary key, or the entry's id

    def same(self, other: _Move) -> bool:
        return self.at == other.at and self.fields == other.fields

    def said(self) -> str:
        return f"{self.fields[1]} at {self.at.isoformat()}"


def check_history(
    rows: Iterable[HistoryRow], facts: Iterable[HistoryFact], since: datetime | None = None
) -> tuple[int, Break | None]:
    """Match a seller's history rows with the trail's history entries, return by return.

    Both come sorted by return. A return's history shown anywhere is its rows, so every row
    must be exactly the ``after`` of the entry written with it: an edited row, a deleted one
    and one added behind rma's back are each named. Rows and entries dated before ``since``
    (kept before the trail began, or dropped by retention) are not judged. Answers how many
    rows were checked, and the first bad one.
    """
    checked = 0
    for return_id, shown, recorded in _by_return(rows, facts):
        shown = [m for m in shown if since is None or m.at >= since]
        recorded = [m for m in recorded if since is None or m.at >= since]
        checked += len(shown)
        bad = _first_difference(return_id, shown, recorded)
        if bad is not None:
            return checked, bad
    return checked, None


def _by_return(
    rows: Iterable[HistoryRow], facts: Iterable[HistoryFact]
) -> Iterator[tuple[str, list[_Move], list[_Move]]]:
    """Each return with its rows and its entries, each in the order they happened."""
    shown = _grouped((r[0], _Move(r[2], _fields(r[3]), str(r[1]))) for r in rows)
    recorded = _grouped((f[0], _fact_move(f[1], f[2])) for f in facts)
    row_group, fact_group = next(shown, None), next(recorded, None)
    while row_group is not None or fact_group is not None:
        if fact_group is None or (row_group is not None and row_group[0] < fact_group[0]):
            assert row_group is not None
            yield row_group[0], row_group[1], []
            row_group = next(shown, None)
        elif row_group is None or fact_group[0] < row_group[0]:
            yield fact_group[0], [], fact_group[1]
            fact_group = next(recorded, None)
        else:
            yield row_group[0], row_group[1], fact_group[1]
            row_group, fact_group = next(shown, None), next(recorded, None)


def _grouped(pairs: Iterable[tuple[str, _Move]]) -> Iterator[tuple[str, list[_Move]]]:
    for return_id, group in itertools.groupby(pairs, key=lambda pair: pair[0]):
        # In the order they happened; one transaction's moves share a time and keep the
        # order they were written in (row keys and entry ids both grow with it).
        yield return_id, sorted((move for _, move in group), key=lambda m: (m.at, _order(m.key)))


def _order(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (0, key)


def _fields(values: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(plain(values.get(name)) for name in HISTORY_FIELDS)


def _fact_move(entry_id: str, body: str) -> _Move:
    after = json.loads(body)["after"]
    return _Move(datetime.fromisoformat(after["at"]), _fields(after), entry_id)


def _first_difference(return_id: str, shown: list[_Move], recorded: list[_Move]) -> Break | None:
    if len(shown) == len(recorded):
        for row, fact in zip(shown, recorded, strict=True):
            if not row.same(fact):
                return Break(fact.key, None, "history_altered", _altered(return_id, row, fact))
        return None
    unmatched_facts = list(recorded)
    for row in shown:
        twin = next((fact for fact in unmatched_facts if row.same(fact)), None)
        if twin is None and len(shown) > len(recorded):
            why = (
                f"return {return_id}: history row {row.key} ({row.said()}) is in no entry "
                "of the trail: added in the database"
            )
            return Break(None, None, "history_unrecorded", why)
        if twin is not None:
            unmatched_facts.remove(twin)
    fact = unmatched_facts[0]
    why = (
        f"return {return_id}: entry {fact.key} ({fact.said()}) has no history row: "
        "deleted in the database"
    )
    return Break(fact.key, None, "history_missing", why)


def _altered(return_id: str, row: _Move, fact: _Move) -> str:
    names = ("at", *HISTORY_FIELDS)
    ours = (row.at.isoformat(), *row.fields)
    theirs = (fact.at.isoformat(), *fact.fields)
    changed = [
        f"{name} {mine!r} (the trail: {said!r})"
        for name, mine, said in zip(names, ours, theirs, strict=True)
        if mine != said
    ]
    return (
        f"return {return_id}: history row {row.key} does not match entry {fact.key}: "
        f"{', '.join(changed)}: edited in the database"
    )


# A row of an audited table as read for checking: its entity id, when it was made, and its
# columns as ``plain`` makes them; and an entry about it: entity id, entry id, body.
LiveRow = tuple[str, datetime, dict[str, Any]]
RowFact = tuple[str, str, str]


def check_rows(
    entity: str, rows: Iterable[LiveRow], facts: Iterable[RowFact], since: datetime
) -> tuple[int, Break | None]:
    """Hold each row of ``entity`` to what the trail says it became, row by row.

    Both come sorted by entity id. The entries of a row, folded in order (its insert, then
    each update's ``after``), give the last value the trail knows of every column it
    recorded; a row that differs from it was changed behind rma's back. Rows made before
    ``since`` (before the trail) are not judged; masked secrets are not compared.
    """
    checked = 0
    live = iter(rows)
    folded = _folded(facts)
    row, fact = next(live, None), next(folded, None)
    while row is not None:
        while fact is not None and fact[0] < row[0]:
            if fact[1] is not None:  # recorded, never deleted, and no row: gone
                return checked, _row_missing(entity, fact[0], fact[2])
            fact = next(folded, None)
        if row[1] < since:  # made before the trail: its entries, if any, are partial
            if fact is not None and fact[0] == row[0]:
                fact = next(folded, None)
            row = next(live, None)
            continue
        checked += 1
        if fact is None or fact[0] != row[0]:
            why = f"{entity} {row[0]} is in no entry of the trail: added in the database"
            return checked, Break(None, None, "row_unrecorded", why)
        bad = _row_differs(entity, row, fact[1], fact[2])
        if bad is not None:
            return checked, bad
        row, fact = next(live, None), next(folded, None)
    for entity_id, state, last in ([fact] if fact else []) + list(folded):
        if state is not None:
            return checked, _row_missing(entity, entity_id, last)
    return checked, None


def _folded(facts: Iterable[RowFact]) -> Iterator[tuple[str, dict[str, Any] | None, str]]:
    """Per entity id: the columns the trail last gave it (None once deleted), the last entry."""
    for entity_id, group in itertools.groupby(facts, key=lambda fact: fact[0]):
        state: dict[str, Any] | None = {}
        last = ""
        for _, entry_id, body in group:
            entry = json.loads(body)
            last = entry_id
            deleted = entry["action"] == "delete"
            state = None if deleted else {**(state or {}), **entry["after"]}
        yield entity_id, state, last


def _row_differs(
    entity: str, row: LiveRow, state: dict[str, Any] | None, last: str
) -> Break | None:
    entity_id, _, columns = row
    if state is None:
        why = f"{entity} {entity_id} was deleted (entry {last}) but is in the database"
        return Break(last, None, "row_unrecorded", why)
    changed = [
        f"{name} {columns[name]!r} (the trail: {said!r})"
        for name, said in state.items()
        if name in columns and said != CHANGED and not is_secret(name) and columns[name] != said
    ]
    if not changed:
        return None
    why = (
        f"{entity} {entity_id} differs from the trail: {', '.join(changed)}: edited in the database"
    )
    return Break(last, None, "row_altered", why)


def _row_missing(entity: str, entity_id: str, last: str) -> Break:
    why = f"{entity} {entity_id} is in the trail (entry {last}) but not in the database: deleted"
    return Break(last, None, "row_missing", why)
