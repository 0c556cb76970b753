"""The SQL a request runs, captured from the engine, and a pgbench script that runs it again.

``recording(engine)`` keeps every round trip rma makes, in order, as the server sees it: the
pool's pre-ping, the ``BEGIN`` psycopg sends before a transaction's first statement, each
statement with its parameters (an ``executemany`` is one pipeline), ``COMMIT`` and
``ROLLBACK``. Statements of an autocommit session run without ``BEGIN``, as they do.

``pgbench_script(first, second, ...)`` takes two recordings of the same request on two rows
(copies ``n_first`` and ``n_second`` of a template, see ``bench.dataset``) and writes the
script: a parameter equal in both is a literal; a key of the copy becomes the same SQL over
pgbench's ``:n``; any other value that differs (ids and RMA numbers made by the request) is
made unique from ``:n``; a time is ``now()`` plus its offset from the request's start.
Because the script comes from what the code ran, it cannot drift from it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from psycopg.pq import TransactionStatus
from psycopg.types.json import Json, Jsonb
from sqlalchemy import Engine, event

from bench.dataset import SKUS, clone_id_sql, customer_email_sql, order_number_sql, sku_sql

PING = "SELECT 1"
# Values a copy's keys are made of (bench.dataset.clone_id, order_number), anywhere in a string.
_CLONE_KEYS = re.compile(
    r"\b([a-z]+)_b(\d{22})(\d{3})\b|\bBO(\d{10})\b|\bc(\d{10})@bench\.example\b"
    r"|\bSKU(\d{5})-(\w+)\b"
)
_COPY_NUMBER_GROUPS = (2, 4, 5, 6)  # in each alternative above, the digits naming the copy
# Ids and RMA numbers a request makes: replaced when they differ between the two recordings.
_MADE = re.compile(r"\b[a-z]{2,5}_[0-9a-z]{26}\b|\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}\b")
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


@dataclass
class Step:
    kind: str  # sql, ping, begin, commit, rollback
    statement: str = ""
    parameters: Any = None
    many: bool = False


@contextmanager
def recording(engine: Engine) -> Iterator[list[Step]]:
    """The round trips ``engine`` makes inside the ``with`` block."""
    steps: list[Step] = []

    def before(_conn: Any, cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool):  # type: ignore[no-untyped-def]
        raw = cursor.connection
        if not raw.autocommit and raw.info.transaction_status == TransactionStatus.IDLE:
            steps.append(Step("begin"))
        steps.append(Step("sql", statement, parameters, many))

    def ending(kind: str) -> Any:
        def listener(conn: Any) -> None:
            raw = conn.connection.dbapi_connection
            if raw.info.transaction_status != TransactionStatus.IDLE:
                steps.append(Step(kind))

        return listener

    def checkout(*_args: Any) -> None:
        steps.append(Step("ping", PING))  # a pooled connection is pinged before each use

    listeners = [
        (engine, "before_cursor_execute", before),
        (engine, "commit", ending("commit")),
        (engine, "rollback", ending("rollback")),
    ]
    if engine.pool._pre_ping:  # the engine's choice (rma's own makes none)
        listeners.append((engine.pool, "checkout", checkout))
    for target, name, function in listeners:
        event.listen(target, name, function)
    try:
        yield steps
    finally:
        for target, name, function in listeners:
            event.remove(target, name, function)


@dataclass
class Script:
    text: str
    statements: int  # SQL statements one transaction of the script sends, BEGIN/COMMIT included
    notes: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)  # how many of each kind

    def describe(self) -> str:
        parts = ", ".join(f"{count} {kind}" for kind, count in self.kinds.items())
        return f"{self.statements} statements a request ({parts})"


@dataclass
class _Values:
    """Turns the pair of values a parameter had in the two recordings into SQL."""

    n_first: int
    n_second: int
    started: tuple[datetime, datetime]
    made: dict[str, str] = field(default_factory=dict)  # token in the first -> SQL
    made_second: dict[str, str] = field(default_factory=dict)  # its twin in the second -> SQL
    notes: list[str] = field(default_factory=list)

    def learn(self, pairs: list[tuple[Any, Any]]) -> None:
        """Name the tokens the request made (an id or RMA number seen in one recording only)."""
        texts = [" ".join(str(_plain(v)) for v in side) for side in zip(*pairs, strict=True)]
        for first, second in pairs:
            a, b = _plain(first), _plain(second)
            if not (isinstance(a, str) and isinstance(b, str) and a != b):
                continue
            for x, y in zip(_MADE.findall(a), _MADE.findall(b), strict=False):
                made = x != y and x not in texts[1] and y not in texts[0]
                if made and x not in self.made and not _CLONE_KEYS.fullmatch(x):
                    self.made[x] = self.made_second[y] = self._unique(x, len(self.made))
            # A token of the first with no twin (a JSON document of more rows this time, or
            # rows in another order) is still one the request made if the second never saw it.
            for x in _MADE.findall(a):
                if x not in self.made and x not in texts[1] and not _CLONE_KEYS.fullmatch(x):
                    self.made[x] = self._unique(x, len(self.made))

    def sql(self, first: Any, second: Any) -> tuple[str, str]:
        """The SQL for the first recording's value, and the same made from the second's."""
        a, b = _plain(first), _plain(second)
        if isinstance(a, datetime) and isinstance(b, datetime) and a != b:
            offset = (a - self.started[0]).total_seconds()
            now = "now()" if abs(offset) < 60 else f"(now() + interval '{offset:.3f} seconds')"
            return now, now
        if isinstance(a, str) and isinstance(b, str):
            return self._template(a, self.n_first), self._template(b, self.n_second)
        return _literal(a), _literal(b)

    def _template(self, value: str, n: int) -> str:
        """``value`` as SQL, its copy keys over ``:n`` and request-made tokens unique per n."""
        pieces: list[str] = []
        at = 0
        made = self.made if n == self.n_first else self.made_second
        tokens = [(m.start(), m.end(), self._key_sql(m, n)) for m in _CLONE_KEYS.finditer(value)]
        tokens += [(m.start(), m.end(), made.get(m.group())) for m in _MADE.finditer(value)]
        tokens = [token for token in tokens if token[2] is not None]
        for start, end, replacement in sorted(tokens):
            if start < at:
                continue
            pieces += [_literal(value[at:start]), replacement]
            at = end
        pieces.append(_literal(value[at:]))
        pieces = [p for p in pieces if p != "''"] or ["''"]
        return pieces[0] if len(pieces) == 1 else "(" + " || ".join(pieces) + ")"

    @staticmethod
    def _key_sql(match: re.Match[str], n: int) -> str | None:
        prefix, copy, k, number, customer, sku, line = match.groups()
        if sku is not None:
            return sku_sql(":n", f"'{line}'") if int(sku) == n % SKUS else None
        if number is not None:
            return order_number_sql(":n") if int(number) == n else None
        if customer is not None:
            return customer_email_sql(":n") if int(customer) == n else None
        return clone_id_sql(prefix, ":n", str(int(k))) if int(copy) == n else None

    @staticmethod
    def _unique(token: str, slot: int) -> str:
        """SQL making a value like ``token``, the same length, unique per ``:n`` and slot."""
        prefix = token[: token.index("_") + 1] if "_" in token else ""
        digits = len(token) - len(prefix) - 4
        return f"('{prefix}f' || lpad((:n)::text, {digits}, '0') || lpad('{slot}', 3, '0'))"


def pgbench_script(
    first: list[Step], second: list[Step], n: tuple[int, int], started: tuple[datetime, datetime]
) -> Script:
    """The pgbench script of a request recorded twice, on copies ``n[0]`` and ``n[1]``."""
    shape = [(s.kind, s.statement, s.many) for s in first]
    if shape != [(s.kind, s.statement, s.many) for s in second]:
        raise RuntimeError("the two recordings ran different statements: no script can stand")
    values = _Values(n[0], n[1], started)
    values.learn(
        [
            (x[key], y[key])
            for a, b in zip(first, second, strict=True)
            for x, y in _paired(_rows(a), _rows(b))
            for key in x
        ]
    )
    lines = ["\\set n :base + :client_id + :clients * :k", "\\set k :k + 1"]
    kinds: Counter[str] = Counter()
    for a, b in zip(first, second, strict=True):
        if a.kind != "sql":
            lines.append((a.statement or a.kind.upper()) + ";")
            kinds["pre-ping" if a.kind == "ping" else a.kind.upper()] += 1
            continue
        rows = _paired(_rows(a), _rows(b))
        pipeline = len(rows) > 1  # psycopg's executemany sends its rows in one pipeline
        if pipeline:
            lines.append("\\startpipeline")
        for x, y in rows:
            lines.append(_bind(a.statement, x, y, values) + ";")
            kinds[
                a.statement.split(None, 1)[0].upper() + (" in pipelines" if pipeline else "")
            ] += 1
        if pipeline:
            lines.append("\\endpipeline")
    text = "\n".join(lines) + "\n"
    return Script(text, sum(kinds.values()), values.notes, kinds)


def _rows(step: Step) -> list[dict[str, Any]]:
    if isinstance(step.parameters, list | tuple):
        return list(step.parameters)
    return [step.parameters or {}]


def _paired(
    first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Rows of an executemany paired by likeness: their order may differ between requests."""
    if len(first) != len(second):
        raise RuntimeError("an executemany had a different number of rows in the two recordings")
    left = list(second)
    pairs = []
    for row in first:
        twin = max(
            left, key=lambda other: sum(_shape(other[k]) == _shape(v) for k, v in row.items())
        )
        left.remove(twin)
        pairs.append((row, twin))
    return pairs


def _bind(statement: str, first: dict[str, Any], second: dict[str, Any], values: _Values) -> str:
    """The statement with the first recording's values as SQL; a note if the second differs.

    The values may come in another order (an IN list made from a set): only a difference in
    more than keys and times is noted, and the first recording's value is kept.
    """
    pairs = {name: values.sql(first[name], second[name]) for name in first}
    ours, theirs = ([_timeless(p[side]) for p in pairs.values()] for side in (0, 1))
    if sorted(ours) != sorted(theirs):
        odd = [a for a, b in zip(ours, theirs, strict=True) if a != b and a not in theirs]
        values.notes.append(f"kept as first recorded: {', '.join(odd)[:100]}")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return "%" if name is None else pairs[name][0]

    return " ".join(_PLACEHOLDER.sub(replace, statement).split())


def _shape(value: Any) -> Any:
    """A value with the copy number taken out of its keys, to pair rows of two recordings."""
    plain = _plain(value)
    if isinstance(plain, str):
        return _timeless(_CLONE_KEYS.sub(_without_copy_number, plain))
    return plain


def _without_copy_number(match: re.Match[str]) -> str:
    """A copy key with the digits that name the copy replaced by ``#``."""
    group = next(g for g in _COPY_NUMBER_GROUPS if match.group(g) is not None)
    start, end = match.start(group) - match.start(), match.end(group) - match.start()
    return match.group()[:start] + "#" + match.group()[end:]


def _timeless(value: str) -> str:
    """``value`` with its ISO times blanked: times inside strings stay as first recorded."""
    return _ISO_TIME.sub("T", value)


def _plain(value: Any) -> Any:
    """A parameter as the server gets it: JSON wrappers dumped, enums as their value."""
    if isinstance(value, Json | Jsonb):
        return json.dumps(value.obj)
    if isinstance(value, Enum):
        return value.value
    return value


def _literal(value: Any) -> str:
    """A SQL literal pgbench will not mistake for a ``:variable`` nor split on a newline."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return repr(value) if not isinstance(value, Decimal) else str(value)
    if isinstance(value, datetime | date):
        return f"'{value.isoformat()}'"
    if not isinstance(value, str):
        raise TypeError(f"no SQL literal for a {type(value).__name__}: {value!r}")
    quoted = "'" + value.replace("'", "''") + "'"
    # pgbench reads ':name' as a variable even inside quotes, and a newline ends a command
    # line: both are spelled as expressions instead.
    quoted = re.sub(r":(?=[A-Za-z_])", "' || ':' || '", quoted)
    quoted = re.sub(r"[\r\n]", lambda m: f"' || chr({ord(m.group())}) || '", quoted)
    return quoted if quoted.startswith("'") and "' || '" not in quoted else f"({quoted})"
