from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.core.schemas import Email, Name, NotNull, Public, UTCTime
from app.rules import Role

# Every interview answer embeds its contacts: their number is bounded.
MAX_CONTACTS = 50
CONTACT_EXAMPLE: dict[str, Any] = {
    "name": "Ana",
    "email": "ana@example.com",
    "role": "recruiter",
    "is_primary": True,
}
CONTACT_NAME = "The person's name, as you address them."
CONTACT_EMAIL = "Their email address: mail from it is matched to this interview; null when unknown."
CONTACT_ROLE = (
    "Their part in the hiring: `recruiter`, `hiring_manager` (the status checks escalate to them), "
    "`interviewer`, `coordinator` or `other`."
)

ContactId = Annotated[str, Path(description="The contact's id.")]
IS_PRIMARY = "The person to write to first; one per interview."
CONTACT_PUBLIC_EXAMPLE: dict[str, Any] = {
    "id": "0b7e2f4c-5d1a-4c3e-9f7b-2a6d8e1c3b5a",
    "interview_id": "5f0c9d62-8a1e-4c7b-b3d4-6e2f1a9c8d70",
    **CONTACT_EXAMPLE,
    "created_at": "2026-03-01T18:20:00Z",
}


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CONTACT_EXAMPLE]})

    name: Name = Field(description=CONTACT_NAME, examples=["Ana"])
    email: Email | None = Field(default=None, description=CONTACT_EMAIL)
    role: Role = Field(description=CONTACT_ROLE)
    is_primary: StrictBool = Field(default=False, description=IS_PRIMARY)


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"is_primary": True}]})

    name: Annotated[Name | None, NotNull] = Field(default=None, description=CONTACT_NAME, examples=["Ana"])
    email: Email | None = Field(default=None, description=CONTACT_EMAIL + " Null forgets it.")
    role: Annotated[Role | None, NotNull] = Field(default=None, description=CONTACT_ROLE)
    is_primary: Annotated[StrictBool | None, NotNull] = Field(
        default=None, description=IS_PRIMARY + " true makes the others not primary."
    )


class ContactPublic(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [CONTACT_PUBLIC_EXAMPLE]})

    id: str = Field(description="The contact's id.")
    interview_id: str = Field(description="The interview the person belongs to.")
    name: str = Field(description=CONTACT_NAME)
    email: str | None = Field(description=CONTACT_EMAIL)
    role: Role = Field(description=CONTACT_ROLE)
    is_primary: bool = Field(description=IS_PRIMARY)
    created_at: UTCTime = Field(description="When the contact was added (UTC).")
