from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from app.core.etags import REPLAY_NOTE
from app.core.schemas import MAY_LACK_SECRET, Public, ShownOnce, Text

ApiKeyId = Annotated[str, Path(description="The API key's id (not the key).")]

KEY_NAME = "A label to recognise the key by; null when none was given."
API_KEY_EXAMPLE: dict[str, Any] = {
    "id": "4b8d2f6a-1c3e-4a5b-9d7f-0e2c4a6b8d1f",
    "name": "laptop",
    "prefix": "3f9a1c7e5b2d",
    "created_at": "2026-03-01T18:10:00Z",
}


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "laptop"}]})

    name: Text | None = Field(default=None, max_length=200, description="A label to recognise the key by.")


class ApiKeyPublic(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [API_KEY_EXAMPLE]})

    id: str = Field(description="The key's id (to revoke it).")
    name: str | None = Field(description=KEY_NAME)
    prefix: str = Field(description="The visible part of the key: `fu_<prefix>_…`.")
    created_at: datetime = Field(description="When the key was made.")


class ApiKeyCreated(ApiKeyPublic):
    model_config = MAY_LACK_SECRET | ConfigDict(
        json_schema_extra={
            "examples": [{**API_KEY_EXAMPLE, "key": "fu_3f9a1c7e5b2d_Jx4pQ0vL8nR2tY6wB1cF5hK9mS3uZ7aD0eG4iO8rT2y"}]
        }
    )

    key: ShownOnce = Field(
        default=None,
        description="The API key itself. It is shown only this once; keep it safe." + REPLAY_NOTE,
    )
