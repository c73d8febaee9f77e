from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow


class User(SQLModel, table=True):
    """A user: made by `followup users create` (found by its email) or by the first valid
    OpenID Connect access token of a subject (found by the token's issuer and subject, never
    by its email: another provider's account with the same address is another user, so an
    email is not unique)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    email: str = Field(max_length=320, index=True)
    oidc_issuer: str | None = Field(default=None, max_length=1000)
    oidc_subject: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
