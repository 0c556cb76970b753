"""Use cases of the audit trail: seal the chains, check them, list entries, export a bundle."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from rma.domain.audit import (
    Break,
    ChainCheck,
    HistoryFact,
    HistoryRow,
    LiveRow,
    RowFact,
    check_chain,
    check_history,
    check_rows,
    checkpoint_message,
)
from rma.domain.errors import Forbidden
from rma.services.clock import utcnow
from rma.services.partitions import Month


class Checkpoint(Protocol):
    @property
    def seller_id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def hash(self) -> str: ...
    @property
    def signed_at(self) -> datetime: ...
    @property
    def key_id(self) -> str: ...
    @property
    def signature(self) -> str: ...


class Keys(Protocol):
    key_id: str
    public_pem: str
    public_raw: str

    def sign(self, message: bytes) -> str: ...

    def verify(self, signature: str, message: bytes) -> bool: ...


class AuditChains(Protocol):
    def sellers_to_seal(self) -> list[str]: ...

    def sellers(self) -> list[str]: ...

    def seal(self, seller_id: str, batch: int, sign: Any, now: datetime) -> int: ...

    def head_seq(self, seller_id: str) -> int | None: ...

    def unsealed(self, seller_id: str) -> int: ...

    def sealed_rows(self, seller_id: str) -> Iterator[tuple[str, int, str, str, str]]: ...

    def checkpoints(self, seller_id: str) -> Sequence[Checkpoint]: ...

    def history(
        self, seller_id: str
    ) -> AbstractContextManager[tuple[Iterator[HistoryRow], Iterator[HistoryFact]]]: ...

    def first_entry_at(self, seller_id: str) -> datetime | None: ...

    def rows_held_since(self) -> datetime | None: ...

    def held(
        self, seller_id: str
    ) -> AbstractContextManager[tuple[Iterator[LiveRow], Iterator[RowFact]]]: ...


def signed_at_text(moment: datetime) -> str:
    return moment.isoformat()


def seal_audit(chains: AuditChains, keys: Keys, batch: int = 5000) -> int:
    """Chain every committed, unsealed entry; one signed checkpoint per seller and batch."""
    # Whole seconds: the signed time must read back the same from every database.
    now = utcnow().replace(microsecond=0)

    def sign(seller_id: str, seq: int, head: str, at: datetime) -> tuple[str, str]:
        return keys.key_id, keys.sign(checkpoint_message(seller_id, seq, head, signed_at_text(at)))

    sealed = 0
    for seller_id in chains.sellers_to_seal():
        while done := chains.seal(seller_id, batch, sign, now):
            sealed += done
    return sealed


@dataclass(frozen=True)
class Verification:
    """What checking one seller's chain found, with what is not sealed yet."""

    check: ChainCheck
    unsealed: int
    checkpoints: int
    history_rows: int = 0
    returns: int = 0  # returns held to what their entries say

    def as_dict(self) -> dict[str, Any]:
        bad = self.check.first_bad
        return {
            "seller_id": self.check.seller_id,
            "ok": self.check.ok,
            "entries": self.check.entries,
            "head": self.check.head,
            "unsealed": self.unsealed,
            "checkpoints": self.checkpoints,
            "history_rows": self.history_rows,
            "returns": self.returns,
            "first_bad": bad.as_dict() if bad else None,
        }


def verify_audit(
    chains: AuditChains, keys: Keys, seller_id: str | None = None, history_months: int = 0
) -> list[Verification]:
    """Check one seller's chain (or every chain) against its hashes and signed checkpoints,
    then its returns' history rows against the entries they were written with.

    ``history_months`` is the history's retention (0: kept forever): entries of months it
    dropped are not missed.
    """
    sellers = [seller_id] if seller_id is not None else chains.sellers()
    return [_verified(chains, keys, seller, history_months) for seller in sellers]


def _verified(chains: AuditChains, keys: Keys, seller: str, history_months: int) -> Verification:
    checkpoints = chains.checkpoints(seller)
    bad_signature = next(
        (c for c in checkpoints if not _signed_by(keys, c)),
        None,
    )
    check = check_chain(
        seller,
        chains.sealed_rows(seller),
        {c.seq: c.hash for c in checkpoints},
        chains.head_seq(seller),
    )
    if bad_signature is not None and check.ok:
        check = _bad_checkpoint(check, bad_signature)
    rows = held = 0
    bad_history: Break | None = None
    bad_row: Break | None = None
    since = _held_since(chains, seller)
    if since is not None:  # None: no trail yet, nothing to hold the rows to
        rows, bad_history = _history_checked(chains, seller, since, history_months)
        held, bad_row = _rows_checked(chains, seller, since)
    for bad in (bad_history, bad_row):
        if bad is not None and check.ok:
            check = ChainCheck(check.seller_id, check.entries, check.head, bad)
    return Verification(check, chains.unsealed(seller), len(checkpoints), rows, held)


def _held_since(chains: AuditChains, seller: str) -> datetime | None:
    """From when the seller's rows are held to its entries: its trail's start, or the
    upgrade that began holding rows, whichever is later (None: no trail yet)."""
    began = chains.first_entry_at(seller)
    if began is None:
        return None
    upgraded = chains.rows_held_since()
    return began if upgraded is None else max(began, upgraded)


def _rows_checked(chains: AuditChains, seller: str, since: datetime) -> tuple[int, Break | None]:
    with chains.held(seller) as (rows, facts):
        return check_rows("returns", rows, facts, since)


def _history_checked(
    chains: AuditChains, seller: str, since: datetime, history_months: int
) -> tuple[int, Break | None]:
    if history_months > 0:  # months the retention dropped are not missed
        since = max(since, Month.of(utcnow()).plus(-history_months).start)
    with chains.history(seller) as (rows, facts):
        return check_history(rows, facts, since)


def _signed_by(keys: Keys, checkpoint: Checkpoint) -> bool:
    message = checkpoint_message(
        checkpoint.seller_id, checkpoint.seq, checkpoint.hash, signed_at_text(checkpoint.signed_at)
    )
    return keys.verify(checkpoint.signature, message)


def _bad_checkpoint(check: ChainCheck, checkpoint: Checkpoint) -> ChainCheck:
    why = f"the checkpoint at place {checkpoint.seq} does not carry a valid signature"
    bad = Break(None, checkpoint.seq, "bad_signature", why)
    return ChainCheck(check.seller_id, check.entries, check.head, bad)


def audit_seller(principal_seller: str | None, asked: str | None) -> str:
    """Whose trail a caller reads: its own seller's, or any for the platform admin."""
    if principal_seller is None:
        if asked is None:
            return ""  # the platform's own chain
        return asked
    if asked is not None and asked != principal_seller:
        raise Forbidden("a seller's admin reads its own audit trail only")
    return principal_seller


VERIFIER = Path(__file__).resolve().parent.parent / "audit_verify.py"


def export_audit(
    chains: AuditChains, keys: Keys, folder: Path, seller_id: str | None = None
) -> int:
    """Write a bundle anyone can check offline: entries, checkpoints, public key, verifier."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    sellers = [seller_id] if seller_id is not None else chains.sellers()
    with (folder / "entries.jsonl").open("w", encoding="utf-8") as out:
        for seller in sellers:
            for entry_id, seq, prev_hash, digest, body in chains.sealed_rows(seller):
                line = {
                    "id": entry_id,
                    "seller_id": seller,
                    "seq": seq,
                    "prev_hash": prev_hash,
                    "hash": digest,
                    "body": body,
                }
                out.write(json.dumps(line, separators=(",", ":")) + "\n")
                written += 1
    checkpoints = [
        {
            "seller_id": c.seller_id,
            "seq": c.seq,
            "hash": c.hash,
            "signed_at": signed_at_text(c.signed_at),
            "key_id": c.key_id,
            "signature": c.signature,
        }
        for seller in sellers
        for c in chains.checkpoints(seller)
    ]
    (folder / "checkpoints.json").write_text(json.dumps(checkpoints, indent=1))
    (folder / "public_key.pem").write_text(keys.public_pem)
    shutil.copyfile(VERIFIER, folder / "verify.py")
    return written
