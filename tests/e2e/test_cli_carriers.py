"""`rma carriers add`: a seller's tracking webhook source from the command line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from rma.bootstrap import Container
from rma.cli import app
from rma.config import get_settings
from rma.services import sellers, tracking


@pytest.fixture
def cli_env(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """The CLI's settings pointed at the test database."""
    monkeypatch.setenv("RMA_DATABASE_URL", container.settings.database_url)
    monkeypatch.setenv("RMA_DATA_DIR", str(container.settings.data_dir))
    get_settings.cache_clear()
    yield container
    get_settings.cache_clear()


def test_carriers_add_prints_the_webhook_url_and_the_secret_once(cli_env: Container) -> None:
    seller = sellers.create_seller(sellers.CreateSeller("Shop"), cli_env.uow())

    result = CliRunner().invoke(
        app,
        [
            "carriers",
            "add",
            "--seller",
            seller.id,
            "--kind",
            "easypost",
            "--secret",
            "my-easypost-webhook-secret",
        ],
    )

    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("my-easypost-webhook-secret")
    (source,) = tracking.list_carrier_sources(seller.id, cli_env.uow())
    assert source.kind == "easypost"
    assert source.id in result.output.replace("\n", "")


def test_carriers_add_refuses_an_unknown_seller(cli_env: Container) -> None:
    result = CliRunner().invoke(app, ["carriers", "add", "--seller", "sel_x", "--kind", "native"])

    assert result.exit_code == 2
    assert "seller_not_found" in result.output
