"""Settings read from the environment (`DATABASE_URL`, `FOLLOWUP_*`) or a `.env` file."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

# The names a local server is reached by; FOLLOWUP_HOST is answered besides them.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOLLOWUP_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./followup.db",
        validation_alias=AliasChoices("DATABASE_URL", "FOLLOWUP_DATABASE_URL"),
    )
    # Route functions are sync and run in AnyIO's worker threads. The connection pool has
    # this many connections, and at most this many requests hold a session at once
    # (app.core.session), so no thread ever waits for a connection.
    thread_pool_size: int = Field(default=40, ge=1, le=1000)
    # Connections beyond the pool, for work outside the requests' slots (the worker).
    db_pool_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    db_connect_timeout_seconds: int = Field(default=3, ge=1)
    # How long a request queues for one of the session slots (app.core.session) while the
    # requests ahead of it use the database, before it is answered 503. While the database
    # is away, the first request that finds it so releases all of them at once.
    db_wait_seconds: float = Field(default=30.0, gt=0, le=300)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    # Short enough for the first retry of a webhook (5 s) to go out on time.
    worker_interval_seconds: float = Field(default=5.0, gt=0)
    log_level: str = "info"
    # On SIGTERM the server stops accepting connections and lets requests in flight
    # finish for up to this long.
    graceful_shutdown_seconds: int = Field(default=30, ge=1)
    # Answers to POSTs with an Idempotency-Key are replayed for at least this long.
    idempotency_key_hours: int = Field(default=24, ge=24)
    # When true, a PATCH or DELETE without If-Match is refused (428).
    require_if_match: bool = False

    # Reminders: outbound webhooks, the worker that sends them, the calendar feed.
    # None: on with SQLite (`make run` alone delivers), off with Postgres (run `followup worker`).
    embedded_worker: bool | None = None
    webhooks_allow_private: bool = False
    webhooks_timeout_seconds: float = Field(default=15.0, gt=0, le=60)
    webhooks_concurrency: int = Field(default=8, ge=1, le=100)
    webhooks_lease_seconds: float = Field(default=60.0, gt=0)
    webhooks_secret_rotation_hours: float = Field(default=24.0, ge=0)
    webhooks_disable_after_hours: float = Field(default=120.0, gt=0)
    public_url: str | None = Field(default=None, description="Base URL of the API as its users reach it.")
    # Without `public_url`, the URLs the service writes (the calendar feed's, an
    # integration's webhook URL) take the request's Host: only these hosts are answered
    # then, any other is refused (app.core.urls). "*" is any; "*.example.com" its subdomains.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(LOCAL_HOSTS))

    # Slow or huge requests (app.core.protocol): the request line and headers must arrive
    # within this long of the connection (or of the previous answer), in at most this
    # many bytes and header lines.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    max_headers: int = Field(default=100, ge=10, le=1000)

    # Mail intake (docs/mail.md): the largest raw message accepted, how long a message that
    # matched no interview is kept (its headers only), and the domain of the users'
    # forwarding addresses (none: no forwarding address is shown).
    mail_max_bytes: int = Field(default=10 * 1024 * 1024, ge=64 * 1024, le=100 * 1024 * 1024)
    mail_unmatched_days: int = Field(default=30, ge=1, le=3650)
    mail_domain: str | None = None
    # The inbound-mail providers (app.mail.inbound): Mailgun's HTTP webhook signing key,
    # the basic-auth credentials of Postmark's inbound webhook URL, and the Standard
    # Webhooks secret (whsec_...) of raw messages posted by the user's own mail server.
    # A provider without its setting is not answered (404).
    mailgun_signing_key: SecretStr | None = Field(default=None, min_length=1)
    postmark_inbound_user: str | None = Field(default=None, min_length=1)
    postmark_inbound_password: SecretStr | None = Field(default=None, min_length=1)
    inbound_mail_secret: SecretStr | None = Field(default=None, min_length=1)
    # Connected IMAP mailboxes (app.mailboxes): how often the worker syncs each one, and
    # whether one may be on a private or loopback address (self-hosted servers, tests).
    mail_sync_seconds: float = Field(default=60.0, ge=5, le=86400)
    mail_allow_private: bool = False

    # Abuse limits: requests per minute and API key (0: no limit), and the web origins
    # allowed to call the API from a browser (comma-separated or a JSON list; "*" is any).
    rate_limit_per_minute: int = Field(default=600, ge=0)
    # A verified API key is remembered in the process this long (app.auth.cache): a key
    # revoked through another process keeps working there for at most this long. 0: off.
    auth_cache_seconds: float = Field(default=10.0, ge=0, le=300)
    # OpenID Connect access tokens (app.auth.oidc, docs/auth.md): the provider's issuer (its
    # keys found through discovery), the audience its tokens must name, and the client id
    # Swagger UI signs in with. Without an issuer only API keys authenticate.
    oidc_issuer: str | None = Field(default=None, min_length=1)
    oidc_audience: str | None = Field(default=None, min_length=1)
    oidc_client_id: str | None = Field(default=None, min_length=1)
    # Clock skew forgiven on a token's exp and nbf; more than a minute would keep expired
    # tokens working.
    oidc_leeway_seconds: float = Field(default=30.0, ge=0, le=60)
    # Once started, leave what startup built out of the garbage collector's full scans
    # (app.main).
    gc_freeze: bool = True
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Encrypts the secrets the service must read back (mailbox passwords, app.core.encryption);
    # without it they cannot be stored. Changing it makes what it encrypted unreadable, unless
    # the old key stays as secret_key_previous: read with it, never written with it, until
    # `followup mailboxes rekey` has written everything again with the new key.
    secret_key: SecretStr | None = Field(default=None, min_length=32)
    secret_key_previous: SecretStr | None = Field(default=None, min_length=32)

    @field_validator("cors_origins", "allowed_hosts", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _oidc_needs_an_audience(self) -> Settings:
        # A token for any audience of the provider (another API's) must never be accepted.
        if self.oidc_issuer and not self.oidc_audience:
            raise ValueError("FOLLOWUP_OIDC_ISSUER needs FOLLOWUP_OIDC_AUDIENCE")
        return self

    @model_validator(mode="after")
    def _previous_key_needs_a_current_one(self) -> Settings:
        # The previous key only reads what the current one has not written again yet; alone
        # it would let the service start and then refuse every mailbox.
        if self.secret_key_previous is not None and self.secret_key is None:
            raise ValueError("FOLLOWUP_SECRET_KEY_PREVIOUS needs FOLLOWUP_SECRET_KEY (the new key)")
        return self

    @property
    def answered_hosts(self) -> frozenset[str]:
        """`allowed_hosts` and `host` (the address `followup serve` listens on), lower-case;
        an IPv6 address in brackets, as it appears in a Host header."""
        listen = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return frozenset(name.lower() for name in (*self.allowed_hosts, listen))

    @property
    def runs_embedded_worker(self) -> bool:
        if self.embedded_worker is not None:
            return self.embedded_worker
        return make_url(self.database_url).get_backend_name() == "sqlite"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def app_settings(request: Request) -> Settings:
    """The settings the running app was built with (tests build apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
