"""RMA page links expire, can be reissued, and an altered or old one shows a page, not data."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import httpx

from rma.adapters.page_links import PURPOSE, PageLinks
from rma.bootstrap import Container
from tests.physical_support import authorized_return
from tests.support import ok, open_shop


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _links(http: httpx.Client) -> tuple[dict[str, Any], dict[str, str]]:
    shop = open_shop(http)
    ret = authorized_return(shop, "L-1")
    return ret, ok(shop.call("GET", f"/v1/returns/{ret['id']}/links"))


def test_a_fresh_link_opens_the_page_and_its_label(http: httpx.Client) -> None:
    ret, links = _links(http)

    page = http.get(_path(links["page_url"]))
    label = http.get(_path(links["label_url"]))

    assert page.status_code == 200
    assert ret["rma_number"] in page.text
    assert label.status_code == 200
    assert label.headers["content-type"] == "application/pdf"


def test_an_expired_link_shows_a_page_that_says_so_and_nothing_of_the_return(
    http: httpx.Client, container: Container
) -> None:
    ret, _ = _links(http)
    old = PageLinks(container.signer, "", timedelta(days=-1))
    path = old.path(SimpleNamespace(id=ret["id"], rma_number=ret["rma_number"]))  # type: ignore[arg-type]

    for answer in (http.get(path), http.get(path.replace("?t=", "/label.pdf?t=", 1))):
        assert answer.status_code == 410
        assert answer.headers["content-type"].startswith("text/html")
        assert "expired" in answer.text
        assert ret["id"] not in answer.text


def test_altered_and_unexpiring_links_are_not_found_as_a_page(
    http: httpx.Client, container: Container
) -> None:
    ret, links = _links(http)
    tampered = _path(links["page_url"])[:-3] + "xyz"
    forever = container.signer.sign(PURPOSE, {"r": ret["id"]})  # as links were made before

    for path in (tampered, f"/rma/{ret['rma_number']}?t={forever}"):
        answer = http.get(path)
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert ret["id"] not in answer.text


def test_links_are_reissued_and_live_180_days_by_default(
    http: httpx.Client, container: Container
) -> None:
    ret, first = _links(http)
    shop = open_shop(http, "Other")  # another seller cannot ask for them
    assert shop.call("GET", f"/v1/returns/{ret['id']}/links").status_code == 404

    token = urlsplit(first["page_url"]).query.removeprefix("t=")
    days_left = (container.signer.unsign(PURPOSE, token)["e"] - time.time()) / 86400

    assert 180 <= days_left <= 181  # rounded up to a whole day
