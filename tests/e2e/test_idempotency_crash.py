"""A process killed right after its request committed: the retry replays the first answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from rma.bootstrap import Container
from tests.support import encryption_key, ok, open_shop

# Serves one request in process and dies (exit status 17) the moment any transaction
# commits: whatever that commit holds is all the request leaves behind.
DIES_AFTER_FIRST_COMMIT = """
import json, os, sys, warnings
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from rma.api.app import create_app
from rma.bootstrap import bootstrap
from rma.config import Settings

url, data_dir, keys, api_key, body = sys.argv[1:]
container = bootstrap(
    Settings(database_url=url, data_dir=Path(data_dir), encryption_key=keys, secret_key="x")
)
client = TestClient(create_app(container))
event.listen(Session, "after_commit", lambda session: os._exit(17))
client.post(
    "/v1/returns",
    json=json.loads(body),
    headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": "crash-1"},
)
sys.exit(0)
"""

BODY = {
    "order_number": "1001",
    "items": [{"line_id": "1", "quantity": 1, "reason_code": "CR-DEFECTIVE"}],
}


def test_a_request_committed_just_before_a_crash_is_replayed_on_retry(
    http: httpx.Client, container: Container, tmp_path: Path
) -> None:
    shop = open_shop(http)
    shop.order("1001")
    script = tmp_path / "dies.py"
    script.write_text(DIES_AFTER_FIRST_COMMIT)
    url = container.engine.url.render_as_string(hide_password=False)
    args = [url, str(tmp_path / "data"), encryption_key(container), shop.keys["seller"]]

    died = subprocess.run(
        [sys.executable, str(script), *args, json.dumps(BODY)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert died.returncode == 17, died.stderr  # it committed, then died before answering
    (stored,) = ok(shop.call("GET", "/v1/returns"))["data"]
    key = {"Idempotency-Key": "crash-1"}
    retried = shop.call("POST", "/v1/returns", json=BODY, headers=key)
    assert ok(retried, 201)["id"] == stored["id"]
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert ok(shop.call("POST", "/v1/returns", json=BODY, headers=key), 201) == retried.json()
    assert len(ok(shop.call("GET", "/v1/returns"))["data"]) == 1
