from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.core.etags import REPLAY_NOTE
from app.core.schemas import Name, Secret, UTCTime
from app.integrations.models import DeliveryResult
from app.integrations.providers import Provider

SECRET_MAX_LENGTH = 500
SecretField = Field(
    default=None,
    min_length=1,
    max_length=SECRET_MAX_LENGTH,
    description="Greenhouse: the webhook's secret key; Lever: the signature token; standard: a `whsec_` key "
    "(one is generated when left out). Shown again only in this response.",
)


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"provider": "standard", "company": "Acme"},
                {
                    "provider": "greenhouse",
                    "company": "Acme Robotics",
                    "secret": "the secret key you set in Greenhouse",
                },
            ]
        },
    )

    provider: Provider
    company: Name = Field(description="The hiring company whose ATS sends the deliveries.")
    secret: Secret | None = SecretField


class SecretRotation(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"previous_secret_valid_hours": 24},
                {"secret": "the new secret key you set in Greenhouse", "previous_secret_valid_hours": 1},
            ]
        },
    )

    secret: Secret | None = Field(
        default=None,
        min_length=1,
        max_length=SECRET_MAX_LENGTH,
        description="The new secret: required for Greenhouse and Lever (as set there), generated for standard "
        "when left out.",
    )
    previous_secret_valid_hours: StrictInt = Field(
        default=24,
        ge=0,
        le=720,
        description="How long deliveries signed with the current secret are still accepted (0: not at all).",
    )


class IntegrationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    provider: Provider
    company: str
    webhook_url: str = Field(description="Where the ATS sends its deliveries.")
    secret_rotated_at: UTCTime | None
    previous_secret_expires_at: UTCTime | None = Field(
        description="Until then deliveries signed with the secret before the last rotation are accepted too."
    )
    created_at: UTCTime


class IntegrationWithSecret(IntegrationPublic):
    secret: str | None = Field(
        default=None,
        description="The secret. It is shown only in this response; keep it safe." + REPLAY_NOTE,
    )


class AtsDeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    integration_id: str
    provider: Provider
    delivery_key: str = Field(
        description="What identifies the delivery: Greenhouse-Event-ID (else the body's SHA-256), Lever's token, "
        "or webhook-id."
    )
    action: str | None = Field(description="The provider's name for what happened, when the payload has one.")
    application_id: str | None = Field(description="The ATS application the delivery is about.")
    received_at: UTCTime
    result: DeliveryResult
    detail: str | None = Field(description="Why it was ignored, unmatched, a duplicate or failed.")
    event_id: str | None = Field(description="The event it created (null once that event is deleted).")
    interview_id: str | None


class DeliveryReceipt(BaseModel):
    """The answer to an ATS: every verified delivery gets one, duplicates and pings too."""

    delivery_id: str
    result: DeliveryResult
    detail: str | None = None
