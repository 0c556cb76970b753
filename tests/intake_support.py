"""CSV files of orders, made for the import tests and the benchmark."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from rma.domain.order_import import COLUMNS


def order_rows(
    orders: int, *, delivered: bool = True, prefix: str = "CSV"
) -> Iterator[dict[str, str]]:
    """Two lines per order, both shipped in one shipment (delivered, when asked)."""
    for n in range(orders):
        for line_id, sku, price in (("1", "TEE", "2500"), ("2", "MUG", "1200")):
            yield {
                "order_number": f"{prefix}-{n:07d}",
                "ordered_at": "2026-11-01T10:00:00Z",
                "customer_email": f"customer{n}@example.com",
                "customer_name": f"Customer {n}",
                "currency": "EUR",
                "shipping_amount": "495",
                "line_id": line_id,
                "sku": sku,
                "name": f"{sku} item",
                "quantity": "2",
                "unit_price": price,
                "shipment_id": f"S{n:07d}",
                "shipped_at": "2026-11-02",
                "delivered_at": "2026-11-05T09:30:00+01:00" if delivered else "",
                "carrier": "dhl",
                "tracking_number": f"TRK{n:09d}",
            }


def csv_text(rows: Iterator[dict[str, str]] | list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own handlers
        pass


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """A second real HTTP server, for an app built with settings of its own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
