"""Use cases of alerts: test each SKU against its own baseline, tell the seller, list alerts.

The recent window is the last ``recent_days`` whole days (UTC), the baseline the
``baseline_days`` before it. A SKU's return rate is tested as Poisson counts (units returned
this week come from older shipments too); a reason's share of a SKU's returned units is
binomial. A fired test becomes an alert with its evidence, an ``analytics.alert`` event in
the outbox (so webhooks get it) and an email to the seller's notification address, all in
one transaction; the same SKU, kind, reason and window never alert twice.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from rma.domain.analytics import AlertKind, AlertRule, Counts, judge_jump
from rma.domain.analytics_alerts import Alert
from rma.domain.errors import NotFound
from rma.domain.ids import new_id
from rma.services.clock import utcnow
from rma.services.event_ports import NewEmail
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CheckAlerts:
    """Test every SKU of ``seller_id``; the windows end at the UTC midnight before ``now``."""

    seller_id: str
    now: datetime | None = None
    rule: AlertRule = field(default_factory=AlertRule)


def window_end(now: datetime) -> datetime:
    """The end of the last whole UTC day before ``now``: where the windows end."""
    return datetime.combine(now.astimezone(UTC).date(), time(), UTC)


def check_due_alerts(uow_factory: Callable[[], UnitOfWork], now: datetime | None = None) -> int:
    """Check every seller not checked yet for today's window (the due job); answer alerts.

    Each seller is checked in a transaction of its own, once per UTC day however often the
    job runs: the check records the window it covered.
    """
    moment = now or utcnow()
    with uow_factory() as uow:
        due = uow.alerts.unchecked_sellers(window_end(moment))
    return sum(len(check_alerts(CheckAlerts(seller, moment), uow_factory())) for seller in due)


def check_alerts(cmd: CheckAlerts, uow: UnitOfWork) -> list[Alert]:
    """Raise (and tell) the alerts the counts call for; answer the new ones."""
    rule = cmd.rule
    end = window_end(cmd.now or utcnow())
    split = end - timedelta(days=rule.recent_days)
    start = split - timedelta(days=rule.baseline_days)
    with uow:
        seller = uow.sellers.get(cmd.seller_id)
        if seller is None:
            raise NotFound("no such seller")
        returned, shipped = uow.alerts.window_counts(cmd.seller_id, start, split, end)
        already = uow.alerts.raised(cmd.seller_id, end)
        candidates = _candidates(returned, shipped, rule)
        raised = []
        for (kind, sku, reason), counts in candidates:
            if (kind.value, sku, reason) in already:
                continue
            verdict = judge_jump(counts, rule, poisson=kind is AlertKind.RETURN_RATE)
            if not verdict.fires:
                continue
            alert = Alert.raise_for(
                (new_id("alr"), cmd.seller_id), (kind, sku, reason), (split, end), counts,
                verdict, rule,
            )  # fmt: skip
            uow.alerts.add(alert)
            raised.append(alert)
        if raised and seller.notification_email:
            uow.emails.add_all(
                [_email(alert, seller.notification_email) for alert in raised], utcnow()
            )
        uow.alerts.mark_checked(cmd.seller_id, end, utcnow())
        uow.commit()
    return raised


def list_alerts(seller_id: str, uow: UnitOfWork, limit: int = 50) -> tuple[list[Alert], int]:
    """The latest alerts, newest first, and how many the seller has not seen yet."""
    with uow:
        return uow.alerts.recent(seller_id, limit), uow.alerts.unseen(seller_id)


def mark_alerts_seen(seller_id: str, uow: UnitOfWork) -> int:
    """Mark every alert seen (the desk's badge goes); answer how many were new."""
    with uow:
        count = uow.alerts.mark_seen(seller_id, utcnow())
        uow.commit()
    return count


def _candidates(
    returned: list[tuple[object, ...]], shipped: list[tuple[object, ...]], rule: AlertRule
) -> list[tuple[tuple[AlertKind, str, str], Counts]]:
    per_sku: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_reason: dict[tuple[str, str], list[int]] = {}
    for sku, reason, recent, baseline in returned:
        units = per_sku[str(sku)]
        units[0] += int(str(recent or 0))
        units[1] += int(str(baseline or 0))
        per_reason[(str(sku), str(reason))] = [int(str(recent or 0)), int(str(baseline or 0))]
    sent = {str(sku): (int(str(recent or 0)), int(str(base or 0))) for sku, recent, base in shipped}
    found = []
    for sku, (recent, baseline) in sorted(per_sku.items()):
        out_recent, out_baseline = sent.get(sku, (0, 0))
        if out_recent >= rule.min_trials:
            found.append(
                (
                    (AlertKind.RETURN_RATE, sku, ""),
                    Counts(recent, out_recent, baseline, out_baseline),
                )
            )
    for (sku, reason), (recent, baseline) in sorted(per_reason.items()):
        all_recent, all_baseline = per_sku[sku]
        if all_recent >= rule.min_trials:
            found.append(
                (
                    (AlertKind.REASON_SHARE, sku, reason),
                    Counts(recent, all_recent, baseline, all_baseline),
                )
            )
    return found


def _email(alert: Alert, recipient: str) -> NewEmail:
    subject, text = alert.message()
    body = "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n") if part)
    return NewEmail(
        new_id("eml"), alert.seller_id, alert.id, "seller", recipient, subject, text, body
    )
