"""Speed: how long each step of a return takes, as nearest-rank percentiles per period.

A return is timed from its request to its first authorization, from that to its first
receipt, and from that to its refund's success. Read raw, that joins every return of the
period to its history. On PostgreSQL the due job keeps ``return_timings`` instead: one row
per return whose history up to the seller's watermark (``return_history.pk``, which only
grows) names an authorization or a receipt, made from the facts; a trigger on refunds keeps
its refund time. A read takes the rows of returns with no history past the watermark and
times the others raw, so it is exact whether or not the job ran; the job only keeps that raw
part small. Authorizing or requesting a return fires nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Date, Select, and_, case, cast, func, literal, select, text, union_all
from sqlalchemy.orm import Session

from rma.adapters import orm, orm_money
from rma.adapters.analytics_filters import (
    RECEIVED,
    Row,
    h,
    in_period,
    r,
    return_conditions,
    seconds_between,
    some_item_matches,
)
from rma.adapters.analytics_stage_bins import binned_percentiles
from rma.adapters.local_time import bucket
from rma.adapters.orm_analytics import return_timing_watermarks, return_timings
from rma.domain.analytics import MeasureFilter
from rma.domain.statuses import ReturnStatus

t = return_timings
marks = return_timing_watermarks
rf = orm_money.refunds
sellers = orm.sellers
TIMED = (ReturnStatus.AUTHORIZED, *RECEIVED)
STAGES = ("request_to_authorization", "authorization_to_receipt", "receipt_to_refund")
PENDING_AT_MOST = 5000  # returns with history past the watermark timed raw beside the table

# Every return whose history up to the new watermark names an authorization or a receipt,
# made again from all its facts (a later authorization never moves the first one).
_REFRESH = text(
    """
    WITH touched AS (
        SELECT DISTINCT return_id FROM return_history
        WHERE seller_id = :seller AND pk > :old AND pk <= :new
          AND to_status IN ('authorized', 'partially_received', 'received')
    ), stages AS (
        SELECT h.return_id,
               min(h.at) FILTER (WHERE h.to_status = 'authorized') AS authorized_at,
               min(h.at) FILTER (WHERE h.to_status <> 'authorized') AS received_at
        FROM return_history h JOIN touched USING (return_id)
        WHERE h.seller_id = :seller
          AND h.to_status IN ('authorized', 'partially_received', 'received')
        GROUP BY h.return_id
    )
    INSERT INTO return_timings AS t (seller_id, return_id, requested_at, authorized_at,
                                     received_at, refunded_at)
    SELECT r.seller_id, r.id, r.created_at, s.authorized_at, s.received_at,
           (SELECT min(f.updated_at) FROM refunds f
            WHERE f.seller_id = r.seller_id AND f.return_id = r.id AND f.status = 'succeeded')
    FROM stages s JOIN returns r ON r.seller_id = :seller AND r.id = s.return_id
    ON CONFLICT (seller_id, return_id) DO UPDATE
    SET requested_at = EXCLUDED.requested_at, authorized_at = EXCLUDED.authorized_at,
        received_at = EXCLUDED.received_at, refunded_at = EXCLUDED.refunded_at
    """
)


def _refunded_at(return_id: Any) -> Any:
    """When the return's refund succeeded (the first, if more than one did)."""
    return (
        select(func.min(rf.c.updated_at))
        .where(rf.c.seller_id == r.c.seller_id, rf.c.return_id == return_id)
        .where(rf.c.status == "succeeded")
        .scalar_subquery()
    )


class SpeedQueries:
    """Speed of one seller's returns, and keeping its timings."""

    session: Session
    use_rollups: bool

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _rows(self, statement: Select[Any] | Any) -> list[Row]:
        return [tuple(row) for row in self.session.execute(statement)]

    def timings_mark(self, seller_id: str) -> int:
        """The last ``return_history.pk`` the seller's timings hold (0 if none)."""
        found = self.session.scalar(
            select(marks.c.history_pk).where(marks.c.seller_id == seller_id)
        )
        return int(found or 0)

    def refresh_timings(self, seller_id: str, now: datetime) -> int:
        """Time the returns with history past the watermark; answer how many were timed."""
        if self.dialect != "postgresql":
            return 0  # SQLite times the history itself
        old = self.session.scalar(
            select(marks.c.history_pk).where(marks.c.seller_id == seller_id).with_for_update()
        )
        if old is None:
            self.session.execute(
                marks.insert().values(seller_id=seller_id, history_pk=0, refreshed_at=now)
            )
        new = self.session.scalar(select(func.max(h.c.pk)).where(h.c.seller_id == seller_id))
        if new is None or new <= (old or 0):
            return 0
        done = self.session.execute(_REFRESH, {"seller": seller_id, "old": old or 0, "new": new})
        self.session.execute(
            marks.update()
            .where(marks.c.seller_id == seller_id)
            .values(history_pk=new, refreshed_at=now)
        )
        return int(getattr(done, "rowcount", 0) or 0)

    def untimed_sellers(self) -> list[str]:
        """Sellers with history past their timings' watermark (none on SQLite)."""
        if self.dialect != "postgresql":
            return []
        lowest = self.session.scalar(select(func.coalesce(func.min(marks.c.history_pk), 0)))
        latest = self.session.execute(
            select(h.c.seller_id, func.max(h.c.pk)).where(h.c.pk > lowest).group_by(h.c.seller_id)
        )
        marked = dict(self.session.execute(select(marks.c.seller_id, marks.c.history_pk)).all())
        return sorted(str(s) for s, pk in latest if pk > marked.get(s, 0))

    def _bucket(self, at: Any, f: MeasureFilter) -> Any:
        """The period ``at`` falls in: a date on PostgreSQL, whose sort is far quicker than
        the text's (half a million durations are sorted by it)."""
        if self.dialect != "postgresql":
            return bucket(at, f, self.dialect)
        return cast(func.date_trunc(f.grain.value, func.timezone(f.period.tz, at)), Date)

    def _timed_raw(self, seller_id: str, f: MeasureFilter, only: Any = None) -> Select[Any]:
        """(id, bucket, requested, authorized, received, refunded) of each return, raw."""
        where = [
            *return_conditions(seller_id, f),
            in_period(r.c.created_at, f),
            *some_item_matches(seller_id, f, r.c.id),
            h.c.to_status.in_(TIMED),
        ]
        if only is not None:
            where.append(r.c.id.in_(only))
        return (
            select(
                r.c.id.label("id"),
                self._bucket(r.c.created_at, f).label("at"),
                r.c.created_at.label("requested_at"),
                func.min(case((h.c.to_status == ReturnStatus.AUTHORIZED, h.c.at))).label(
                    "authorized_at"
                ),
                func.min(case((h.c.to_status.in_(RECEIVED), h.c.at))).label("received_at"),
                _refunded_at(r.c.id).label("refunded_at"),
            )
            .select_from(r)
            .join(h, and_(h.c.seller_id == r.c.seller_id, h.c.return_id == r.c.id))
            .where(*where)
            .group_by(r.c.id, r.c.seller_id, r.c.created_at)
        )

    def _pending(self, seller_id: str, f: MeasureFilter) -> list[str] | None:
        """The returns with history past the watermark, if the kept stages can answer ``f``.

        None: SQLite, a filter (the timings know no SKU, reason, facility or channel), a
        zone other than the seller's (the bins' days are in it), or a job that has not run
        for long (more than ``PENDING_AT_MOST`` such returns).
        """
        unfiltered = all(x is None for x in (f.sku, f.category, f.reason, f.facility, f.channel))
        if not (self.use_rollups and self.dialect == "postgresql" and unfiltered):
            return None
        if self.session.scalar(select(sellers.c.timezone).where(sellers.c.id == seller_id)) != (
            f.period.tz
        ):
            return None
        # A list, not a subquery: a few returns, found by their ids, not by a join.
        pending = list(
            self.session.scalars(
                select(h.c.return_id)
                .where(h.c.seller_id == seller_id, h.c.pk > self.timings_mark(seller_id))
                .distinct()
                .limit(PENDING_AT_MOST + 1)
            )
        )
        return None if len(pending) > PENDING_AT_MOST else pending

    def _durations(self, per_return: Any) -> Any:
        """(at, stage number, seconds) of every stage each return of ``per_return`` has."""
        stages = [
            (per_return.c.requested_at, per_return.c.authorized_at),
            (per_return.c.authorized_at, per_return.c.received_at),
            (per_return.c.received_at, per_return.c.refunded_at),
        ]
        return union_all(
            *[
                select(
                    per_return.c.at.label("at"),
                    literal(i).label("stage"),
                    seconds_between(start, end, self.dialect).label("seconds"),
                )
                .select_from(per_return)
                .where(start.is_not(None), end.is_not(None))
                for i, (start, end) in enumerate(stages)
            ]
        ).subquery()

    def speed(self, seller_id: str, f: MeasureFilter, fractions: Sequence[float]) -> list[Row]:
        """(bucket, stage, returns timed, then one nearest-rank percentile per fraction)."""
        pending = self._pending(seller_id, f)
        if pending is not None:
            raw: list[Row] = []
            if pending:
                timed = self._durations(self._timed_raw(seller_id, f, only=pending).subquery())
                raw = self._rows(
                    select(
                        timed.c.at,
                        timed.c.stage,
                        func.rma_stage_bin(timed.c.seconds),
                        timed.c.seconds,
                    )
                )
            found = binned_percentiles(self.session, seller_id, f, fractions, pending, raw)
        else:
            # Read three times below (once per stage): computed once, not three times.
            per_return = self._timed_raw(seller_id, f).cte("per_return").prefix_with("MATERIALIZED")
            found = self._rows(self._nearest_ranks(self._durations(per_return), fractions))
        return [(at, STAGES[stage], *rest) for at, stage, *rest in found]

    def _nearest_ranks(self, timed: Any, fractions: Sequence[float]) -> Any:
        """(bucket, stage, count, percentiles...) of ``timed``, read raw, by two windows."""
        ranked = select(
            timed.c.at,
            timed.c.stage,
            timed.c.seconds,
            func.row_number()
            .over(partition_by=(timed.c.at, timed.c.stage), order_by=timed.c.seconds)
            .label("rank"),
            func.count().over(partition_by=(timed.c.at, timed.c.stage)).label("n"),
        ).subquery()
        # Nearest rank: the smallest value whose rank reaches fraction x n.
        percentiles = [
            func.min(case((ranked.c.rank >= fraction * ranked.c.n, ranked.c.seconds)))
            for fraction in fractions
        ]
        return select(ranked.c.at, ranked.c.stage, func.max(ranked.c.n), *percentiles).group_by(
            ranked.c.at, ranked.c.stage
        )
