"""The Ed25519 key that signs audit checkpoints: from settings, else kept in the data folder."""

from __future__ import annotations

import base64
import functools
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "audit_signing_key"


class CheckpointKeys:
    """Signs checkpoints, and checks them against the public half."""

    def __init__(self, private: Ed25519PrivateKey):
        self._private = private
        self.public: Ed25519PublicKey = private.public_key()
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_raw = base64.b64encode(raw).decode()
        self.key_id = sha256(raw).hexdigest()[:16]
        self.public_pem = self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def sign(self, message: bytes) -> str:
        return self._private.sign(message).hex()

    def verify(self, signature: str, message: bytes) -> bool:
        try:
            self.public.verify(bytes.fromhex(signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def new_private_key_text() -> str:
    """A fresh key as settings hold it: the 32-byte seed in base64."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode()


@functools.cache
def load_checkpoint_keys(configured: str | None, data_dir: Path) -> CheckpointKeys:
    """The configured key (``RMA_AUDIT_SIGNING_KEY``), else the one in ``data_dir`` (0600)."""
    text = configured
    if not text:
        path = data_dir / KEY_FILE
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(new_private_key_text())
        path.chmod(0o600)
        text = path.read_text().strip()
    seed = base64.b64decode(text)
    return CheckpointKeys(Ed25519PrivateKey.from_private_bytes(seed))
