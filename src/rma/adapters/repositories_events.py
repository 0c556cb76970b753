"""SQL storage of the event pipeline: the outbox, endpoints, delivery and email queues.

Claims lock due rows with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's write lock
serializes instead) and lease them by pushing ``next_attempt_at`` past the claim, so many
workers share the queues and each row has one owner at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from rma.adapters import orm
from rma.adapters.orm_events import (
    email_messages,
    used_action_tokens,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)
from rma.domain.webhooks import Attempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from rma.services.event_ports import (
    AttemptOutcome,
    ClaimedDelivery,
    ClaimedEmail,
    NewDelivery,
    NewEmail,
    OutboxEvent,
    ReturnContact,
    webhook_body,
)


class SqlOutbox:
    def __init__(self, session: Session):
        self.session = session

    def claim(self, limit: int) -> list[OutboxEvent]:
        c = orm.outbox.c
        query = (
            select(orm.outbox)
            .where(c.processed_at.is_(None))
            .order_by(c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_event(row) for row in self.session.execute(query)]

    def mark_processed(self, event_ids: Sequence[str], now: datetime) -> None:
        c = orm.outbox.c
        self.session.execute(
            update(orm.outbox).where(c.id.in_(list(event_ids))).values(processed_at=now)
        )

    def page(
        self, seller_id: str, *, event_type: str | None, after: str | None, limit: int
    ) -> list[OutboxEvent]:
        c = orm.outbox.c
        query = select(orm.outbox).where(c.seller_id == seller_id)
        if event_type is not None:
            query = query.where(c.event_type == event_type)
        if after is not None:
            query = query.where(c.id < after)
        return [
            _event(row) for row in self.session.execute(query.order_by(c.id.desc()).limit(limit))
        ]

    def get(self, seller_id: str, event_id: str) -> OutboxEvent | None:
        c = orm.outbox.c
        row = self.session.execute(
            select(orm.outbox).where(c.seller_id == seller_id, c.id == event_id)
        ).first()
        return _event(row) if row else None

    def contacts(self, return_ids: Sequence[tuple[str, str]]) -> dict[str, ReturnContact]:
        wanted = set(return_ids)
        if not wanted:
            return {}
        c = orm.returns.c
        rows = self.session.execute(
            select(
                c.seller_id, c.id, c.customer_email, c.rma_number, c.order_number, c.status
            ).where(c.seller_id.in_({s for s, _ in wanted}), c.id.in_({r for _, r in wanted}))
        )
        return {
            row.id: ReturnContact(row.id, *row[2:5], str(row.status))
            for row in rows
            if (row.seller_id, row.id) in wanted  # the cross product may hold strangers
        }


class SqlWebhookEndpoints:
    def __init__(self, session: Session):
        self.session = session

    def add(self, endpoint: WebhookEndpoint) -> None:
        self.session.add(endpoint)

    def get(self, seller_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        c = webhook_endpoints.c
        query = select(WebhookEndpoint).where(c.seller_id == seller_id, c.id == endpoint_id)
        return self.session.scalars(query).first()

    def all(self, seller_id: str) -> list[WebhookEndpoint]:
        c = webhook_endpoints.c
        query = select(WebhookEndpoint).where(c.seller_id == seller_id).order_by(c.id)
        return list(self.session.scalars(query))

    def enabled_for(self, seller_ids: Sequence[str]) -> list[WebhookEndpoint]:
        c = webhook_endpoints.c
        query = select(WebhookEndpoint).where(
            c.seller_id.in_(list(set(seller_ids))), c.enabled.is_(True)
        )
        return list(self.session.scalars(query))

    def delete(self, endpoint: WebhookEndpoint) -> None:
        # The delivery log goes with the endpoint; the events stay in the outbox.
        d = webhook_deliveries.c
        a = webhook_attempts.c
        ids = select(d.id).where(d.seller_id == endpoint.seller_id, d.endpoint_id == endpoint.id)
        self.session.execute(
            delete(webhook_attempts).where(
                a.seller_id == endpoint.seller_id, a.delivery_id.in_(ids)
            )
        )
        self.session.execute(
            delete(webhook_deliveries).where(
                d.seller_id == endpoint.seller_id, d.endpoint_id == endpoint.id
            )
        )
        self.session.delete(endpoint)


class SqlDeliveries:
    def __init__(self, session: Session):
        self.session = session

    def add_all(
        self, deliveries: Sequence[NewDelivery], now: datetime, *, lease_until: datetime
    ) -> None:
        # Inserted as leased to the worker fanning out, which makes the first attempt.
        if not deliveries:
            return
        rows = [
            {
                "id": d.id,
                "seller_id": d.seller_id,
                "endpoint_id": d.endpoint_id,
                "event_id": d.event.id,
                "event_type": d.event.type,
                "payload": d.event.envelope(),
                "status": DeliveryStatus.PENDING,
                "attempts": 1,
                "next_attempt_at": lease_until,
                "leased_until": lease_until,
                "created_at": now,
            }
            for d in deliveries
        ]
        self.session.execute(insert(webhook_deliveries), rows)

    def claim_due(self, now: datetime, limit: int, lease_until: datetime) -> list[ClaimedDelivery]:
        d = webhook_deliveries.c
        e = webhook_endpoints.c
        due = (
            select(d.id)
            .where(d.status == DeliveryStatus.PENDING, d.next_attempt_at <= now)
            .order_by(d.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(self.session.scalars(due))
        if not ids:
            return []
        self.session.execute(
            update(webhook_deliveries)
            .where(d.id.in_(ids))
            .values(attempts=d.attempts + 1, next_attempt_at=lease_until, leased_until=lease_until)
        )
        rows = self.session.execute(
            select(
                d.id,
                d.seller_id,
                d.endpoint_id,
                d.payload,
                d.attempts,
                e.url,
                e.secret,
                e.previous_secret,
                e.previous_secret_expires_at,
                e.enabled,
            )
            .join(
                webhook_endpoints,
                and_(e.seller_id == d.seller_id, e.id == d.endpoint_id),
            )
            .where(d.id.in_(ids))
        )
        claimed = []
        for row in rows:
            secrets = [row.secret]
            expires = row.previous_secret_expires_at
            if row.previous_secret and expires is not None and now < expires:
                secrets.append(row.previous_secret)
            claimed.append(
                ClaimedDelivery(
                    id=row.id,
                    seller_id=row.seller_id,
                    endpoint_id=row.endpoint_id,
                    url=row.url,
                    secrets=secrets,
                    body=webhook_body(row.payload),
                    attempts=row.attempts,
                    endpoint_enabled=row.enabled,
                )
            )
        return claimed

    def record(self, outcomes: Sequence[AttemptOutcome], now: datetime) -> None:
        if not outcomes:
            return
        self.session.execute(
            insert(webhook_attempts),
            [
                {
                    "seller_id": o.seller_id,
                    "delivery_id": o.delivery_id,
                    "at": o.attempt.at,
                    "status_code": o.attempt.status_code,
                    "duration_ms": o.attempt.duration_ms,
                    "error": o.attempt.error[:500],
                    "response_excerpt": o.attempt.response_excerpt[:1000],
                }
                for o in outcomes
            ],
        )
        d = webhook_deliveries.c
        succeeded = [o.delivery_id for o in outcomes if o.status is DeliveryStatus.SUCCEEDED]
        if succeeded:  # the common case, in one statement
            self.session.execute(
                update(webhook_deliveries)
                .where(d.id.in_(succeeded))
                .values(
                    status=DeliveryStatus.SUCCEEDED,
                    next_attempt_at=None,
                    leased_until=None,
                    delivered_at=now,
                )
            )
        others = [o for o in outcomes if o.status is not DeliveryStatus.SUCCEEDED]
        if others:
            self.session.connection().execute(
                update(webhook_deliveries)
                .where(d.id == bindparam("b_id"))
                .values(
                    status=bindparam("b_status"),
                    next_attempt_at=bindparam("b_next"),
                    leased_until=None,
                ),
                [
                    {"b_id": o.delivery_id, "b_status": o.status, "b_next": o.next_attempt_at}
                    for o in others
                ],
            )

    def page(
        self, seller_id: str, endpoint_id: str, *, after: str | None, limit: int
    ) -> list[WebhookDelivery]:
        d = webhook_deliveries.c
        query = select(webhook_deliveries).where(
            d.seller_id == seller_id, d.endpoint_id == endpoint_id
        )
        if after is not None:
            query = query.where(d.id < after)
        rows = list(self.session.execute(query.order_by(d.id.desc()).limit(limit)))
        log = self._attempts(seller_id, [row.id for row in rows])
        return [_delivery(row, log.get(row.id, [])) for row in rows]

    def get(self, seller_id: str, delivery_id: str) -> WebhookDelivery | None:
        d = webhook_deliveries.c
        row = self.session.execute(
            select(webhook_deliveries).where(d.seller_id == seller_id, d.id == delivery_id)
        ).first()
        if row is None:
            return None
        return _delivery(row, self._attempts(seller_id, [delivery_id]).get(delivery_id, []))

    def requeue(self, seller_id: str, delivery_id: str, now: datetime) -> None:
        d = webhook_deliveries.c
        self.session.execute(
            update(webhook_deliveries)
            .where(d.seller_id == seller_id, d.id == delivery_id)
            .values(
                status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, leased_until=None
            )
        )

    def lease_ends(self, now: datetime) -> datetime | None:
        d = webhook_deliveries.c
        held = d.status == DeliveryStatus.PENDING, d.leased_until > now
        end: datetime | None = self.session.scalar(select(func.min(d.leased_until)).where(*held))
        return end

    def count_by_endpoint(self, seller_id: str) -> dict[str, int]:
        d = webhook_deliveries.c
        rows = self.session.execute(
            select(d.endpoint_id, func.count())
            .where(d.seller_id == seller_id)
            .group_by(d.endpoint_id)
        )
        return {str(endpoint): count for endpoint, count in rows}

    def _attempts(self, seller_id: str, delivery_ids: list[str]) -> dict[str, list[Attempt]]:
        a = webhook_attempts.c
        rows = self.session.execute(
            select(webhook_attempts)
            .where(a.seller_id == seller_id, a.delivery_id.in_(delivery_ids))
            .order_by(a.pk)
        )
        log: dict[str, list[Attempt]] = {}
        for row in rows:
            log.setdefault(row.delivery_id, []).append(
                Attempt(row.at, row.status_code, row.duration_ms, row.error, row.response_excerpt)
            )
        return log


class SqlEmails:
    def __init__(self, session: Session):
        self.session = session

    def add_all(self, emails: Sequence[NewEmail], now: datetime) -> None:
        if not emails:
            return
        rows = [
            {
                **email.__dict__,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
            }
            for email in emails
        ]
        self.session.execute(insert(email_messages), rows)

    def claim_due(self, now: datetime, limit: int, lease_until: datetime) -> list[ClaimedEmail]:
        m = email_messages.c
        due = (
            select(m.id)
            .where(m.status == DeliveryStatus.PENDING, m.next_attempt_at <= now)
            .order_by(m.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(self.session.scalars(due))
        if not ids:
            return []
        self.session.execute(
            update(email_messages)
            .where(m.id.in_(ids))
            .values(attempts=m.attempts + 1, next_attempt_at=lease_until, leased_until=lease_until)
        )
        rows = self.session.execute(
            select(
                m.id,
                m.recipient,
                m.subject,
                m.text_body,
                m.html_body,
                m.attempts,
                m.sender_name,
                m.reply_to,
            ).where(m.id.in_(ids))
        )
        return [ClaimedEmail(*row) for row in rows]

    def lease_ends(self, now: datetime) -> datetime | None:
        m = email_messages.c
        held = m.status == DeliveryStatus.PENDING, m.leased_until > now
        end: datetime | None = self.session.scalar(select(func.min(m.leased_until)).where(*held))
        return end

    def record_sent(self, email_id: str, now: datetime) -> None:
        m = email_messages.c
        self.session.execute(
            update(email_messages)
            .where(m.id == email_id)
            .values(
                status=DeliveryStatus.SUCCEEDED,
                sent_at=now,
                next_attempt_at=None,
                leased_until=None,
            )
        )

    def record_failure(
        self, email_id: str, error: str, status: DeliveryStatus, next_attempt_at: datetime | None
    ) -> None:
        m = email_messages.c
        self.session.execute(
            update(email_messages)
            .where(m.id == email_id)
            .values(
                status=status,
                last_error=error[:500],
                next_attempt_at=next_attempt_at,
                leased_until=None,
            )
        )


class SqlActionTokens:
    def __init__(self, session: Session):
        self.session = session

    def used(self, token_id: str) -> bool:
        c = used_action_tokens.c
        return (
            self.session.execute(select(c.token_id).where(c.token_id == token_id)).first()
            is not None
        )


def _event(row: Any) -> OutboxEvent:
    return OutboxEvent(
        row.id, row.seller_id, row.event_type, row.aggregate_id, row.payload, row.occurred_at
    )


def _delivery(row: Any, attempts: list[Attempt]) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        seller_id=row.seller_id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        attempt_log=attempts,
    )
