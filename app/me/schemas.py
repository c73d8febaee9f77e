from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from app.core.schemas import Public


class OidcIdentity(Public):
    issuer: str = Field(description="The identity provider (`iss`) whose tokens sign this user in.")
    subject: str = Field(description="The user's subject (`sub`) at that provider.")


class MePublic(Public):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "c2a4e6f8-0b1d-4c3e-8a5f-7b9d1e3f5a7c",
                    "email": "local@localhost",
                    "created_at": "2026-03-01T18:00:00Z",
                    "oidc": None,
                    "api_key_prefixes": ["3f9a1c7e5b2d"],
                }
            ]
        }
    )

    id: str = Field(description="Your user id.")
    email: str = Field(description="As given to `followup users create`, or as the first token said; may be empty.")
    created_at: datetime = Field(description="When the user was made.")
    oidc: OidcIdentity | None = Field(description="Set when the user was made by an OpenID Connect access token.")
    api_key_prefixes: list[str] = Field(description="The visible part of each of the user's API keys: `fu_<prefix>_…`.")
