"""`rma reports ...` streams the same reports as the API, to stdout or a file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from rma.bootstrap import Container
from rma.domain.sellers import SellerKind
from rma.services import sellers
from tests import analytics_world
from tests.e2e.test_cli import run


def test_operator_exports_amazons_fba_report_and_items_as_json_lines(
    container: Container, tmp_path: Path
) -> None:
    seller = sellers.create_seller(
        sellers.CreateSeller("Shop", SellerKind.PROFESSIONAL), container.uow()
    )
    analytics_world.build(container, seller.id)

    done = run(container, "reports", "export", "amazon-fba-returns", "--seller", seller.id)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["order-id"], r["sku"], r["quantity"]) for r in rows] == [
        ("1001", "TEE", "2"),
        ("1001", "MUG", "1"),
        ("1002", "TEE", "3"),
    ]

    target = tmp_path / "items.jsonl"
    done = run(
        container,
        "reports", "export", "return-items", "--seller", seller.id, "--format", "jsonl",
        "--from", "2026-03-01", "--to", "2026-03-31", "--output", str(target),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    items = [json.loads(line) for line in target.read_text().splitlines()]
    assert sorted(i["rma_number"] for i in items) == ["RMA-R3", "RMA-R3", "RMA-R4"]

    refused = run(container, "reports", "export", "returns", "--seller", seller.id, "--sku", "NO")
    assert refused.returncode == 1
    assert "invalid_input" in refused.stdout + refused.stderr
    assert "(sku)" in refused.stdout + refused.stderr
