"""Returns intelligence in plain Python: periods in the seller's time zone, and alert statistics.

A period is a range of calendar days in the seller's zone; measures are grouped by the day,
week (starting Monday) or month their facts fall on there. The SQL that counts lives in the
adapters; what decides (is the period valid, which buckets exist, is a jump significant)
lives here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from rma.domain.errors import InvalidInput

MAX_PERIOD_DAYS = 3 * 366  # "a period over 3 years" is refused: 1,098 days is the most
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)  # as the API's times


class Grain(StrEnum):
    """How a measure's rows are grouped over time."""

    DAY = "day"  # a calendar day in the seller's zone
    WEEK = "week"  # Monday to Sunday
    MONTH = "month"  # a calendar month


class Dimension(StrEnum):
    """What a measure's rows are split by, besides time."""

    OVERALL = "overall"  # one row per period
    SKU = "sku"
    CATEGORY = "category"


class Channel(StrEnum):
    """Where an order came from."""

    DIRECT = "direct"  # created through the native API or the desk
    AMAZON = "amazon"  # created through the Amazon-compatible fulfillment API


UNCATEGORIZED = "(none)"  # the category of a SKU with no product or no category


@dataclass(frozen=True)
class Period:
    """Calendar days ``start`` to ``end`` (both included) in the zone ``tz``."""

    start: date
    end: date
    tz: str

    @classmethod
    def of(cls, start: date, end: date, tz: str) -> Period:
        """A valid period, or ``InvalidInput`` naming the field that is wrong."""
        for name, day in (("from", start), ("to", end)):
            if not EARLIEST <= day <= LATEST:
                raise InvalidInput(
                    "give a day between 1970 and 2999",
                    details=[{"field": name, "issue": "out_of_range"}],
                )
        if end < start:
            raise InvalidInput(
                "the period ends before it starts",
                details=[{"field": "to", "issue": "before_from"}],
            )
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise InvalidInput(
                f"a period may span at most 3 years ({MAX_PERIOD_DAYS} days)",
                details=[{"field": "to", "issue": "period_too_long"}],
            )
        return cls(start, end, tz)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The first instant of ``start`` and the first instant after ``end``, in UTC."""
        zone = self.zone
        first = datetime.combine(self.start, time(), zone).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(), zone).astimezone(UTC)
        return first, after

    def offsets(self) -> list[tuple[datetime, int]]:
        """The zone's UTC offset in seconds over the period: (from this UTC instant, offset).

        The first entry starts at the period's start; a new one follows each change of
        offset (daylight saving), found to the minute, so SQL without a zone database can
        still turn UTC into local time exactly.
        """
        zone = self.zone
        first, after = self.utc_bounds()

        def offset(at: datetime) -> int:
            delta = at.astimezone(zone).utcoffset()
            return int(delta.total_seconds()) if delta else 0

        steps = [(first, offset(first))]
        day = first
        while day < after:
            following = min(day + timedelta(days=1), after)
            if offset(following) != steps[-1][1]:
                low, high = day, following  # the change lies in (low, high]
                while high - low > timedelta(minutes=1):
                    middle = low + (high - low) / 2
                    low, high = (middle, high) if offset(middle) == steps[-1][1] else (low, middle)
                # Zones change on whole minutes, and the change is within a minute of high.
                change = high.replace(second=0, microsecond=0)
                steps.append((change, offset(change)))
            day = following
        return steps


def bucket_of(day: date, grain: Grain) -> date:
    """The first day of the bucket ``day`` falls in."""
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    if grain is Grain.MONTH:
        return day.replace(day=1)
    return day


def buckets(period: Period, grain: Grain) -> list[date]:
    """Every bucket the period touches, in order (so empty ones are shown as zero)."""
    found: list[date] = []
    day = period.start
    while day <= period.end:
        start = bucket_of(day, grain)
        if not found or found[-1] != start:
            found.append(start)
        day += timedelta(days=1)
    return found


@dataclass(frozen=True)
class MeasureFilter:
    """Which facts a measure counts; every field but the period is optional."""

    period: Period
    grain: Grain = Grain.MONTH
    sku: str | None = None
    category: str | None = None
    reason: str | None = None
    facility: str | None = None
    channel: Channel | None = None
    skus: tuple[str, ...] | None = None  # one page of an answer split by SKU


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places, or None when nothing was shipped."""
    return round(part / whole, 4) if whole else None


def nearest_rank(sorted_values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile (the value at rank ceil(fraction x n)), as SQL computes it."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


# -- alerts -------------------------------------------------------------------------------


class AlertKind(StrEnum):
    RETURN_RATE = "return_rate"  # a SKU's units returned per unit shipped
    REASON_SHARE = "reason_share"  # one reason's share of a SKU's returned units


@dataclass(frozen=True)
class AlertRule:
    """When a jump counts: a one-sided binomial test against the SKU's own baseline.

    The recent window's ``observed`` successes out of ``trials`` are tested against the
    baseline rate of the weeks before; the seller is told when the chance of seeing that
    many or more under the baseline is below ``alpha``, the rate at least ``min_lift``
    times the baseline, and there were at least ``min_trials`` trials (no alert on 2 of 3).
    """

    recent_days: int = 7
    baseline_days: int = 56
    alpha: float = 0.001
    min_trials: int = 30
    min_observed: int = 5
    min_lift: float = 1.5


@dataclass(frozen=True)
class Counts:
    """Successes out of trials in the recent window and in the baseline before it."""

    observed: int
    trials: int
    baseline_observed: int
    baseline_trials: int


@dataclass(frozen=True)
class Verdict:
    """The evidence of a test: rates, the expected count, and the p-value."""

    fires: bool
    baseline_rate: float
    recent_rate: float
    expected: float
    p_value: float
    why: str = ""
    notes: dict[str, float] = field(default_factory=dict)


def binomial_tail(observed: int, trials: int, p: float) -> float:
    """P(X >= observed) for X ~ Binomial(trials, p), summed in log space (exact, no scipy)."""
    if observed <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for k in range(observed, trials + 1):
        log_term = (
            math.lgamma(trials + 1)
            - math.lgamma(k + 1)
            - math.lgamma(trials - k + 1)
            + k * log_p
            + (trials - k) * log_q
        )
        term = math.exp(log_term)
        total += term
        if term < total * 1e-17 and k > trials * p:
            break  # the remaining terms shrink geometrically and no longer count
    return min(1.0, total)


def poisson_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected), as 1 - P(X < observed) summed exactly."""
    if observed <= 0:
        return 1.0
    if expected <= 0.0:
        return 0.0
    term = math.exp(-expected)
    below = 0.0
    for k in range(observed):
        below += term
        term *= expected / (k + 1)
    if below < 0.5:
        return max(0.0, 1.0 - below)
    # Far in the tail 1 - below loses every digit: sum the tail itself instead.
    tail, term = 0.0, math.exp(observed * math.log(expected) - expected - math.lgamma(observed + 1))
    k = observed
    while term > tail * 1e-17 or k < expected:
        tail += term
        k += 1
        term *= expected / k
        if term == 0.0:
            break
    return min(1.0, tail)


def judge_jump(counts: Counts, rule: AlertRule, *, poisson: bool = False) -> Verdict:
    """Whether the recent window's rate is well above the baseline's.

    ``poisson``: the observed count is not bounded by the trials (units returned this week
    come from older shipments too), so it is tested as Poisson(baseline x trials) instead
    of binomial.
    """
    # Laplace's rule keeps a baseline of 0 of n from making any single success significant.
    baseline = (counts.baseline_observed + 1) / (counts.baseline_trials + 2)
    recent = counts.observed / counts.trials if counts.trials else 0.0
    expected = baseline * counts.trials
    p_value = (
        poisson_tail(counts.observed, expected)
        if poisson
        else binomial_tail(counts.observed, counts.trials, baseline)
    )
    why = ""
    if counts.trials < rule.min_trials:
        why = f"fewer than {rule.min_trials} trials"
    elif counts.observed < rule.min_observed:
        why = f"fewer than {rule.min_observed} observed"
    elif recent < baseline * rule.min_lift:
        why = f"less than {rule.min_lift}x the baseline"
    elif p_value >= rule.alpha:
        why = f"p-value {p_value:.3g} not below {rule.alpha}"
    return Verdict(
        fires=not why,
        baseline_rate=round(baseline, 6),
        recent_rate=round(recent, 6),
        expected=round(expected, 3),
        p_value=p_value,
        why=why,
    )
