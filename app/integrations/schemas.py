"""Integration bodies: one model per provider in a union discriminated by `provider`, so that
the schema says which secret each provider needs and of what form."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    SecretStr,
    TypeAdapter,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from app.core.etags import REPLAY_NOTE
from app.core.pagination import Page
from app.core.schemas import MAY_LACK_SECRET, Name, Public, Secret, ShownOnce, UTCTime, WholeNumber
from app.core.tagged import TaggedErrors
from app.integrations.models import DeliveryResult
from app.integrations.providers import Provider


class SecretRule:
    """What a provider's secret must be, said once: the schema gets the pattern and
    lengths, and requests (a creation's body, a rotation's secret) are checked by them."""

    def __init__(self, *, pattern: str, min_length: int, max_length: int, message: str) -> None:
        self.pattern, self.min_length, self.max_length, self.message = pattern, min_length, max_length, message
        self._compiled = re.compile(pattern)

    def accepts(self, secret: str) -> bool:
        # fullmatch: the pattern's `$` would also match before a final newline.
        return self.min_length <= len(secret) <= self.max_length and self._compiled.fullmatch(secret) is not None

    def _check(self, secret: SecretStr) -> SecretStr:
        if not self.accepts(secret.get_secret_value()):
            raise PydanticCustomError("secret_form", self.message)
        return secret

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(minLength=self.min_length, maxLength=self.max_length, pattern=self.pattern)
        return json_schema


STANDARD_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
_BASE64 = "[A-Za-z0-9+/]"
# `whsec_` and the base64 of 24 to 64 bytes (Standard Webhooks' sizes), padded or not:
# 8 to 20 groups of 4 characters (24 to 60 bytes) and a last group of 2 or 3 (1 or 2 bytes
# more), or 21 groups (63 bytes) and at most a last one of 2 (64).
STANDARD_SECRET = SecretRule(
    pattern=(
        rf"^{STANDARD_SECRET_PREFIX}(?:(?:{_BASE64}{{4}}){{8,20}}(?:{_BASE64}{{2}}={{0,2}}|{_BASE64}{{3}}=?)?"
        rf"|(?:{_BASE64}{{4}}){{21}}(?:{_BASE64}{{2}}={{0,2}})?)$"
    ),
    min_length=len(STANDARD_SECRET_PREFIX) + 32,
    max_length=len(STANDARD_SECRET_PREFIX) + 88,
    message="A standard secret is `whsec_` and the base64 of 24 to 64 random bytes.",
)
# Greenhouse's secret key and Lever's signature token, as their settings show them.
ATS_SECRET = SecretRule(
    pattern=r"^[^\s\x00][^\x00]*[^\s\x00]$",
    min_length=16,
    max_length=200,
    message="The secret must be 16 to 200 characters, without outer spaces.",
)
StandardSecret = Annotated[Secret, STANDARD_SECRET]
AtsSecret = Annotated[Secret, ATS_SECRET]

PROVIDER = "The applicant-tracking system that sends the deliveries; it decides the secret's form."
COMPANY = "The hiring company whose ATS sends the deliveries."
GREENHOUSE_SECRET = "3f9c1b7e2d4a6f8091b2c3d4e5f60718"  # noqa: S105 (an example)
LEVER_SECRET = "2c8a286f2da1c590e4d256f7bd864032"  # noqa: S105 (an example)
STANDARD_SECRET_EXAMPLE = "whsec_JFCDI6Qbe4xT1jaJbq3mBhlp1m8VHguxNykxli7TpuM="  # noqa: S105 (an example)


def _about(meaning: str, *examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"description": meaning, "examples": list(examples)})


GREENHOUSE = (
    "Greenhouse Recruiting's web hooks: stage changes, rejections, offers and hires of an application become "
    "events of the interview that follows it. Greenhouse signs each delivery with the secret key set on the web "
    "hook."
)
LEVER = (
    "Lever's webhooks: stage changes, interviews, hires and archived opportunities become events of the interview "
    "that follows the opportunity. Lever signs each delivery with the signature token it shows for its webhooks."
)
STANDARD = (
    "Any sender of Standard Webhooks (https://www.standardwebhooks.com): each `interview.event` message carries "
    "an event of the interview that follows its `application_id`."
)


# -- requests ---------------------------------------------------------------------------------


class _IntegrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Provider = Field(description=PROVIDER)
    company: Name = Field(description=COMPANY, examples=["Acme"])


class GreenhouseIntegrationCreate(_IntegrationCreate):
    model_config = _about(GREENHOUSE, {"provider": "greenhouse", "company": "Acme", "secret": GREENHOUSE_SECRET})

    provider: Literal[Provider.GREENHOUSE] = Field(description=PROVIDER)
    secret: AtsSecret = Field(
        description="The secret key you set on the web hook in Greenhouse (16 to 200 characters). Shown again only "
        "in this response."
    )


class LeverIntegrationCreate(_IntegrationCreate):
    model_config = _about(LEVER, {"provider": "lever", "company": "Acme", "secret": LEVER_SECRET})

    provider: Literal[Provider.LEVER] = Field(description=PROVIDER)
    secret: AtsSecret = Field(
        description="The signature token Lever shows for its webhooks (16 to 200 characters). Shown again only in "
        "this response."
    )


class StandardIntegrationCreate(_IntegrationCreate):
    model_config = _about(
        STANDARD,
        {"provider": "standard", "company": "Acme"},
        {"provider": "standard", "company": "Acme", "secret": STANDARD_SECRET_EXAMPLE},
    )

    provider: Literal[Provider.STANDARD] = Field(description=PROVIDER)
    secret: StandardSecret | None = Field(
        default=None,
        description="A `whsec_` key: `whsec_` and the base64 of 24 to 64 random bytes; one is generated when left "
        "out. Shown again only in this response.",
    )


CREATE_MODELS: Final = (GreenhouseIntegrationCreate, LeverIntegrationCreate, StandardIntegrationCreate)
_CREATE_ERRORS: Final = TaggedErrors(CREATE_MODELS, field="provider", noun="integration")
IntegrationCreate = Annotated[
    GreenhouseIntegrationCreate | LeverIntegrationCreate | StandardIntegrationCreate,
    Discriminator("provider"),
    _CREATE_ERRORS.validator(),
]


class SecretRotation(BaseModel):
    """A new secret for an integration; the current one stays valid for a while, so that
    deliveries already signed with it still pass."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"previous_secret_valid_hours": 24},
                {"secret": GREENHOUSE_SECRET, "previous_secret_valid_hours": 1},
            ]
        },
    )

    secret: Secret | None = Field(
        default=None,
        min_length=ATS_SECRET.min_length,
        max_length=ATS_SECRET.max_length,
        description="The new secret: required for Greenhouse and Lever (as set there: 16 to 200 characters, without "
        "outer spaces); for standard a `whsec_` key, generated when left out.",
    )
    previous_secret_valid_hours: WholeNumber = Field(
        default=24,
        ge=0,
        le=720,
        description="How long deliveries signed with the current secret are still accepted, in hours (0: not at all).",
    )


# -- responses --------------------------------------------------------------------------------

_SECRET_SHOWN = "The secret. It is shown only in this response; keep it safe." + REPLAY_NOTE


class _Integration(Public):
    provider: Provider = Field(description=PROVIDER)
    id: str = Field(description="The integration's id.")
    company: str = Field(description=COMPANY)
    webhook_url: str = Field(description="Where the ATS sends its deliveries: paste it into its webhook settings.")
    secret_rotated_at: UTCTime | None = Field(description="When the secret was last replaced; null: never.")
    previous_secret_expires_at: UTCTime | None = Field(
        description="Until then deliveries signed with the secret before the last rotation are accepted too."
    )
    created_at: UTCTime = Field(description="When it was connected, in UTC.")


_ANSWERED = {
    "id": "5d1f0c2e-8b7a-4f3e-9d6c-1a2b3c4d5e6f",
    "company": "Acme",
    "webhook_url": "https://followup.example.com/v1/webhooks/ats/5d1f0c2e-8b7a-4f3e-9d6c-1a2b3c4d5e6f",
    "secret_rotated_at": None,
    "previous_secret_expires_at": None,
    "created_at": "2026-02-20T09:30:00Z",
}


class GreenhouseIntegration(_Integration):
    model_config = _about(GREENHOUSE, _ANSWERED | {"provider": "greenhouse"})
    provider: Literal[Provider.GREENHOUSE] = Field(description=PROVIDER)


class LeverIntegration(_Integration):
    model_config = _about(LEVER, _ANSWERED | {"provider": "lever"})
    provider: Literal[Provider.LEVER] = Field(description=PROVIDER)


class StandardIntegration(_Integration):
    model_config = _about(STANDARD, _ANSWERED | {"provider": "standard"})
    provider: Literal[Provider.STANDARD] = Field(description=PROVIDER)


class GreenhouseIntegrationWithSecret(GreenhouseIntegration):
    model_config = MAY_LACK_SECRET | _about(
        GREENHOUSE, _ANSWERED | {"provider": "greenhouse", "secret": GREENHOUSE_SECRET}
    )
    secret: ShownOnce = Field(default=None, description=_SECRET_SHOWN)


class LeverIntegrationWithSecret(LeverIntegration):
    model_config = MAY_LACK_SECRET | _about(LEVER, _ANSWERED | {"provider": "lever", "secret": LEVER_SECRET})
    secret: ShownOnce = Field(default=None, description=_SECRET_SHOWN)


class StandardIntegrationWithSecret(StandardIntegration):
    model_config = MAY_LACK_SECRET | _about(
        STANDARD, _ANSWERED | {"provider": "standard", "secret": STANDARD_SECRET_EXAMPLE}
    )
    secret: ShownOnce = Field(default=None, description=_SECRET_SHOWN)


IntegrationPublic = Annotated[GreenhouseIntegration | LeverIntegration | StandardIntegration, Discriminator("provider")]
IntegrationWithSecret = Annotated[
    GreenhouseIntegrationWithSecret | LeverIntegrationWithSecret | StandardIntegrationWithSecret,
    Discriminator("provider"),
]
INTEGRATION_PUBLIC: Final = TypeAdapter[IntegrationPublic](IntegrationPublic)
INTEGRATION_WITH_SECRET: Final = TypeAdapter[IntegrationWithSecret](IntegrationWithSecret)


class IntegrationPage(Page[IntegrationPublic]):
    """A page of your integrations, oldest first."""


class AtsDeliveryPublic(Public):
    """One verified delivery from an ATS, and what became of it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
                    "integration_id": _ANSWERED["id"],
                    "provider": "greenhouse",
                    "delivery_key": "7c1e5a3b-2d4f-4a6b-9c8d-0e1f2a3b4c5d",
                    "action": "candidate_stage_change",
                    "application_id": "91552310",
                    "received_at": "2026-03-05T14:30:02Z",
                    "result": "applied",
                    "detail": None,
                    "event_id": "0b7e4c55-2a43-4d3f-9c1e-5f0d8a6b2e71",
                    "interview_id": "3f2c8e1a-6b4d-4c1e-9a7f-2d5e8b0c4a19",
                }
            ]
        }
    )

    id: str = Field(description="The delivery's id; a receipt names it.")
    integration_id: str = Field(description="The integration it arrived at.")
    provider: Provider = Field(description="The integration's provider.")
    delivery_key: str = Field(
        description="What identifies the delivery: Greenhouse-Event-ID (else the body's SHA-256), Lever's token, "
        "or webhook-id."
    )
    action: str | None = Field(description="The provider's name for what happened, when the payload has one.")
    application_id: str | None = Field(description="The ATS application the delivery is about.")
    received_at: UTCTime = Field(description="When it arrived, in UTC.")
    result: DeliveryResult = Field(
        description="`applied` (it became an event), `duplicate` (received before; nothing applied), `ignored` (a "
        "ping, a test, an action that changes no follow-up), `unmatched` (waits for an interview linked to its "
        "application) or `failed` (its payload could not be applied)."
    )
    detail: str | None = Field(description="Why it was ignored, unmatched, a duplicate or failed.")
    event_id: str | None = Field(description="The event it created (null once that event is deleted).")
    interview_id: str | None = Field(description="The interview it was applied to, when one follows its application.")


class DeliveryReceipt(Public):
    """The answer to an ATS: every verified delivery gets one, duplicates and pings too."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"delivery_id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", "result": "applied", "detail": None},
                {
                    "delivery_id": "4b3a2c1d-0e9f-4a8b-8c7d-6e5f4a3b2c1d",
                    "result": "unmatched",
                    "detail": "No interview follows application 91552310 yet; it is applied once one does.",
                },
            ]
        }
    )

    delivery_id: str = Field(description="The stored delivery's id.")
    result: DeliveryResult = Field(description="What became of it (see the deliveries' `result`).")
    detail: str | None = Field(default=None, description="Why it was ignored, unmatched, a duplicate or failed.")
