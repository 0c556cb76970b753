"""A client generated from our OpenAPI document with openapi-python-client drives a return.

Every call goes through the generated code as a third party would use it, with each optional
body left out (the generator's ``UNSET``), so the document's shapes are what is tested.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from rma.bootstrap import Container
from tests.intake_support import csv_text, order_rows
from tests.support import ADMIN_KEY

GENERATOR = str(Path(sys.executable).with_name("openapi-python-client"))
PACKAGE = "rma_generated_client"
# The generator turns only application/octet-stream into a file unless told; our document
# declares these as binary strings, so each is mapped onto it.
CONFIG = """content_type_overrides:
  application/pdf: application/octet-stream
  image/jpeg: application/octet-stream
  image/png: application/octet-stream
  image/webp: application/octet-stream
"""


@pytest.fixture(scope="module")
def generated(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The client package, generated from the running server's /openapi.json."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    document.write_bytes(httpx.get(f"{server_url}/openapi.json").content)
    (folder / "config.yaml").write_text(CONFIG)
    done = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(folder / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stdout, done.stdout  # nothing of the document was skipped
    sys.path.insert(0, str(folder))
    return importlib.import_module(PACKAGE)


def _api(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.api.{name}")


def _ok(answer: Any) -> Any:
    """The parsed answer of a call, which must not be an error."""
    assert type(answer).__name__ not in ("ErrorPublic", "HTTPValidationError"), answer.to_dict()
    return answer


def _models(package: ModuleType) -> Any:
    return importlib.import_module(f"{package.__name__}.models")


def test_a_generated_client_drives_a_return_through_its_lifecycle(
    generated: ModuleType, server_url: str, http: httpx.Client
) -> None:
    m = _models(generated)
    client_module = importlib.import_module(f"{PACKAGE}.client")
    admin = client_module.AuthenticatedClient(base_url=server_url, token=ADMIN_KEY)

    seller = _ok(
        _api(generated, "admin.sellers_create").sync(
            client=admin, body=m.SellerCreate(name="Generated", kind=m.SellerKind.INDIVIDUAL)
        )
    )
    keys = {
        role: _api(generated, "admin.api_keys_create")
        .sync(client=admin, body=m.ApiKeyCreate(role=m.Role(role), seller_id=seller.id))
        .key
        for role in ("admin", "seller", "warehouse")
    }
    staff = client_module.AuthenticatedClient(base_url=server_url, token=keys["seller"])
    dock = client_module.AuthenticatedClient(base_url=server_url, token=keys["warehouse"])
    settings = _ok(
        _api(generated, "settings.settings_update").sync(
            client=staff, body=m.SettingsUpdate(authorization_mode=m.AuthorizationMode.MANUAL)
        )
    )
    assert _ok(settings).authorization_mode == m.AuthorizationMode.MANUAL

    # Orders come in through the CSV import, as a file part.
    imported = _ok(
        _api(generated, "orders.orders_import").sync(
            client=staff,
            body=m.OrdersImportBody(
                file=generated.types.File(
                    payload=__import__("io").BytesIO(csv_text(order_rows(1)).encode()),
                    file_name="orders.csv",
                    mime_type="text/csv",
                )
            ),
        )
    )
    assert imported.created == 1
    now = datetime.now(UTC)
    order = _ok(
        _api(generated, "orders.orders_create").sync(
            client=staff,
            idempotency_key="order-G1",
            body=m.OrderCreate(
                number="G1",
                customer_email="ada@example.com",
                currency="USD",
                ordered_at=now - timedelta(days=5),
                lines=[m.OrderLineIn(line_id="1", sku="TEE", quantity=2, unit_price=2500)],
                shipments=[
                    m.ShipmentCreate(
                        shipped_at=now - timedelta(days=4),
                        delivered_at=now - timedelta(days=2),
                        items=[m.ShipmentItemIn(line_id="1", quantity=2)],
                    )
                ],
            ),
        )
    )
    assert order.number == "G1"

    requested = _ok(
        _api(generated, "returns.returns_create").sync(
            client=staff,
            idempotency_key="return-G1",
            body=m.ReturnCreate(
                order_number="G1",
                items=[m.ReturnItemIn(line_id="1", quantity=2, reason_code="CR-DEFECTIVE")],
            ),
        )
    )
    assert requested.status == m.ReturnStatus.PENDING_REVIEW
    ref = requested.id

    steps = _api(generated, "returns")
    authorized = _ok(
        importlib.import_module(f"{steps.__name__}.returns_authorize").sync(ref, client=staff)
    )
    assert authorized.status == m.ReturnStatus.AUTHORIZED
    label = _api(generated, "labels.returns_label").sync_detailed(ref, client=staff)
    assert label.status_code == 200
    assert label.parsed.payload.read().startswith(b"%PDF")

    closed = _ok(_api(generated, "returns.returns_close").sync(ref, client=staff))
    assert closed.status == m.ReturnStatus.CLOSED
    reopened = _ok(_api(generated, "returns.returns_reopen").sync(ref, client=staff))
    assert reopened.status == m.ReturnStatus.AUTHORIZED

    item = authorized.items[0].id
    received = _ok(
        _api(generated, "returns.returns_receive").sync(
            ref, client=dock, body=m.ReceiveIn(items=[m.ReceiptIn(item_id=item, quantity=2)])
        )
    )
    assert received.status == m.ReturnStatus.RECEIVED
    inspected = _ok(
        _api(generated, "returns.returns_inspect").sync(
            ref,
            client=dock,
            body=m.InspectItemsIn(
                items=[
                    m.InspectionIn(
                        item_id=item,
                        accepted=2,
                        condition=m.Condition.SELLABLE,
                        disposition=m.Disposition.RESTOCK,
                    )
                ]
            ),
        )
    )
    assert inspected.status == m.ReturnStatus.INSPECTED
    resolved = _ok(_api(generated, "returns.returns_resolve").sync(ref, client=staff))
    assert resolved.status == m.ReturnStatus.RESOLVED
    done = _ok(_api(generated, "returns.returns_close").sync(ref, client=staff))
    assert done.status == m.ReturnStatus.CLOSED

    # A second return, cancelled with no body.
    other = _ok(
        _api(generated, "returns.returns_create").sync(
            client=staff,
            body=m.ReturnCreate(
                order_number="CSV-0000000",
                items=[m.ReturnItemIn(line_id="1", quantity=1, reason_code="CR-DEFECTIVE")],
            ),
        )
    )
    cancelled = _ok(_api(generated, "returns.returns_cancel").sync(other.id, client=staff))
    assert cancelled.status == m.ReturnStatus.CANCELLED


def test_generated_client_calls_the_other_operations_without_bodies(
    generated: ModuleType,
    server_url: str,
    http: httpx.Client,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(container.destinations, "allow_private", True)
    m = _models(generated)
    client_module = importlib.import_module(f"{PACKAGE}.client")
    admin = client_module.AuthenticatedClient(base_url=server_url, token=ADMIN_KEY)
    seller = _ok(
        _api(generated, "admin.sellers_create").sync(
            client=admin, body=m.SellerCreate(name="Generated")
        )
    )
    key = (
        _api(generated, "admin.api_keys_create")
        .sync(client=admin, body=m.ApiKeyCreate(role=m.Role.ADMIN, seller_id=seller.id))
        .key
    )
    staff = client_module.AuthenticatedClient(base_url=server_url, token=key)
    credential = _ok(_api(generated, "amazon.amazon_credentials_create").sync(client=staff))
    assert credential.client_id
    endpoint = _ok(
        _api(generated, "webhooks.webhook_endpoints_create").sync(
            client=staff, body=m.WebhookEndpointCreate(url="http://127.0.0.1:65533/hook")
        )
    )
    rotated = _ok(
        _api(generated, "webhooks.webhook_endpoints_rotate_secret").sync(endpoint.id, client=staff)
    )
    assert rotated.secret
    assert rotated.secret != endpoint.secret
