"""``RMA_DATABASE_REPLICA_URL`` names a PostgreSQL streaming replica, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from rma.bootstrap import bootstrap
from rma.config import Settings


def test_a_replica_of_sqlite_is_refused_at_start(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'rma.db'}",
        database_replica_url=f"sqlite:///{tmp_path / 'copy.db'}",
        data_dir=tmp_path,
    )
    with pytest.raises(ValueError, match="streaming replica of PostgreSQL"):
        bootstrap(settings)
