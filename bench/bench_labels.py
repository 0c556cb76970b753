"""Labels through the public link: the first fetch draws the PDF, the next ones read the cache.

On a fresh PostgreSQL database ``rma_bench_labels``: one seller, ``RMA_BENCH_LABELS`` authorized
returns (40 by default). Each label is fetched through its RMA page link (``/rma/<n>/label.pdf
?t=...``) on the app in process, twice: cold (drawn and written to the cache) and warm (read
back). Reports p50/p99 of each and labels per second from one client.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

with warnings.catch_warnings():  # starlette's note about httpx2 is not for a benchmark
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from bench.common import migrated_container, percentile, report
from rma.api.app import create_app

COUNT = int(os.environ.get("RMA_BENCH_LABELS", "40"))
ADMIN_KEY = "rma-bench-labels-admin"
ADDRESS = {
    "name": "Returns Dept",
    "line1": "1 Dock Road",
    "city": "Reno",
    "region": "NV",
    "postal_code": "89501",
    "country": "US",
}


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        container = migrated_container("rma_bench_labels", Path(data_dir), admin_key=ADMIN_KEY)
        with TestClient(create_app(container)) as client:
            links = _authorized_returns(client, COUNT)
            cold = _fetch_all(client, links)
            warm = _fetch_all(client, links)
        figures = {
            "labels": COUNT,
            "cold_p50_ms": percentile(cold, 0.5) * 1000,
            "cold_p99_ms": percentile(cold, 0.99) * 1000,
            "cold_labels_per_second": len(cold) / sum(cold),
            "cached_p50_ms": percentile(warm, 0.5) * 1000,
            "cached_p99_ms": percentile(warm, 0.99) * 1000,
            "cached_labels_per_second": len(warm) / sum(warm),
            "renders": container.labels.renders,
        }
        report("labels", figures)
        container.engine.dispose()


def _authorized_returns(client: TestClient, count: int) -> list[str]:
    """``count`` authorized returns of one seller; answer their label links (paths)."""
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    seller = client.post("/v1/sellers", json={"name": "Bench"}, headers=admin).json()
    key = client.post(
        "/v1/api-keys", json={"role": "seller", "seller_id": seller["id"]}, headers=admin
    ).json()["key"]
    auth = {"Authorization": f"Bearer {key}"}
    client.post(
        "/v1/return-addresses",
        json={"label": "main", "address": ADDRESS, "make_default": True},
        headers=auth,
    ).raise_for_status()
    links = []
    delivered = datetime.now(UTC) - timedelta(days=3)
    for n in range(count):
        order = {
            "number": f"L-{n}",
            "customer_email": "ada@example.com",
            "currency": "USD",
            "ordered_at": (delivered - timedelta(days=3)).isoformat(),
            "lines": [{"line_id": "1", "sku": "TEE", "quantity": 1, "unit_price": 2500}],
            "shipments": [
                {
                    "shipped_at": (delivered - timedelta(days=2)).isoformat(),
                    "delivered_at": delivered.isoformat(),
                    "items": [{"line_id": "1", "quantity": 1}],
                }
            ],
        }
        client.post("/v1/orders", json=order, headers=auth).raise_for_status()
        body = {
            "order_number": f"L-{n}",
            "items": [{"line_id": "1", "quantity": 1, "reason_code": "CR-DEFECTIVE"}],
        }
        created = client.post("/v1/returns", json=body, headers=auth)
        created.raise_for_status()
        ret = created.json()
        if ret["status"] != "authorized":
            client.post(f"/v1/returns/{ret['id']}/authorize", json={}, headers=auth)
        page = client.get(f"/v1/returns/{ret['id']}/links", headers=auth).json()["label_url"]
        links.append("/" + page.split("://", 1)[1].split("/", 1)[1])
    return links


def _fetch_all(client: TestClient, links: list[str]) -> list[float]:
    took = []
    for link in links:
        start = time.perf_counter()
        response = client.get(link)
        took.append(time.perf_counter() - start)
        response.raise_for_status()
    return took
