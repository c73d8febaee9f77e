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
    # Route functions are sync and run in AnyIO's worker threads. The connection pool has
    # this many connections, and at most this many requests use the database at once
    # (app.db.session_slots), so no thread ever waits for a connection.
    thread_pool_size: int = Field(default=40, ge=1, le=1000)
    # Connections beyond the pool, for work outside the requests' slots (the worker).
    db_pool_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    db_connect_timeout_seconds: int = Field(default=5, ge=1)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    worker_interval_seconds: float = Field(default=60.0, gt=0)
    log_level: str = "info"
    # On SIGTERM the server stops accepting connections and lets requests in flight
    # finish for up to this long.
    graceful_shutdown_seconds: int = Field(default=30, ge=1)
    # Answers to POSTs with an Idempotency-Key are replayed for at least this long.
    idempotency_key_hours: int = Field(default=24, ge=24)
    # When true, a PATCH or DELETE without If-Match is refused (428).
    require_if_match: bool = False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
