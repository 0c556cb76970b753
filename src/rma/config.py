"""One settings object, read from environment variables prefixed ``RMA_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set; each field is ``RMA_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="RMA_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/rma.db"
    admin_key: str | None = None
    secret_key: str | None = None  # signs links; kept in data_dir/secret_key when unset
    base_url: str = "http://127.0.0.1:8000"  # links in emails and labels; never the Host header
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    jobs_interval_seconds: float = 60.0  # how often `rma serve` runs due jobs; 0 turns it off
    page_size_max: int = 200
    payment_timeout_seconds: float = 10.0  # a slower payment webhook stays pending, asked again


@lru_cache
def get_settings() -> Settings:
    return Settings()
