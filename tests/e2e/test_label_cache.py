"""A generated label is drawn once per version of what it shows, then served from the cache."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from rma.bootstrap import Container
from rma.services.clock import utcnow
from tests.physical_support import WAREHOUSE_ADDRESS, authorized_return
from tests.support import ok, open_shop


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    (tmp_path / "label.pdf").write_bytes(pdf)
    run = subprocess.run(
        ["pdftotext", str(tmp_path / "label.pdf"), "-"], capture_output=True, text=True, check=True
    )
    return run.stdout


def test_a_label_is_rendered_once_and_again_only_when_the_return_changes(
    http: httpx.Client, container: Container, tmp_path: Path
) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "C-1")
    path = f"/v1/returns/{ret['id']}/label.pdf"
    public = ok(shop.call("GET", f"/v1/returns/{ret['id']}/links"))["label_url"]
    before = container.labels.renders

    first = shop.call("GET", path)
    again = shop.call("GET", path)
    through_the_link = http.get(public.removeprefix("http://127.0.0.1:8000"))

    assert first.status_code == again.status_code == through_the_link.status_code == 200
    assert again.content == first.content == through_the_link.content
    assert container.labels.renders == before + 1

    moved = {**WAREHOUSE_ADDRESS, "name": "Ada Lovelace", "line1": "12 Analytical Lane"}
    ok(
        shop.call(
            "PUT",
            f"/v1/returns/{ret['id']}/tracking",
            json={"carrier": "UPS", "tracking_number": "1ZCACHE0001", "ship_from": moved},
        )
    )
    after_move = shop.call("GET", path)

    assert container.labels.renders == before + 2
    assert "12 Analytical Lane" in pdf_text(after_move.content, tmp_path)
    assert "12 Analytical Lane" not in pdf_text(first.content, tmp_path)

    with container.uow() as uow:
        stored = uow.returns.get(shop.seller_id, ret["id"])
        assert stored is not None
        stored.rma_number = "CUSTOM-0001"
        stored.updated_at = utcnow()
        uow.commit()
    renumbered = shop.call("GET", path)

    assert container.labels.renders == before + 3
    assert "CUSTOM-0001" in pdf_text(renumbered.content, tmp_path)
    assert shop.call("GET", path).content == renumbered.content
    assert container.labels.renders == before + 3


def test_two_returns_never_share_a_cached_label(http: httpx.Client, container: Container) -> None:
    shop = open_shop(http)
    one = authorized_return(shop, "C-2")
    two = authorized_return(shop, "C-3")

    labels = [shop.call("GET", f"/v1/returns/{r['id']}/label.pdf").content for r in (one, two)]

    assert labels[0] != labels[1]
    assert one["rma_number"] != two["rma_number"]
