"""Swagger UI's sign-in with the identity provider, as the service sets it up (the browser
test, tests/test_docs_browser.py, signs in through a real provider)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app

ISSUER = "https://idp.example.com/"


@pytest.fixture
def docs_client(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        embedded_worker=False,
        gc_freeze=False,
        oidc_issuer=ISSUER,
        oidc_audience="https://api.followup.example",
        oidc_client_id="swagger-ui",
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield client
    app.state.database.engine.dispose()


def test_with_a_client_id_the_schema_offers_sign_in_beside_the_key(docs_client: TestClient) -> None:
    schema = docs_client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["OpenIdConnect"]["openIdConnectUrl"] == (
        "https://idp.example.com/.well-known/openid-configuration"
    )
    assert schema["paths"]["/v1/me"]["get"]["security"] == [{"ApiKey": []}, {"OpenIdConnect": []}]
    # Open to anyone: no requirement, or an empty list of them.
    assert schema["paths"]["/healthz"]["get"].get("security", []) == []


def test_with_a_client_id_swagger_ui_signs_in_with_pkce_from_local_files(docs_client: TestClient) -> None:
    page = docs_client.get("/docs").text
    assert '"clientId": "swagger-ui"' in page
    assert '"usePkceWithAuthorizationCodeGrant": true' in page
    assert "/static/swagger/swagger-ui-bundle.js" in page and "cdn" not in page
    redirect = docs_client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200 and "oauth2" in redirect.text


def test_without_a_client_id_there_is_no_sign_in(client: TestClient) -> None:
    assert "OpenIdConnect" not in client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert "initOAuth" not in client.get("/docs").text
