"""An alert: a SKU's return rate, or one reason's share of it, jumped above its baseline.

The alert keeps its evidence (counts, baseline, expected count, p-value) so the seller can
judge it, and records the ``analytics.alert`` event the outbox sends to webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rma.domain.analytics import AlertKind, AlertRule, Counts, Verdict
from rma.domain.events import AnalyticsAlert, Event


@dataclass(eq=False)
class Alert:
    """One raised alert, with the evidence behind it."""

    id: str
    seller_id: str
    kind: str  # an AlertKind value
    sku: str
    reason_code: str  # "" for a return-rate alert
    window_start: datetime
    window_end: datetime
    observed: int
    trials: int
    baseline_rate: float
    expected: float
    p_value: float
    evidence: dict[str, Any]
    created_at: datetime
    seen_at: datetime | None = None
    events: list[Event] = field(default_factory=list)

    @classmethod
    def raise_for(
        cls,
        ids: tuple[str, str],
        key: tuple[AlertKind, str, str],
        window: tuple[datetime, datetime],
        counts: Counts,
        verdict: Verdict,
        rule: AlertRule,
    ) -> Alert:
        """A new alert from a verdict that fired, with its event recorded."""
        (alert_id, seller_id), (kind, sku, reason), (start, end) = ids, key, window
        evidence = {
            "recent": {"observed": counts.observed, "trials": counts.trials},
            "baseline": {
                "observed": counts.baseline_observed,
                "trials": counts.baseline_trials,
                "days": rule.baseline_days,
            },
            "recent_rate": verdict.recent_rate,
            "baseline_rate": verdict.baseline_rate,
            "expected": verdict.expected,
            "p_value": verdict.p_value,
            "test": "poisson" if kind is AlertKind.RETURN_RATE else "binomial",
            "alpha": rule.alpha,
        }
        alert = cls(
            alert_id, seller_id, kind.value, sku, reason, start, end, counts.observed,
            counts.trials, verdict.baseline_rate, verdict.expected, verdict.p_value,
            evidence, end,
        )  # fmt: skip
        alert.events.append(AnalyticsAlert(seller_id, alert_id, end, alert.payload()))
        return alert

    def payload(self) -> dict[str, Any]:
        """What webhooks receive as the event's ``data``."""
        return {
            "alert_id": self.id,
            "kind": self.kind,
            "sku": self.sku,
            "reason_code": self.reason_code or None,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "evidence": self.evidence,
        }

    def headline(self) -> str:
        """One line a person reads."""
        recent = self.evidence["recent_rate"]
        baseline = self.evidence["baseline_rate"]
        if self.kind == AlertKind.RETURN_RATE:
            what = f"{self.sku}: return rate {recent:.1%} this week"
        else:
            what = f"{self.sku}: {self.reason_code} is {recent:.1%} of its returns this week"
        seen = f"{self.observed} seen, {self.expected:.1f} expected"
        return f"{what}, against {baseline:.1%} before ({seen})"

    def message(self) -> tuple[str, str]:
        """The email's subject and plain text."""
        subject = f"Returns alert: {self.sku}"
        text = (
            f"{self.headline()}.\n\n"
            f"Window: {self.window_start:%Y-%m-%d} to {self.window_end:%Y-%m-%d} (UTC).\n"
            f"Chance of a count this high by luck alone: p = {self.p_value:.2g}.\n"
            "See the analytics page of your desk for the details.\n"
        )
        return subject, text
