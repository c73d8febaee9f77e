from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.core.etags import REPLAY_NOTE
from app.core.schemas import Text


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "laptop"}]})

    name: Text | None = Field(default=None, max_length=200, description="A label to recognise the key by.")


class ApiKeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str | None
    prefix: str = Field(description="The visible part of the key: `fu_<prefix>_…`.")
    created_at: datetime


class ApiKeyCreated(ApiKeyPublic):
    key: str | None = Field(
        default=None,
        description="The API key itself. It is shown only this once; keep it safe." + REPLAY_NOTE,
    )
