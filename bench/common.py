"""What the benchmarks share: a fresh PostgreSQL database, a container on it, result files."""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rma.adapters.migrate import upgrade
from rma.bootstrap import Container, bootstrap
from rma.config import Settings

SERVER_URL = os.environ.get(
    "RMA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
RESULTS = Path(__file__).parent / "results"


def fresh_database(name: str) -> str:
    """Drop and create database ``name`` on the bench server; answer its URL."""
    server = make_url(SERVER_URL)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    """Drop database ``name`` (a run's own database, once its figures are printed)."""
    admin = create_engine(make_url(SERVER_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def migrated_container(name: str, data_dir: Path, **settings: Any) -> Container:
    """A container over a fresh, migrated database ``name``."""
    container = bootstrap(
        Settings(
            database_url=fresh_database(name),
            data_dir=data_dir,
            jobs_interval_seconds=0,
            **settings,
        )
    )
    upgrade(container.engine)
    return container


def analyze(container: Container) -> None:
    """Statistics for freshly loaded tables, as a live database has them."""
    with container.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes, to print beside every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f}"


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``samples`` (inclusive method)."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=1000, method="inclusive")[round(fraction * 1000) - 1]


def report(name: str, figures: dict[str, Any]) -> None:
    """Print the figures and keep them in ``bench/results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str))
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        print(f"  {key:<{width}}  {shown}")
