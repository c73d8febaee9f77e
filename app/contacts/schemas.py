from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.core.schemas import Email, Name, NotNull, UTCTime
from app.rules import Role

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
    is_primary: StrictBool = Field(default=False, description="The person to write to first; one per interview.")


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"is_primary": True}]})

    name: Annotated[Name | None, NotNull] = None
    email: Email | None = None
    role: Annotated[Role | None, NotNull] = None
    is_primary: Annotated[StrictBool | None, NotNull] = None


class ContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    interview_id: str
    name: str
    email: str | None
    role: Role
    is_primary: bool
    created_at: UTCTime
