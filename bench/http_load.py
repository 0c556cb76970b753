"""Closed-loop HTTP load: N client threads, each sends its next request when the last returns.

The clients share the machine with the server they measure, so they are kept lean: a
keep-alive ``http.client`` connection each (about a fifth of httpx's CPU a request), so
that the server's rate is not held down by its own benchmark's clients.
"""

from __future__ import annotations

import gc
import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx

from bench.common import percentile

Job = TypeVar("Job")


@dataclass
class Outcome:
    """What a run of requests did: each answer, each latency, each distinct error."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def ms(self, fraction: float) -> float:
        return percentile(sorted(self.latencies), fraction) * 1000 if self.latencies else 0.0

    def summary(self) -> str:
        failed = sum(self.errors.values())
        return (
            f"{len(self.latencies)} ok, {failed} failed in {self.seconds:.1f} s:"
            f" {self.per_second:,.1f}/s, p50 {self.ms(0.5):.1f} ms, p99 {self.ms(0.99):.1f} ms"
        )


class Poster(Protocol):
    """What a job sends with: this module's ``LoopbackClient``, or an httpx client in process."""

    def post(self, path: str, json: Any = ..., headers: Any = ...) -> Any: ...


@dataclass(frozen=True)
class Reply:
    """An answer: its status, headers and body (the part of httpx's response the jobs read)."""

    method: str
    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class LoopbackClient:
    """One keep-alive HTTP/1.1 connection to the server, reopened if the server closes it."""

    def __init__(self, url: str, timeout: float = 60) -> None:
        parts = urlsplit(url)
        self._connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout
        )

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        return self.request("GET", path, None, headers)

    def post(
        self,
        path: str,
        json: Any = None,  # httpx's name, so a job reads the same with either client
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Reply:
        if json is not None:
            content = _dumps(json)
            headers = {"Content-Type": "application/json", **(headers or {})}
        return self.request("POST", path, content, headers)

    def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str] | None
    ) -> Reply:
        # Never sent again: a POST the server may have applied counts as an error, and the
        # next request opens a new connection (http.client does, once the old one closed).
        self._connection.request(method, path, body=body, headers=dict(headers or {}))
        response = self._connection.getresponse()
        content = response.read()
        return Reply(method, response.status, dict(response.getheaders()), content)

    def close(self) -> None:
        self._connection.close()


def _dumps(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def closed_loop(
    url: str,
    clients: int,
    jobs: Iterable[Job],
    one: Callable[[LoopbackClient, Job], Any],
    seconds: float,
    on_start: Callable[[], None] = lambda: None,
) -> Outcome:
    """``one(client, job)`` for each job from ``clients`` threads until jobs or time run out.

    ``one`` returns what to keep of the answer, or raises to count an error. ``on_start`` runs
    once every client is connected, just before the first request (to start CPU meters).
    """
    outcome = Outcome()
    lock = threading.Lock()
    pending = iter(jobs)
    connected, start_line = threading.Barrier(clients + 1), threading.Barrier(clients + 1)
    deadline = [0.0]

    def client_thread() -> None:
        client = LoopbackClient(url)
        try:
            client.get("/healthz")  # connected before the clock starts
            connected.wait()
            start_line.wait()
            while time.monotonic() < deadline[0]:
                with lock:
                    job = next(pending, None)
                if job is None:
                    return
                began = time.perf_counter()
                try:
                    answer = one(client, job)
                except Exception as error:  # counted and shown; the run goes on
                    with lock:
                        outcome.errors[str(error)[:300]] += 1
                    continue
                elapsed = time.perf_counter() - began
                with lock:
                    outcome.latencies.append(elapsed)
                    outcome.answers.append(answer)
        finally:
            client.close()

    threads = [threading.Thread(target=client_thread) for _ in range(clients)]
    for thread in threads:
        thread.start()
    connected.wait()
    # The clients' own collector waits for the run: a pass over the answers they keep
    # stalled all sixteen at once, and the server was timed for it.
    gc.disable()
    try:
        on_start()
        deadline[0] = time.monotonic() + seconds
        start_line.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        outcome.seconds = time.perf_counter() - began
    finally:
        gc.enable()
    return outcome


def expect(response: Reply | httpx.Response, status: int) -> Any:
    """The JSON answer, or an error naming the status and the error code."""
    if response.status_code != status:
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = response.text[:120]
        method = response.method if isinstance(response, Reply) else response.request.method
        raise RuntimeError(f"{method} {response.status_code} {code}")
    return response.json()
