"""A seller's payment system for tests: a real HTTP server on loopback that pays refunds.

It checks the Standard Webhooks signature, pays each ``Idempotency-Key`` at most once (a
repeated key answers the first payment), and can answer badly on purpose: garbage, a refusal,
or no answer until the test lets it go.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class PaymentSystem:
    """What the fake payment system saw and did; ``mode`` says how it answers."""

    url: str = ""
    secret: str = ""
    # pay | garbage | refuse | chatty (pays, answers a long reference with markup in it) |
    # hold (pay, then answer only once released)
    mode: str = "pay"
    requests: list[dict[str, Any]] = field(default_factory=list)
    payments: dict[str, str] = field(default_factory=dict)  # idempotency key -> reference
    paid: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def signature_ok(self, headers: Any, body: bytes) -> bool:
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        return hmac.compare_digest(headers["webhook-signature"], f"v1,{expected}")

    def answer(self, headers: Any, body: bytes) -> tuple[int, bytes]:
        key = headers["idempotency-key"]
        with self.lock:
            self.requests.append(
                {
                    "key": key,
                    "body": json.loads(body),
                    "signed": self.signature_ok(headers, body),
                }
            )
            if self.mode == "garbage":
                return 200, b"<html>surprise</html>"
            if self.mode == "refuse":
                return 402, b'{"status": "failed", "reason": "card expired"}'
            reference = self.payments.setdefault(key, f"pay_{len(self.payments) + 1}")
            if self.mode == "chatty":
                reference += "<script>alert(1)</script> internal: db=10.0.0.5" * 20
            self.paid.set()
            hold = self.mode == "hold"
        if hold:
            self.release.wait(timeout=60)
        return 200, json.dumps({"status": "succeeded", "reference": reference}).encode()


@contextmanager
def payment_system() -> Iterator[PaymentSystem]:
    """A running payment system on a free loopback port."""
    system = PaymentSystem()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            status, answer = system.answer(self.headers, body)
            with contextlib.suppress(OSError):  # the asker may be gone (killed on purpose)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    system.url = f"http://127.0.0.1:{server.server_address[1]}/refunds"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield system
    finally:
        system.release.set()
        server.shutdown()
        server.server_close()
