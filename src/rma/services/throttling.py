"""Throttling: failed sign-ins are counted per client address, order number and credential.

A guessing attacker fails far more often than a person does, so failures are what is
counted; a caller who has failed too often in a rule's window is answered 429 with
``Retry-After`` before its next attempt is even looked at, right or wrong. The counting
itself (windows, storage shared by processes) is the ``Attempts`` adapter's business.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Protocol, TypeVar

from rma.domain.errors import NotFound, RmaError, TooManyAttempts, Unauthenticated

T = TypeVar("T")


class Rule(StrEnum):
    ADDRESS = "address"  # failed credentials of any kind from one client address
    ORDER = "order"  # wrong emails for one order number
    CREDENTIAL = "credential"  # wrong secrets for one named credential (an LWA client id)
    KEY_REQUESTS = "key_requests"  # requests of one API key, when the operator sets a quota


class Attempts(Protocol):
    def wait(self, rule: Rule, key: str) -> int:
        """Seconds until ``key`` may try again under ``rule``; 0 when it may now."""
        ...

    def count(self, rule: Rule, key: str) -> None:
        """Count one attempt of ``key`` under ``rule``."""
        ...


FAILURES: tuple[type[RmaError], ...] = (Unauthenticated, NotFound)


def attempt(
    attempts: Attempts,
    counted: Sequence[tuple[Rule, str]],
    action: Callable[[], T],
    failures: tuple[type[RmaError], ...] = FAILURES,
) -> T:
    """Run ``action`` unless one of ``counted`` is throttled; count it if it fails."""
    check(attempts, counted)
    try:
        return action()
    except failures:
        for rule, key in counted:
            attempts.count(rule, key)
        raise


def check(attempts: Attempts, counted: Sequence[tuple[Rule, str]]) -> None:
    """Raise ``TooManyAttempts`` if any of ``counted`` must wait."""
    wait = max((attempts.wait(rule, key) for rule, key in counted), default=0)
    if wait:
        raise TooManyAttempts(f"too many attempts; try again in {wait} seconds", retry_after=wait)


def spend(attempts: Attempts, rule: Rule, key: str) -> None:
    """Count a request against a quota, refusing it once the quota is used up."""
    check(attempts, [(rule, key)])
    attempts.count(rule, key)
