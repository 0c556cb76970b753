"""The `rma` command as an operator runs it, against each database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rma.bootstrap import Container
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.domain.statuses import ReturnStatus
from rma.services import returns
from rma.services.clock import utcnow
from rma.services.partitions import Month, partition_name
from tests.builders import add_order, seller_with_order

RMA = str(Path(sys.executable).with_name("rma"))


def run(
    container: Container,
    *args: str,
    columns: str = "200",
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RMA_DATABASE_URL": container.settings.database_url,
        "RMA_DATA_DIR": str(container.settings.data_dir),
        "COLUMNS": columns,
        **(extra_env or {}),
    }
    return subprocess.run(
        [RMA, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_operator_authorizes_every_pending_return_and_lists_them(container: Container) -> None:
    seller, _ = seller_with_order(container, delivered_days_ago=40, number="A")
    add_order(container, seller.id, "B", delivered_days_ago=40)
    scope = returns.Scope(seller.id)
    ids = [
        returns.request_return(
            returns.RequestReturn(
                scope, number, [RequestedItem("1", 1, "CR-UNWANTED_ITEM")], Actor("customer", "c")
            ),
            container.uow(),
        ).ret.id
        for number in ("A", "B")
    ]

    done = run(container, "returns", "authorize", "--all-pending", "--seller", seller.id)
    assert done.returncode == 0, done.stderr
    assert "2 authorized, 0 failed" in done.stdout
    for return_id in ids:
        ret = returns.get_return(scope, return_id, container.uow())
        assert ret.status is ReturnStatus.AUTHORIZED
        assert ret.history[-1].actor.startswith("operator:")

    listed = run(container, "returns", "list", "--seller", seller.id, "--status", "authorized")
    assert listed.returncode == 0, listed.stderr
    assert all(return_id in listed.stdout for return_id in ids)


def test_operator_denies_and_closes_and_sees_errors(container: Container) -> None:
    seller, order = seller_with_order(container, delivered_days_ago=40)
    scope = returns.Scope(seller.id)
    ret = returns.request_return(
        returns.RequestReturn(
            scope, order.number, [RequestedItem("1", 1, "CR-UNWANTED_ITEM")], Actor("c", "c")
        ),
        container.uow(),
    ).ret
    denied = run(
        container,
        "returns",
        "deny",
        ret.id,
        "--seller",
        seller.id,
        "--reason",
        "return_period_ended",
        "--note",
        "Too late",
    )
    assert denied.returncode == 0, denied.stderr
    assert returns.get_return(scope, ret.id, container.uow()).status is ReturnStatus.DENIED

    refused = run(container, "returns", "close", ret.id, "--seller", seller.id)
    assert refused.returncode == 1
    assert "illegal_transition" in refused.stdout
    foreign = run(container, "returns", "show", ret.id, "--seller", "sel_other")
    assert foreign.returncode == 1
    assert "return_not_found" in foreign.stdout


def test_jobs_run_due_reports_what_it_did(container: Container) -> None:
    done = run(container, "jobs", "run-due")
    assert done.returncode == 0, done.stderr
    assert "expired_returns: 0" in done.stdout


def test_partitions_are_made_ahead_on_demand(container: Container) -> None:
    months_ahead = {"RMA_PARTITION_MONTHS_AHEAD": "6"}

    done = run(container, "partitions", extra_env=months_ahead)

    assert done.returncode == 0, done.stderr
    if container.engine.dialect.name == "sqlite":
        assert "only PostgreSQL partitions its tables" in done.stdout
        return
    sixth = Month.of(utcnow()).plus(6)
    assert partition_name("outbox", sixth) in done.stdout
    again = run(container, "partitions", extra_env=months_ahead)
    assert "made: none" in again.stdout


def test_listed_ids_are_whole_on_a_narrow_terminal(container: Container) -> None:
    seller, _ = seller_with_order(container, delivered_days_ago=40)
    scope = returns.Scope(seller.id)
    item = RequestedItem("1", 1, "CR-UNWANTED_ITEM")
    cmd = returns.RequestReturn(scope, "1001", [item], Actor("customer", "c"))
    return_id = returns.request_return(cmd, container.uow()).ret.id

    listed = run(container, "returns", "list", "--seller", seller.id, columns="80")

    assert listed.returncode == 0, listed.stderr
    assert return_id in listed.stdout


def test_demo_prints_links_on_the_port_the_server_listens_on(container: Container) -> None:
    shown = run(container, "demo", extra_env={"RMA_PORT": "8123", "RMA_HOST": "127.0.0.1"})

    assert shown.returncode == 0, shown.stderr
    assert "http://127.0.0.1:8123/desk" in shown.stdout
    assert ":8000" not in shown.stdout
