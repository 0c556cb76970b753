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
    uploads_dir: Path | None = None  # prepaid labels and photos; data_dir/uploads when unset
    label_max_bytes: int = 2_000_000  # largest prepaid label PDF accepted
    photo_max_bytes: int = 8_000_000  # largest inspection photo accepted
    lost_after_days: int = 7  # an in-transit return with no scan for this long is flagged

    @property
    def uploads_path(self) -> Path:
        return self.uploads_dir or self.data_dir / "uploads"


@lru_cache
def get_settings() -> Settings:
    return Settings()
