"""Closed-loop HTTP load: N client threads, each sends its next request when the last returns."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

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


def closed_loop(
    url: str,
    clients: int,
    jobs: Iterable[Job],
    one: Callable[[httpx.Client, Job], Any],
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
        with httpx.Client(base_url=url, timeout=60) as client:
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

    threads = [threading.Thread(target=client_thread) for _ in range(clients)]
    for thread in threads:
        thread.start()
    connected.wait()
    on_start()
    deadline[0] = time.monotonic() + seconds
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - began
    return outcome


def expect(response: httpx.Response, status: int) -> Any:
    """The JSON answer, or an error naming the status and the error code."""
    if response.status_code != status:
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = response.text[:120]
        raise RuntimeError(f"{response.request.method} {response.status_code} {code}")
    return response.json()
