"""Signed tokens for links that must not be guessable or forged (HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any

from rma.adapters.private_files import create_private


class BadSignature(Exception):
    """The token was not made by us for this purpose, or was altered."""


class Signer:
    """Signs small JSON payloads for one purpose each; a token of one purpose fails another."""

    def __init__(self, secret: bytes):
        self._secret = secret

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def unsign(self, purpose: str, token: str) -> dict[str, Any]:
        body, _, mac = token.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(purpose, body)):
            raise BadSignature(purpose)
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError as error:
            raise BadSignature(purpose) from error
        if not isinstance(payload, dict):
            raise BadSignature(purpose)
        return payload

    def mac(self, purpose: str, text: str) -> str:
        """A keyed digest of ``text`` for ``purpose`` (CSRF tokens bound to a cookie)."""
        return self._mac(purpose, text)

    def _mac(self, purpose: str, body: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}:{body}".encode(), hashlib.sha256).digest()
        return _b64(digest)


def load_or_create_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, else the one kept in ``data_dir`` (made on first use)."""
    if configured:
        return configured.encode()
    path = data_dir / "secret_key"
    if not path.exists():
        create_private(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip().encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
