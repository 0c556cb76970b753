"""Check an exported audit bundle offline: ``python verify.py BUNDLE_FOLDER``.

Needs nothing of rma: only ``hashlib`` and ``cryptography`` (and the standard library's
``json``). It recomputes every seller's SHA-256 chain from ``entries.jsonl``, checks each
checkpoint's Ed25519 signature with ``public_key.pem``, and that the chain passes through
every signed checkpoint. Exit status 0: the bundle checks out; 1: the first bad entry is named.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

GENESIS = "0" * 64


def chain_hash(previous: str, seq: int, seller_id: str, body: str) -> str:
    return hashlib.sha256(f"{previous}\n{seq}\n{seller_id}\n{body}".encode()).hexdigest()


def checkpoint_message(seller_id: str, seq: int, head: str, signed_at: str) -> bytes:
    return f"rma-audit-checkpoint/1\n{seller_id}\n{seq}\n{head}\n{signed_at}".encode()


def verify(folder: Path) -> list[str]:
    """Every problem found (the first per seller), or nothing when the bundle checks out."""
    key = load_pem_public_key((folder / "public_key.pem").read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        return ["public_key.pem is not an Ed25519 key"]
    problems: list[str] = []
    signed: dict[str, dict[int, str]] = {}
    for c in json.loads((folder / "checkpoints.json").read_text()):
        message = checkpoint_message(c["seller_id"], c["seq"], c["hash"], c["signed_at"])
        try:
            key.verify(bytes.fromhex(c["signature"]), message)
        except (InvalidSignature, ValueError):
            problems.append(f"seller {c['seller_id']!r}: checkpoint {c['seq']} is not signed")
        signed.setdefault(c["seller_id"], {})[c["seq"]] = c["hash"]
    state: dict[str, tuple[int, str]] = {}
    broken: set[str] = set()
    with (folder / "entries.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            seller = entry["seller_id"]
            if seller in broken:
                continue
            count, previous = state.get(seller, (0, GENESIS))
            seq = entry["seq"]
            digest = chain_hash(previous, seq, seller, entry["body"])
            why = None
            if seq != count + 1:
                why = f"is at place {seq}, expected {count + 1} (deleted, inserted or moved)"
            elif entry["prev_hash"] != previous:
                why = "does not follow the entry before it (inserted or reordered)"
            elif digest != entry["hash"]:
                why = "does not match its hash (edited)"
            elif signed.get(seller, {}).get(seq, digest) != digest:
                why = "differs from the signed checkpoint"
            if why is not None:
                problems.append(f"seller {seller!r}: entry {entry['id']} {why}")
                broken.add(seller)
                continue
            state[seller] = (seq, digest)
    for seller, points in signed.items():
        last = max(points)
        if seller not in broken and state.get(seller, (0, GENESIS))[0] < last:
            problems.append(f"seller {seller!r}: entries up to {last} were signed but are missing")
    return problems


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems = verify(folder)
    for problem in problems:
        print(problem)
    if not problems:
        print("the audit bundle checks out")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
