"""The schema says which secret each provider needs and of what form, in requests and
answers, so that a client generated from it cannot send a body the service refuses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter

from app.integrations import schemas
from app.integrations.schemas import INTEGRATION_PUBLIC, INTEGRATION_WITH_SECRET, IntegrationCreate
from app.integrations.service import new_standard_secret

CREATE: TypeAdapter[IntegrationCreate] = TypeAdapter(IntegrationCreate)
PUBLIC_FIELDS = {
    "id",
    "provider",
    "company",
    "webhook_url",
    "secret_rotated_at",
    "previous_secret_expires_at",
    "created_at",
}


def _component(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    component: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return component


def _members(schema: dict[str, Any], union: dict[str, Any], suffix: str) -> dict[str, dict[str, Any]]:
    assert union["discriminator"] == {
        "propertyName": "provider",
        "mapping": {
            "greenhouse": f"#/components/schemas/Greenhouse{suffix}",
            "lever": f"#/components/schemas/Lever{suffix}",
            "standard": f"#/components/schemas/Standard{suffix}",
        },
    }
    assert sorted(member["$ref"] for member in union["oneOf"]) == sorted(union["discriminator"]["mapping"].values())
    members = {provider: _component(schema, ref) for provider, ref in union["discriminator"]["mapping"].items()}
    for provider, member in members.items():
        assert member["properties"]["provider"]["const"] == provider
    return members


def _json(operation: dict[str, Any], status: str) -> dict[str, Any]:
    body: dict[str, Any] = operation["responses"][status]["content"]["application/json"]["schema"]
    return body


def test_requests_and_answers_are_unions_discriminated_by_provider(app: FastAPI) -> None:
    schema = app.openapi()
    paths = schema["paths"]
    create = paths["/v1/integrations"]["post"]
    requests = _members(schema, create["requestBody"]["content"]["application/json"]["schema"], "IntegrationCreate")
    assert {provider: set(member["required"]) for provider, member in requests.items()} == {
        "greenhouse": {"provider", "company", "secret"},
        "lever": {"provider", "company", "secret"},
        "standard": {"provider", "company"},
    }
    for member in requests.values():
        assert member["additionalProperties"] is False
        assert set(member["properties"]) == {"provider", "company", "secret"}
    ats_secret = requests["greenhouse"]["properties"]["secret"]
    assert (ats_secret["minLength"], ats_secret["maxLength"], ats_secret["writeOnly"]) == (16, 200, True)
    assert requests["lever"]["properties"]["secret"]["pattern"] == ats_secret["pattern"]
    standard_secret = requests["standard"]["properties"]["secret"]["anyOf"][0]
    assert standard_secret["pattern"].startswith("^whsec_")
    assert re.fullmatch(standard_secret["pattern"], new_standard_secret())

    for operation in (create, paths["/v1/integrations/{integration_id}/rotate-secret"]["post"]):
        shown = _members(schema, _json(operation, "201" if operation is create else "200"), "IntegrationWithSecret")
        for member in shown.values():
            assert set(member["properties"]) == PUBLIC_FIELDS | {"secret"}
            # Left out of a replay; never null.
            assert set(member["required"]) == PUBLIC_FIELDS
            assert member["properties"]["secret"]["type"] == "string"
    read = _members(schema, _json(paths["/v1/integrations/{integration_id}"]["get"], "200"), "Integration")
    page = _component(schema, _json(paths["/v1/integrations"]["get"], "200")["$ref"])
    assert (
        page["properties"]["data"]["items"]["discriminator"]
        == _json(paths["/v1/integrations/{integration_id}"]["get"], "200")["discriminator"]
    )
    for member in read.values():
        assert set(member["properties"]) == set(member["required"]) == PUBLIC_FIELDS


@pytest.mark.parametrize(
    ("model", "adapter"),
    [
        (schemas.GreenhouseIntegrationCreate, None),
        (schemas.LeverIntegrationCreate, None),
        (schemas.StandardIntegrationCreate, None),
        (schemas.GreenhouseIntegration, INTEGRATION_PUBLIC),
        (schemas.StandardIntegrationWithSecret, INTEGRATION_WITH_SECRET),
        (schemas.LeverIntegrationWithSecret, INTEGRATION_WITH_SECRET),
        (schemas.AtsDeliveryPublic, None),
        (schemas.DeliveryReceipt, None),
        (schemas.SecretRotation, None),
    ],
)
def test_every_field_is_described_and_the_examples_are_taken(model: Any, adapter: Any) -> None:
    json_schema = model.model_json_schema(mode="serialization" if adapter is not None else "validation")
    assert json_schema["description"]
    for name, field in json_schema["properties"].items():
        assert field.get("description"), name
    assert json_schema["examples"]
    for example in json_schema["examples"]:
        if adapter is not None:
            assert isinstance(adapter.validate_python(example), model)
        elif model.__name__.endswith("IntegrationCreate"):
            assert isinstance(CREATE.validate_python(example), model)
        else:
            model.model_validate(example)
        if "Acme" in str(example) or "company" in example:
            assert example.get("company") == "Acme"
