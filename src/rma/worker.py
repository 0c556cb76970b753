"""Scheduled jobs and the event worker: run by `rma jobs run-due`, `rma worker`, `rma serve`."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from rma.adapters.broker import AmqpBroker
from rma.adapters.email import FolderMailer, JinjaEmailComposer, SmtpMailer, make_mailer
from rma.adapters.partitions import PostgresPartitions
from rma.adapters.report_links import link_maker
from rma.adapters.webhooks import HttpxWebhookSender
from rma.bootstrap import Container
from rma.services.alerts import check_due_alerts
from rma.services.audit import seal_audit
from rma.services.broker import publish_events
from rma.services.clock import utcnow
from rma.services.integration_ports import BrokerUnavailable
from rma.services.outbox import (
    QueueOptions,
    deliver_webhooks,
    fan_out_events,
    next_lease_end,
    send_deliveries,
    send_emails,
)
from rma.services.partitions import (
    PARTITIONED_TABLES,
    PartitionPolicy,
    PartitionReport,
    maintain_partitions,
)
from rma.services.refunds import send_due_refunds
from rma.services.report_schedules import send_due_reports
from rma.services.returns import expire_due_returns
from rma.services.rollups import refresh_rollups
from rma.services.supplier_rmas import remind_and_escalate
from rma.services.tracking import flag_lost_returns
from rma.trust_wiring import audit_chains, audit_keys

log = logging.getLogger(__name__)


def run_due_jobs(container: Container) -> dict[str, int]:
    """Run each due job once; answer how many things each one handled."""
    expired = 0
    while batch := expire_due_returns(container.uow()):
        expired += batch
    lost = 0
    while batch := flag_lost_returns(container.uow(), container.settings.lost_after_days):
        lost += batch
    return {
        "expired_returns": expired,
        "lost_packages_flagged": lost,
        "refunds_asked": reconcile_refunds(container),
        "supplier_rmas_chased": remind_and_escalate(container.uow()),
        "shipments_rolled_up": refresh_rollups(container.uow),
        "analytics_alerts_raised": check_due_alerts(container.uow),
        "scheduled_reports_sent": send_due_reports(
            container.uow(), link_maker(container.signer, container.settings.base_url)
        ),
        "audit_entries_sealed": seal_audit(audit_chains(container), audit_keys(container)),
        # Last: it may give up on a lock held by a long transaction, and try again next run.
        "partitions_made_or_dropped": _partition_changes(maintain_partitions_now(container)),
    }


def maintain_partitions_now(container: Container) -> PartitionReport | None:
    """Make the coming months' partitions and drop expired ones (PostgreSQL; else None)."""
    if container.engine.dialect.name != "postgresql":
        return None
    settings = container.settings
    policy = PartitionPolicy(
        months_ahead=settings.partition_months_ahead,
        retention={t.name: getattr(settings, t.retention) for t in PARTITIONED_TABLES},
        awaiting_broker=settings.amqp_url is not None,
    )
    return maintain_partitions(PostgresPartitions(container.engine), policy, utcnow())


def _partition_changes(report: PartitionReport | None) -> int:
    return 0 if report is None else len(report.made) + len(report.dropped)


def reconcile_refunds(container: Container) -> int:
    """Ask the gateways about every pending refund that is due (first asks and retries)."""
    asked = 0
    while batch := send_due_refunds(container.uow(), container.payments):
        asked += batch
    return asked


def start_background_jobs(container: Container) -> threading.Thread | None:
    """Run due jobs every ``jobs_interval_seconds`` in a daemon thread (0 turns it off)."""
    interval = container.settings.jobs_interval_seconds
    if interval <= 0:
        return None
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                run_due_jobs(container)
            except Exception:  # a failed round is logged and retried on the next tick
                log.exception("due jobs failed")

    thread = threading.Thread(target=loop, name="rma-jobs", daemon=True)
    thread.start()
    return thread


class EventWorker:
    """Drains the outbox into webhook deliveries and emails, and sends them."""

    def __init__(self, container: Container):
        settings = container.settings
        self.container = container
        self.options = QueueOptions(
            batch_size=settings.worker_batch_size,
            lease=timedelta(seconds=settings.worker_lease_seconds),
            schedule=tuple(settings.webhook_retry_schedule),
        )
        self.composer = JinjaEmailComposer(
            container.signer,
            settings.base_url,
            settings.action_link_hours,
            settings.rma_page_link_days,
        )
        self.sender = HttpxWebhookSender(
            container.destinations,
            settings.webhook_timeout_seconds,
            settings.worker_concurrency,
        )
        self.mailer: SmtpMailer | FolderMailer = make_mailer(settings)
        self.broker = (
            AmqpBroker(settings.amqp_url, settings.amqp_exchange, settings.amqp_timeout_seconds)
            if settings.amqp_url
            else None
        )

    def publish_once(self) -> int:
        """Publish a batch of events to the broker, if one is set; a broker down waits."""
        if self.broker is None:
            return 0
        settings = self.container.settings
        try:
            return publish_events(
                self.container.uow(),
                self.broker,
                settings.worker_batch_size,
                set(settings.amqp_seller_ids),
            )
        except BrokerUnavailable as error:
            log.warning("events wait in the outbox: %s", error)
            return 0

    def run_once(self) -> dict[str, int]:
        """One round: a batch of each kind of work; answer how much each handled."""
        uow = self.container.uow
        fresh = fan_out_events(uow(), self.composer, self.options)
        sent = send_deliveries(uow(), self.sender, fresh.deliveries, self.options)
        return {
            "events": fresh.events,
            "webhooks": sent + deliver_webhooks(uow(), self.sender, self.options),
            "emails": send_emails(uow(), self.mailer, self.options),
            "refunds": send_due_refunds(uow(), self.container.payments),
            "published": self.publish_once(),
        }

    def drain(self) -> dict[str, int]:
        """Run rounds until nothing is due nor held by a worker; answer the totals.

        A row another worker holds is not done: if that worker is alive it records the
        outcome, if it died its lease runs out and the row is due again. Either way drain
        waits (checking every ``worker_idle_seconds``) rather than stop with work left.
        """
        totals = {"events": 0, "webhooks": 0, "emails": 0, "refunds": 0, "published": 0}
        last_look = False
        while True:
            done = self.run_once()
            for kind, count in done.items():
                totals[kind] += count
            if any(done.values()):
                last_look = False
                continue
            if last_look:
                return totals
            lease_end = next_lease_end(self.container.uow())
            if lease_end is None:
                # A lease may have run out between the round and this look (a slow round on
                # a busy machine): its row is due now, not held. One more round takes it.
                last_look = True
                continue
            wait = (lease_end - utcnow()).total_seconds()
            time.sleep(min(max(wait, 0.01), self.container.settings.worker_idle_seconds))

    def run(self, stop: threading.Event, lanes: int = 1) -> None:
        """Work in ``lanes`` threads until ``stop`` is set.

        Lanes overlap one batch's database work with another's requests in flight; they
        claim with ``SKIP LOCKED`` like separate workers, so they never share a row.
        """
        others = [
            threading.Thread(target=self._lane, args=(stop,), name=f"rma-lane-{n}")
            for n in range(1, lanes)
        ]
        for thread in others:
            thread.start()
        self._lane(stop)
        for thread in others:
            thread.join()

    def _lane(self, stop: threading.Event) -> None:
        settings = self.container.settings
        while not stop.is_set():
            try:
                done = list(self.run_once().values())
            except Exception:  # a failed round is logged; its leased rows come back later
                log.exception("event worker round failed")
                done = []
            if not any(done):
                stop.wait(settings.worker_idle_seconds)
            elif max(done) < settings.worker_batch_size:  # a trickle: let it gather
                stop.wait(settings.worker_gather_seconds)

    def close(self) -> None:
        self.sender.close()
        if self.broker is not None:
            self.broker.close()


def serve_runs_worker(container: Container) -> bool:
    """Whether `rma serve` runs the event worker itself (by default on SQLite only)."""
    setting = container.settings.serve_runs_worker
    if setting is not None:
        return setting
    return container.engine.dialect.name == "sqlite"


def start_event_worker(container: Container) -> threading.Event:
    """Run an event worker in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    worker = EventWorker(container)
    thread = threading.Thread(target=worker.run, args=(stop,), name="rma-events", daemon=True)
    thread.start()
    return stop
