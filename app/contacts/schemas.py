from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.rules import Role
from app.schemas import Email, Name, UTCTime, reject_null

CONTACT_EXAMPLE: dict[str, Any] = {
    "name": "Ana Lopez",
    "email": "ana@example.com",
    "role": "recruiter",
    "is_primary": True,
}


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CONTACT_EXAMPLE]})

    name: Name
    email: Email | None = None
    role: Role
    is_primary: bool = Field(default=False, description="The person to write to first; one per interview.")


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"is_primary": True}]})

    name: Name | None = None
    email: Email | None = None
    role: Role | None = None
    is_primary: bool | None = None

    _not_null = field_validator("name", "role", "is_primary", mode="before")(reject_null)


class ContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    interview_id: str
    name: str
    email: str | None
    role: Role
    is_primary: bool
    created_at: UTCTime
