"""Nearest-rank percentiles of speed from bin counts, sorting only the bin of each rank.

``return_stage_bins`` counts the timed returns of each local day per stage and duration bin
(8 bins per doubling of seconds; a longer duration is never in a lower bin). A period's
counts per bucket say how many returns each stage has and which bin holds the rank each
percentile asks for; the value is then the rank's place within that one bin, read from
``return_stage_times`` in duration order through its index. Returns whose history the due
job has not read yet (``pending``) are taken out of the counts and the bins and put back as
their facts say (``raw``), so the answer is the one the facts give.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from rma.adapters.analytics_filters import in_period
from rma.adapters.local_time import day_bucket
from rma.adapters.orm_analytics import return_stage_bins, return_stage_times
from rma.domain.analytics import MeasureFilter, Period, bucket_of, buckets

Row = tuple[Any, ...]
counts_of = return_stage_bins
times = return_stage_times

# The k-th shortest durations of one stage and bin within a bucket's instants, for many
# (bucket, stage, bin) at once; returns past the watermark left out.
_WITHIN_BINS = text(
    """
    SELECT t.i, v.seconds
    FROM unnest(CAST(:stages AS smallint[]), CAST(:bins AS smallint[]),
                CAST(:los AS timestamptz[]), CAST(:his AS timestamptz[]),
                CAST(:offsets AS integer[]), CAST(:limits AS integer[]))
         WITH ORDINALITY AS t(stage, bin, lo, hi, skip, take, i)
    CROSS JOIN LATERAL (
        SELECT s.seconds FROM return_stage_times s
        WHERE s.seller_id = :seller AND s.stage = t.stage AND s.bin = t.bin
          AND s.requested_at >= t.lo AND s.requested_at < t.hi
          AND NOT (s.return_id = ANY(CAST(:pending AS text[])))
        ORDER BY s.seconds OFFSET t.skip LIMIT t.take
    ) v
    """
)


def binned_percentiles(
    session: Session,
    seller_id: str,
    f: MeasureFilter,
    fractions: Sequence[float],
    pending: list[str],
    raw: list[Row],
) -> list[Row]:
    """(bucket, stage number, returns, one percentile per fraction) of the period.

    ``raw`` holds (bucket, stage, bin, seconds) of the pending returns, timed from the facts.
    """
    cells: dict[tuple[date, int, int], int] = defaultdict(int)
    at = day_bucket(counts_of.c.day, f, "postgresql")
    counted = (
        select(at, counts_of.c.stage, counts_of.c.bin, func.sum(counts_of.c.returns))
        .where(
            counts_of.c.seller_id == seller_id,
            counts_of.c.day >= f.period.start,
            counts_of.c.day <= f.period.end,
        )
        .group_by(at, counts_of.c.stage, counts_of.c.bin)
    )
    for when, stage, bin_, n in session.execute(counted):
        cells[(when, int(stage), int(bin_))] += int(n)
    if pending:
        kept = select(times.c.requested_at, times.c.stage, times.c.bin).where(
            times.c.seller_id == seller_id,
            times.c.return_id.in_(pending),
            in_period(times.c.requested_at, f),
        )
        for requested_at, stage, bin_ in session.execute(kept):
            day = requested_at.astimezone(f.period.zone).date()
            cells[(bucket_of(day, f.grain), int(stage), int(bin_))] -= 1
    extra: dict[tuple[date, int, int], list[float]] = defaultdict(list)
    for when, stage, bin_, seconds in raw:
        cells[(when, int(stage), int(bin_))] += 1
        extra[(when, int(stage), int(bin_))].append(float(seconds))
    groups: dict[tuple[date, int], list[tuple[int, int]]] = defaultdict(list)
    for (when, stage, bin_), n in cells.items():
        if n:
            groups[(when, stage)].append((bin_, n))
    targets: list[tuple[date, int, int, int]] = []  # bucket, stage, bin, rank within the bin
    found: dict[tuple[date, int], list[Any]] = {}
    for (when, stage), bins in groups.items():
        bins.sort()
        total = sum(n for _, n in bins)
        found[(when, stage)] = [total]
        for fraction in fractions:
            # As percentile_disc and the windows: the first rank that reaches fraction x n.
            rank = max(1, math.ceil(fraction * total))
            before = 0
            for bin_, n in bins:
                if before + n >= rank:
                    targets.append((when, stage, bin_, rank - before))
                    break
                before += n
    values = _values(session, seller_id, f, targets, pending, extra)
    for (when, stage, _, _), value in zip(targets, values, strict=True):
        found[(when, stage)].append(value)
    return [(when, stage, *rest) for (when, stage), rest in found.items()]


def _values(
    session: Session,
    seller_id: str,
    f: MeasureFilter,
    targets: list[tuple[date, int, int, int]],
    pending: list[str],
    extra: dict[tuple[date, int, int], list[float]],
) -> list[float]:
    """The value at each target's rank within its bin: the kept durations merged with the
    pending returns' own (at most ``len(extra)`` of them come before it)."""
    if not targets:
        return []
    bounds = _bucket_bounds(f)
    columns: dict[str, list[Any]] = defaultdict(list)
    for when, stage, bin_, rank in targets:
        more = len(extra.get((when, stage, bin_), []))
        skip = max(0, rank - 1 - more)
        lo, hi = bounds[when]
        for name, value in (
            ("stages", stage),
            ("bins", bin_),
            ("los", lo),
            ("his", hi),
            ("offsets", skip),
            ("limits", rank - skip),
        ):
            columns[name].append(value)
    read: dict[int, list[float]] = defaultdict(list)
    params = {**columns, "seller": seller_id, "pending": pending}
    for i, seconds in session.execute(_WITHIN_BINS, params):
        read[int(i)].append(float(seconds))
    values = []
    for i, (when, stage, bin_, rank) in enumerate(targets, start=1):
        skip = columns["offsets"][i - 1]
        merged = sorted(read[i] + extra.get((when, stage, bin_), []))
        values.append(merged[rank - 1 - skip])
    return values


def _bucket_bounds(f: MeasureFilter) -> dict[date, tuple[Any, Any]]:
    """The first instant and the instant after each bucket of the period, in UTC."""
    starts = buckets(f.period, f.grain)
    found = {}
    for first, following in zip(starts, [*starts[1:], None], strict=True):
        last = f.period.end if following is None else following - timedelta(days=1)
        found[first] = Period(max(first, f.period.start), last, f.period.tz).utc_bounds()
    return found
