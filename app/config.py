"""Settings read from the environment (`DATABASE_URL`, `FOLLOWUP_*`) or a `.env` file."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOLLOWUP_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./followup.db",
        validation_alias=AliasChoices("DATABASE_URL", "FOLLOWUP_DATABASE_URL"),
    )
    # Route functions are sync and run in AnyIO's worker threads; each thread may hold one
    # connection, so the pool is sized from this number (see app.db.create_db_engine).
    thread_pool_size: int = Field(default=40, ge=1, le=1000)
    db_pool_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    worker_interval_seconds: float = Field(default=60.0, gt=0)
    log_level: str = "info"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
