"""The event pipeline: outbox rows fan out into deliveries and emails, which are then sent.

Fanning out marks the outbox row processed in the same transaction that creates its
deliveries and emails, so an event is never lost nor fanned out twice. Sending claims due
rows under a lease, works outside any transaction, then records each outcome.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rma.domain.ids import new_id
from rma.domain.sellers import Seller
from rma.domain.webhooks import (
    CUSTOMER_EMAIL_EVENTS,
    SELLER_MUST_KNOW_EVENTS,
    SUPPLIER_EMAIL_EVENTS,
    Attempt,
    DeliveryStatus,
    WebhookEndpoint,
    after_attempt,
)
from rma.services.clock import utcnow
from rma.services.event_ports import (
    AttemptOutcome,
    ClaimedDelivery,
    EmailComposer,
    Mailer,
    NewDelivery,
    NewEmail,
    OutboxEvent,
    ReturnContact,
    WebhookSender,
    webhook_body,
)
from rma.services.tracker import story_for_email
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class QueueOptions:
    """How a worker takes work: batch size, lease, and the retry schedule in seconds."""

    batch_size: int = 200
    lease: timedelta = timedelta(seconds=60)
    schedule: tuple[int, ...] = (5, 30, 120)


@dataclass(frozen=True)
class FanOut:
    """What one fan-out did: events handled, and the new deliveries leased to this worker."""

    events: int
    deliveries: list[ClaimedDelivery]


def fan_out_events(uow: UnitOfWork, composer: EmailComposer, options: QueueOptions) -> FanOut:
    """Turn a batch of new events into webhook deliveries and emails.

    The new deliveries come back already leased to the caller, which sends them at once
    (``send_deliveries``) instead of claiming them again; if it dies first, the lease runs
    out and any worker picks them up.
    """
    now = utcnow()
    with uow:
        batch = uow.outbox.claim(options.batch_size)
        if not batch:
            return FanOut(0, [])
        endpoints: dict[str, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in uow.webhook_endpoints.enabled_for([e.seller_id for e in batch]):
            endpoints[endpoint.seller_id].append(endpoint)
        pairs = [
            (NewDelivery(new_id("msg"), event.seller_id, endpoint.id, event), endpoint)
            for event in batch
            for endpoint in endpoints[event.seller_id]
            if endpoint.wants(event.type)
        ]
        uow.deliveries.add_all([new for new, _ in pairs], now, lease_until=now + options.lease)
        uow.emails.add_all(_emails(uow, composer, batch), now)
        uow.outbox.mark_processed([event.id for event in batch], now)
        uow.commit()
    leased = [
        ClaimedDelivery(
            id=new.id,
            seller_id=new.seller_id,
            endpoint_id=endpoint.id,
            url=endpoint.url,
            secrets=endpoint.signing_secrets(now),
            body=webhook_body(new.event.envelope()),
            attempts=1,
            endpoint_enabled=True,
        )
        for new, endpoint in pairs
    ]
    return FanOut(len(batch), leased)


def deliver_webhooks(uow: UnitOfWork, sender: WebhookSender, options: QueueOptions) -> int:
    """Claim the due webhook deliveries of one batch and send them; answer how many."""
    now = utcnow()
    with uow:
        claimed = uow.deliveries.claim_due(now, options.batch_size, now + options.lease)
        uow.commit()
    return send_deliveries(uow, sender, claimed, options)


def send_deliveries(
    uow: UnitOfWork,
    sender: WebhookSender,
    claimed: Sequence[ClaimedDelivery],
    options: QueueOptions,
) -> int:
    """Send deliveries leased to this worker and record every attempt; answer how many."""
    if not claimed:
        return 0
    live = [d for d in claimed if d.endpoint_enabled]
    attempts = dict(zip((d.id for d in live), sender.send_all(live), strict=True))
    done = utcnow()
    outcomes = []
    gone: set[tuple[str, str]] = set()
    for delivery in claimed:
        attempt = attempts.get(delivery.id) or Attempt(done, None, 0, error="endpoint disabled")
        if delivery.endpoint_enabled:
            status, next_at = after_attempt(attempt, delivery.attempts, options.schedule, done)
        else:
            status, next_at = DeliveryStatus.FAILED, None
        if attempt.status_code == 410:
            gone.add((delivery.seller_id, delivery.endpoint_id))
        outcomes.append(AttemptOutcome(delivery.id, delivery.seller_id, attempt, status, next_at))
    with uow:
        uow.deliveries.record(outcomes, done)
        for seller_id, endpoint_id in gone:
            endpoint = uow.webhook_endpoints.get(seller_id, endpoint_id)
            if endpoint is not None:
                endpoint.disable("the endpoint answered 410 Gone", done)
        uow.commit()
    return len(claimed)


def next_lease_end(uow: UnitOfWork) -> datetime | None:
    """When the first row a worker holds (alive or dead) comes back to the queue, if any."""
    now = utcnow()
    with uow:
        ends = [uow.deliveries.lease_ends(now), uow.emails.lease_ends(now)]
    held = [end for end in ends if end is not None]
    return min(held) if held else None


def send_emails(uow: UnitOfWork, mailer: Mailer, options: QueueOptions) -> int:
    """Send the due emails of one batch; answer how many were attempted."""
    now = utcnow()
    with uow:
        claimed = uow.emails.claim_due(now, options.batch_size, now + options.lease)
        uow.commit()
    for email in claimed:
        try:
            mailer.send(email)
        except Exception as error:  # any failure of the mail system is retried, then failed
            with uow:
                status, next_at = _email_retry(email.attempts, options.schedule, utcnow())
                uow.emails.record_failure(
                    email.id, f"{type(error).__name__}: {error}", status, next_at
                )
                uow.commit()
            continue
        with uow:
            uow.emails.record_sent(email.id, utcnow())
            uow.commit()
    return len(claimed)


def _email_retry(
    attempts: int, schedule: Sequence[int], now: datetime
) -> tuple[DeliveryStatus, datetime | None]:
    if attempts > len(schedule):
        return DeliveryStatus.FAILED, None
    return DeliveryStatus.PENDING, now + timedelta(seconds=schedule[attempts - 1])


def _emails(uow: UnitOfWork, composer: EmailComposer, batch: list[OutboxEvent]) -> list[NewEmail]:
    sellers: dict[str, Seller | None] = {}
    for event in batch:
        if event.seller_id not in sellers:
            sellers[event.seller_id] = uow.sellers.get(event.seller_id)
    wanted: list[tuple[OutboxEvent, str, str]] = []
    for event in batch:
        seller = sellers[event.seller_id]
        if seller is None:
            continue
        if event.type in CUSTOMER_EMAIL_EVENTS:
            wanted.append((event, "customer", ""))
        told = event.type in seller.email_preferences or event.type in SELLER_MUST_KNOW_EVENTS
        if seller.notification_email and told:
            wanted.append((event, "seller", seller.notification_email))
        supplier = event.payload.get("data", {}).get("contact_email")
        if event.type in SUPPLIER_EMAIL_EVENTS and supplier:
            wanted.append((event, "supplier", str(supplier)))
    if not wanted:
        return []
    contacts = uow.outbox.contacts([(e.seller_id, e.return_id) for e, _, _ in wanted])
    emails = []
    for event, audience, recipient in wanted:
        contact = contacts.get(event.return_id)
        seller = sellers[event.seller_id]
        if contact is None or seller is None:
            continue
        email = _compose(uow, composer, event, audience, contact, seller, recipient)
        if email is not None:
            emails.append(email)
    return emails


def _compose(
    uow: UnitOfWork,
    composer: EmailComposer,
    event: OutboxEvent,
    audience: str,
    contact: ReturnContact,
    seller: Seller,
    recipient: str,
) -> NewEmail | None:
    story = None
    if audience == "customer":
        # The customer's email tells the return's story: items, links, address, money.
        story = story_for_email(seller.id, event.return_id, uow)
    rendered = composer.compose(event, audience, contact, seller.name, story)
    if rendered is None:
        return None
    subject, text, html = rendered
    recipient = contact.customer_email if audience == "customer" else recipient
    return NewEmail(
        new_id("eml"),
        event.seller_id,
        event.id,
        audience,
        recipient,
        subject,
        text,
        html,
        sender_name=seller.name if audience == "customer" else "",
        reply_to=story.reply_to if story is not None else "",
    )
