"""An alert fires on an injected spike, not on noise, and reaches webhooks, email and the desk."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
from sqlalchemy import insert, select, update

from rma.adapters import orm, orm_events
from rma.adapters.email import JinjaEmailComposer
from rma.bootstrap import Container
from rma.domain.analytics import AlertRule, Counts, binomial_tail, judge_jump, poisson_tail
from rma.services.alerts import check_due_alerts
from rma.services.outbox import QueueOptions, fan_out_events
from rma.worker import run_due_jobs
from tests.analytics_world import Rows, a_return, item, order, shipment
from tests.support import Shop, ok, open_shop

MIDNIGHT = datetime.combine(datetime.now(UTC).date(), time(), UTC)


def stamp(days_ago: float) -> str:
    return (MIDNIGHT - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M")


def weeks_of_returns(
    container: Container, seller_id: str, recent_returned: int, recent_defective: int
) -> None:
    """Nine weeks of SKU LAMP: 100 units shipped a week, 5 returned (1 defective, 4 unwanted);
    the last week returns ``recent_returned``, of which ``recent_defective`` are defective."""
    rows = Rows(container, seller_id)
    for week in range(9):
        recent = week == 0
        number = f"W{week}"
        order_id = order(rows, number, f"c{week}@example.com", [("1", "LAMP", 100, 4000)])
        shipment(rows, order_id, f"S{week}", stamp(week * 7 + 3), [("1", 100)])
        returned = recent_returned if recent else 5
        defective = recent_defective if recent else 1
        for n in range(returned):
            ret = a_return(
                rows, f"{number}-{n}", order_id, f"c{week}@example.com", "authorized",
                stamp(week * 7 + 2 + n / 100), [],
            )  # fmt: skip
            reason = "CR-DEFECTIVE" if n < defective else "CR-UNWANTED_ITEM"
            item(rows, ret, f"itm_{number}_{n}", "1", "LAMP", quantity=1, price=4000, reason=reason)
    rows.write()


def test_the_tests_tail_probabilities_are_right() -> None:
    assert binomial_tail(3, 3, 0.5) == pytest.approx(0.125)
    assert binomial_tail(1, 2, 0.5) == pytest.approx(0.75)
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 0.1353352832366127)
    assert poisson_tail(60, 5.0) < 1e-30
    # 8 where 5 are expected is noise; 20 is not.
    assert not judge_jump(Counts(8, 100, 40, 800), AlertRule(), poisson=True).fires
    assert judge_jump(Counts(20, 100, 40, 800), AlertRule(), poisson=True).fires
    # Too few units to judge, however lopsided.
    assert not judge_jump(Counts(3, 3, 0, 800), AlertRule(), poisson=True).fires


@pytest.fixture
def shop(http: httpx.Client, container: Container) -> Shop:
    shop = open_shop(http)
    with container.engine.begin() as connection:
        connection.execute(
            update(orm.sellers)
            .where(orm.sellers.c.id == shop.seller_id)
            .values(notification_email="owner@shop.example")
        )
        connection.execute(
            insert(orm_events.webhook_endpoints).values(
                id="we_1", seller_id=shop.seller_id, url="https://hooks.example/rma",
                description="", event_types=["analytics.alert"], secret="whsec_x",
                enabled=True, disabled_reason="", created_at=MIDNIGHT, updated_at=MIDNIGHT,
            )
        )  # fmt: skip
    return shop


def test_a_spike_alerts_through_webhooks_email_and_the_desk(
    shop: Shop, container: Container
) -> None:
    weeks_of_returns(container, shop.seller_id, recent_returned=40, recent_defective=30)

    raised = ok(shop.call("POST", "/v1/analytics/alerts/check"))["data"]
    assert sorted((a["kind"], a["sku"], a["reason_code"]) for a in raised) == [
        ("reason_share", "LAMP", "CR-DEFECTIVE"),
        ("return_rate", "LAMP", None),
    ]
    rate = next(a for a in raised if a["kind"] == "return_rate")
    assert (rate["observed"], rate["trials"]) == (40, 100)
    assert rate["evidence"]["baseline"] == {"observed": 40, "trials": 800, "days": 56}
    assert rate["p_value"] < 1e-9
    # Checking again in the same window tells nothing new.
    assert ok(shop.call("POST", "/v1/analytics/alerts/check"))["data"] == []
    listed = ok(shop.call("GET", "/v1/analytics/alerts"))
    assert listed["unseen"] == 2

    with container.engine.connect() as connection:
        outbox = connection.execute(
            select(orm.outbox.c.event_type, orm.outbox.c.payload).where(
                orm.outbox.c.seller_id == shop.seller_id
            )
        ).all()
        emails = connection.execute(
            select(orm_events.email_messages.c.recipient, orm_events.email_messages.c.subject)
        ).all()
    assert [t for t, _ in outbox] == ["analytics.alert", "analytics.alert"]
    assert {p["data"]["sku"] for _, p in outbox} == {"LAMP"}
    assert emails == [("owner@shop.example", "Returns alert: LAMP")] * 2

    composer = JinjaEmailComposer(container.signer, "http://rma.test", 24)
    fanned = fan_out_events(container.uow(), composer, QueueOptions())
    assert fanned.events == 2
    assert [d.endpoint_id for d in fanned.deliveries] == ["we_1", "we_1"]

    assert shop.call("POST", "/v1/analytics/alerts/seen").status_code == 204
    assert ok(shop.call("GET", "/v1/analytics/alerts"))["unseen"] == 0


def test_noise_raises_no_alert(shop: Shop, container: Container) -> None:
    # 8 returned where 5 are usual, 2 of them defective where 1 is usual: within chance.
    weeks_of_returns(container, shop.seller_id, recent_returned=8, recent_defective=2)
    assert ok(shop.call("POST", "/v1/analytics/alerts/check"))["data"] == []
    assert ok(shop.call("GET", "/v1/analytics/alerts")) == {"data": [], "unseen": 0}


def test_the_due_jobs_check_each_seller_once_a_day(shop: Shop, container: Container) -> None:
    weeks_of_returns(container, shop.seller_id, recent_returned=40, recent_defective=30)

    assert run_due_jobs(container)["analytics_alerts_raised"] == 2
    listed = ok(shop.call("GET", "/v1/analytics/alerts"))
    assert sorted(a["kind"] for a in listed["data"]) == ["reason_share", "return_rate"]
    assert listed["unseen"] == 2
    # Every minute after, the day is known to be checked: nothing is tested again.
    with container.uow() as uow:
        assert uow.alerts.unchecked_sellers(MIDNIGHT) == []
    assert run_due_jobs(container)["analytics_alerts_raised"] == 0
    # The next day has a window of its own, so the seller is due again.
    tomorrow = MIDNIGHT + timedelta(days=1, hours=1)
    with container.uow() as uow:
        assert uow.alerts.unchecked_sellers(MIDNIGHT + timedelta(days=1)) == [shop.seller_id]
    check_due_alerts(container.uow, tomorrow)
    with container.uow() as uow:
        assert uow.alerts.unchecked_sellers(MIDNIGHT + timedelta(days=1)) == []


def test_the_due_jobs_raise_nothing_on_noise(shop: Shop, container: Container) -> None:
    weeks_of_returns(container, shop.seller_id, recent_returned=8, recent_defective=2)
    assert run_due_jobs(container)["analytics_alerts_raised"] == 0
    assert ok(shop.call("GET", "/v1/analytics/alerts")) == {"data": [], "unseen": 0}
