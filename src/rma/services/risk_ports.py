"""What the risk use cases ask of storage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rma.domain.risk import PastReturn, ReturnRisk, RiskSettings


class RiskContext(Protocol):
    @property
    def settings(self) -> RiskSettings: ...
    @property
    def orders(self) -> int: ...
    @property
    def past(self) -> list[PastReturn]: ...


class RiskRepository(Protocol):
    def settings(self, seller_id: str) -> RiskSettings | None: ...
    def add_settings(self, settings: RiskSettings) -> None: ...
    def record(self, decision: ReturnRisk) -> None: ...
    def for_return(self, seller_id: str, return_id: str) -> ReturnRisk | None: ...
    def held(self, seller_id: str, reason: str | None, limit: int) -> list[ReturnRisk]: ...
    def context(
        self,
        seller_id: str,
        emails: Sequence[str],
        address: str,
        with_settings: bool = True,
    ) -> RiskContext | None: ...
