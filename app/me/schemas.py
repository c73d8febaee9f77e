from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class OidcIdentity(BaseModel):
    issuer: str = Field(description="The identity provider (`iss`) whose tokens sign this user in.")
    subject: str = Field(description="The user's subject (`sub`) at that provider.")


class MePublic(BaseModel):
    id: str
    email: str = Field(description="As given to `followup users create`, or as the first token said; may be empty.")
    created_at: datetime
    oidc: OidcIdentity | None = Field(description="Set when the user was made by an OpenID Connect access token.")
    api_key_prefixes: list[str] = Field(description="The visible part of each of the user's API keys: `fu_<prefix>_…`.")
