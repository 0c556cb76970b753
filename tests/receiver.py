"""A real HTTP receiver on loopback that records webhooks and answers as told."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Records every request; ``answer(path, n)`` says the status of the n-th one to a path."""

    url: str
    requests: list[Received] = field(default_factory=list)
    answer: Callable[[str, int], int] = lambda _path, _n: 200
    delay_seconds: float = 0.0  # a slow receiver waits this long before answering
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, check: Callable[[list[Received]], bool], timeout: float = 30) -> None:
        """Block until ``check`` holds for the requests received so far."""
        with self.changed:
            if not self.changed.wait_for(lambda: check(self.requests), timeout):
                raise AssertionError(f"the receiver got {len(self.requests)} requests")


@contextmanager
def run_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            if receiver.delay_seconds:
                threading.Event().wait(receiver.delay_seconds)  # a slow receiver
            with receiver.changed:
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                count = sum(1 for r in receiver.requests if r.path == self.path)
                receiver.changed.notify_all()
            status = receiver.answer(self.path, count)
            reply = f"answered {status}".encode()
            try:
                self.send_response(status)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (the timeout tests)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
