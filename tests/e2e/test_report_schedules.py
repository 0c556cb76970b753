"""A weekly report by email: one send per period, a signed link that downloads it, then expires."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select

from rma.adapters.orm_events import email_messages
from rma.adapters.report_links import link_maker
from rma.bootstrap import Container
from rma.domain.reports import Report
from rma.services.report_schedules import ReportLink, send_due_reports
from tests import analytics_world
from tests.analytics_world import at
from tests.support import Shop, error_code, ok, open_shop


@pytest.fixture
def shop(http: httpx.Client, container: Container) -> Shop:
    shop = open_shop(http)
    analytics_world.build(container, shop.seller_id)
    return shop


def test_a_weekly_report_is_mailed_once_with_a_link_that_downloads_it(
    shop: Shop, container: Container, http: httpx.Client, server_url: str
) -> None:
    body = {"report": "returns", "frequency": "weekly", "recipient": "books@shop.example"}
    created = ok(shop.call("POST", "/v1/report-schedules", json=body), 201)
    assert ok(shop.call("GET", "/v1/report-schedules"))["data"][0]["id"] == created["id"]

    links = link_maker(container.signer, server_url)
    monday = at("2026-03-02 15:00")  # 10:00 in New York: the week of 23 Feb to 1 Mar is over
    assert send_due_reports(container.uow(), links, now=monday) == 1
    assert send_due_reports(container.uow(), links, now=monday + timedelta(hours=5)) == 0
    with container.engine.connect() as connection:
        mails = connection.execute(
            select(email_messages.c.recipient, email_messages.c.subject, email_messages.c.text_body)
        ).all()
    assert [(m.recipient, m.subject) for m in mails] == [
        ("books@shop.example", "Shop: returns report, 2026-02-23 to 2026-03-01")
    ]
    url = re.search(r"(http\S+)", mails[0].text_body)
    assert url is not None

    # No key needed: the signed link is the credential.
    download = http.get(url.group(1).removeprefix(server_url))
    assert download.status_code == 200, download.text
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [r["rma_number"] for r in rows] == ["RMA-R2"]  # 28 Feb in New York

    tampered = url.group(1).removeprefix(server_url).replace("t=", "t=x")
    # The link is opened by a person: an altered one answers a page, not JSON.
    refused = http.get(tampered)
    assert refused.status_code == 404
    assert refused.headers["content-type"].startswith("text/html")
    expired = links(
        ReportLink(shop.seller_id, Report.RETURNS, date(2026, 2, 23), date(2026, 3, 1), monday)
    )
    gone = http.get(expired.removeprefix(server_url))
    assert gone.status_code == 404
    assert "expired" in gone.text

    # The next week goes out the Monday after.
    assert send_due_reports(container.uow(), links, now=monday + timedelta(days=7)) == 1
    assert shop.call("DELETE", f"/v1/report-schedules/{created['id']}").status_code == 204
    assert send_due_reports(container.uow(), links, now=monday + timedelta(days=14)) == 0


def test_bad_schedules_are_refused_naming_the_field(shop: Shop) -> None:
    for body, field in (
        ({"report": "returns", "frequency": "daily", "recipient": "a@b.c"}, "body.frequency"),
        ({"report": "nope", "frequency": "weekly", "recipient": "a@b.c"}, "body.report"),
        ({"report": "returns", "frequency": "weekly", "recipient": "nobody"}, "body.recipient"),
    ):
        response = shop.call("POST", "/v1/report-schedules", json=body)
        assert error_code(response, 422) == "invalid_input"
        assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert error_code(shop.call("DELETE", "/v1/report-schedules/rsc_other"), 404) == "not_found"
