"""createFulfillmentReturn through HTTP on SQLite: first request, and asking again (polling)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from rma.adapters.migrate import upgrade
from rma.api.app import create_app
from rma.bootstrap import bootstrap
from rma.config import Settings

ADMIN = "bench-admin-key"
ORDERS = 200
PREFIX = "/fba/outbound/2020-07-01"


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{Path(folder) / 'rma.db'}",
            admin_key=ADMIN,
            data_dir=Path(folder),
            jobs_interval_seconds=0,
        )
        container = bootstrap(settings)
        upgrade(container.engine)
        client = TestClient(create_app(container))
        admin = {"Authorization": f"Bearer {ADMIN}"}
        seller = client.post("/v1/sellers", json={"name": "Bench"}, headers=admin).json()
        key = client.post(
            "/v1/api-keys", json={"role": "seller", "seller_id": seller["id"]}, headers=admin
        ).json()["key"]
        native = {"Authorization": f"Bearer {key}"}
        address = {
            "name": "FC",
            "line1": "1 Dock",
            "city": "X",
            "postal_code": "1",
            "country": "US",
        }
        for code in ("FC1", "FC2"):
            client.put(
                f"/v1/facilities/{code}", json={"name": code, "address": address}, headers=native
            )
        issued = client.post(
            "/v1/amazon/credentials", json={"seller_id": seller["id"]}, headers=admin
        ).json()
        token = client.post(
            "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                **{k: issued[k] for k in ("client_id", "client_secret", "refresh_token")},
            },
        ).json()["access_token"]
        sp = {"x-amz-access-token": token}
        for n in range(ORDERS):
            client.post(
                "/v1/orders",
                headers=native,
                json={
                    "number": f"B-{n}",
                    "customer_email": "a@example.com",
                    "currency": "USD",
                    "ordered_at": "2026-11-01T00:00:00Z",
                    "lines": [
                        {"line_id": "a", "sku": "TEE", "quantity": 2, "unit_price": 100},
                        {"line_id": "b", "sku": "MUG", "quantity": 1, "unit_price": 100},
                    ],
                    "shipments": [
                        {
                            "id": f"S1-{n}",
                            "facility_code": "FC1",
                            "shipped_at": "2026-11-02T00:00:00Z",
                            "items": [{"line_id": "a", "quantity": 2}],
                        },
                        {
                            "id": f"S2-{n}",
                            "facility_code": "FC2",
                            "shipped_at": "2026-11-02T00:00:00Z",
                            "items": [{"line_id": "b", "quantity": 1}],
                        },
                    ],
                },
            )
        first: list[float] = []
        again: list[float] = []
        for n in range(ORDERS):
            body = {
                "items": [
                    {
                        "sellerReturnItemId": f"r{n}-1",
                        "sellerFulfillmentOrderItemId": "a",
                        "amazonShipmentId": f"S1-{n}",
                        "returnReasonCode": "CR-DEFECTIVE",
                    },
                    {
                        "sellerReturnItemId": f"r{n}-2",
                        "sellerFulfillmentOrderItemId": "b",
                        "amazonShipmentId": f"S2-{n}",
                        "returnReasonCode": "CR-DEFECTIVE",
                    },
                ]
            }
            for samples in (first, again):
                started = time.perf_counter()
                answer = client.put(
                    f"{PREFIX}/fulfillmentOrders/B-{n}/return", json=body, headers=sp
                )
                samples.append(time.perf_counter() - started)
                authorizations = answer.json()["payload"]["returnAuthorizations"]
                if answer.status_code != 200 or len(authorizations) != 2:
                    raise RuntimeError(f"unexpected answer: {answer.text}")
        print(f"createFulfillmentReturn, 2 units from 2 facilities, {ORDERS} orders (SQLite):")
        print(f"  first request (2 returns created): {_ms(first)}")
        print(f"  asked again (status poll):         {_ms(again)}")
        container.engine.dispose()
