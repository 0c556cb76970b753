"""`rma audit` as an operator runs it, and the exported bundle checked by the small script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from rma.bootstrap import Container
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.services import returns
from tests.builders import seller_with_order
from tests.e2e.test_cli import run


def _some_changes(container: Container) -> str:
    seller, order = seller_with_order(container, delivered_days_ago=3)
    item = RequestedItem("1", 1, "CR-UNWANTED_ITEM")
    returns.request_return(
        returns.RequestReturn(
            returns.Scope(seller.id), order.number, [item], Actor("customer", "c")
        ),
        container.uow(),
    )
    return seller.id


def test_verify_names_an_edited_row_and_passes_a_clean_log(container: Container) -> None:
    seller_id = _some_changes(container)
    sealed = run(container, "audit", "seal")
    assert sealed.returncode == 0, sealed.stderr

    clean = run(container, "audit", "verify", "--seller", seller_id)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "ok" in clean.stdout

    with container.engine.begin() as connection:
        target = connection.scalar(
            text("SELECT id FROM audit_entries WHERE seller_id = :s AND seq = 2"), {"s": seller_id}
        )
        connection.execute(
            text(
                "UPDATE audit_entries SET body = replace(body, '\"at\":', '\"at\": ') WHERE id = :i"
            ),
            {"i": target},
        )
    broken = run(container, "audit", "verify")
    assert broken.returncode == 1
    assert target in broken.stdout
    assert "edited" in broken.stdout


def test_an_exported_bundle_verifies_with_the_small_script(
    container: Container, tmp_path: Path
) -> None:
    _some_changes(container)
    assert run(container, "audit", "seal").returncode == 0
    bundle = tmp_path / "bundle"
    exported = run(container, "audit", "export", str(bundle))
    assert exported.returncode == 0, exported.stderr
    assert {p.name for p in bundle.iterdir()} == {
        "entries.jsonl",
        "checkpoints.json",
        "public_key.pem",
        "verify.py",
    }
    # The script imports nothing of rma: run it from an empty folder with -I (isolated).
    script = [sys.executable, "-I", str(bundle / "verify.py"), str(bundle)]
    checked = subprocess.run(script, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "checks out" in checked.stdout

    lines = (bundle / "entries.jsonl").read_text().splitlines()
    entry = json.loads(lines[1])
    entry["body"] = entry["body"].replace('"action":', '"action": ')
    lines[1] = json.dumps(entry)
    (bundle / "entries.jsonl").write_text("\n".join(lines) + "\n")
    tampered = subprocess.run(script, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert tampered.returncode == 1
    assert entry["id"] in tampered.stdout


def test_the_script_uses_only_hashlib_and_cryptography() -> None:
    source = (Path(__file__).parents[2] / "src" / "rma" / "audit_verify.py").read_text()
    imported = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imported <= {"__future__", "hashlib", "json", "sys", "pathlib", "cryptography"}
