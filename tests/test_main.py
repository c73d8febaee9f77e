from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_readiness_fails_without_a_database(tmp_path: Path) -> None:
    broken = create_app(Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/x.db", thread_pool_size=1))
    with TestClient(broken) as client:
        assert client.get("/healthz").status_code == 200
        problem = assert_problem(client.get("/readyz"), 503)
        assert "sqlite" not in json.dumps(problem).lower()


@pytest.mark.parametrize("freeze", [True, False])
def test_startup_freezes_what_it_built_out_of_the_garbage_collector(tmp_path: Path, freeze: bool) -> None:
    application = create_app(
        Settings(database_url=f"sqlite:///{tmp_path}/x.db", thread_pool_size=1, embedded_worker=False, gc_freeze=freeze)
    )
    gc.unfreeze()
    try:
        with TestClient(application) as client:
            frozen = gc.get_freeze_count()
            assert client.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
        application.state.database.engine.dispose()
    if freeze:
        # The application itself, its routes and its settings among them.
        assert frozen > 10_000
    else:
        assert frozen == 0


def metric(body: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text format, 0 when absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in body.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample.startswith(name + "{") and ",".join(sorted(sample[len(name) + 1 : -1].split(","))) == wanted:
            return float(value)
    return 0.0


def test_metrics_count_requests_by_route_template_and_status_class(api: Api) -> None:
    before = api.client.get("/metrics").text
    interview = api.interview()
    for _ in range(2):
        assert api.get(f"/v1/interviews/{interview['id']}").status_code == 200
    assert api.get("/v1/interviews/nope").status_code == 404
    assert api.client.get("/no/such/path").status_code == 404
    response = api.client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text

    def grew(name: str, **labels: str) -> float:
        return metric(after, name, **labels) - metric(before, name, **labels)

    one = {"method": "GET", "handler": "/v1/interviews/{interview_id}"}
    assert grew("http_requests_total", **one, status="2xx") == 2
    assert grew("http_requests_total", **one, status="4xx") == 1
    assert grew("http_requests_total", method="GET", handler="none", status="4xx") == 1
    assert grew("http_requests_total", method="POST", handler="/v1/interviews", status="2xx") == 1
    assert grew("http_request_duration_seconds_count", **one) == 3
    assert interview["id"] not in after and "/no/such/path" not in after


def test_docs_are_served_from_local_files(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "http://" not in html
        assert "https://" not in html
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            assert client.get(asset).status_code == 200, asset
    assert "swagger-ui-bundle.js" in client.get("/docs").text
    assert "redoc.standalone.js" in client.get("/redoc").text


def test_swagger_authorize_takes_a_bearer_key(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key, `fu_<prefix>_<secret>`, or an access token of the identity provider the "
        "service trusts (FOLLOWUP_OIDC_ISSUER).",
    }
    assert schema["paths"]["/v1/interviews"]["post"]["security"] == [{"ApiKey": []}]
    # The probes say that they take no credential rather than leave it unsaid.
    assert schema["paths"]["/healthz"]["get"]["security"] == []


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for section in ("paths", "webhooks"):
        for path, path_item in schema.get(section, {}).items():
            for method, operation in path_item.items():
                yield path, method, operation


def test_every_operation_states_its_security(app: FastAPI) -> None:
    """Those that take the API key say so; the others say `[]` (the webhooks the service
    receives are authenticated by a signature their description explains)."""
    schema = app.openapi()
    unauthenticated = set()
    for path, method, operation in _operations(schema):
        assert operation["security"] in ([], [{"ApiKey": []}]), (path, method)
        if not operation["security"]:
            unauthenticated.add(operation["operationId"])
    assert {"getHealth", "getReadiness", "receiveAtsDelivery", "getCalendarFeed"} <= unauthenticated
    assert "listInterviews" not in unauthenticated
    ats = schema["paths"]["/v1/webhooks/ats/{integration_id}"]["post"]
    assert "Signature" in ats["description"] and "signature" in ats["responses"]["401"]["description"]


def test_the_document_names_its_servers_contact_license_and_every_tag(app: FastAPI) -> None:
    schema = app.openapi()
    # Relative: Swagger UI and clients call the host that served the document.
    assert schema["servers"] == [{"url": "/", "description": "The host that serves this document."}]
    assert schema["info"]["title"] == "followup" and schema["info"]["version"] == "1.0.0"
    assert schema["info"]["contact"]["name"]
    assert schema["info"]["license"] == {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
    defined = {tag["name"]: tag.get("description") for tag in schema["tags"]}
    used = {tag for _, _, operation in _operations(schema) for tag in operation["tags"]}
    assert used <= set(defined), used - set(defined)
    assert all(defined.values()), defined


def test_committed_openapi_matches_the_app(app: FastAPI) -> None:
    committed = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    assert committed == app.openapi(), "regenerate it with `make openapi`"


def test_openapi_names_operations_and_documents_problems(app: FastAPI) -> None:
    schema = app.openapi()
    operations = {
        op["operationId"]: op for path in schema["paths"].values() for op in path.values() if "operationId" in op
    }
    for name in (
        "createInterview",
        "listInterviews",
        "getInterview",
        "updateInterview",
        "deleteInterview",
        "createContact",
        "listContacts",
        "createEvent",
        "listEvents",
        "getNextAction",
        "checkOutreach",
        "listFollowUps",
        "getPolicy",
        "updatePolicy",
        "listRules",
        "simulateNextAction",
        "createApiKey",
        "listApiKeys",
        "deleteApiKey",
    ):
        operation = operations[name]
        assert operation["tags"], name
        responses = operation["responses"]
        statuses = ["401", "500"] + (["422"] if "parameters" in operation or "requestBody" in operation else [])
        for status in statuses:
            assert "application/problem+json" in responses[status]["content"], (name, status)
        body = operation.get("requestBody")
        if body:
            body_schema = body["content"]["application/json"]["schema"]
            variants = body_schema.get("oneOf") or body_schema.get("anyOf") or [body_schema]
            for ref in [variant["$ref"].rsplit("/", 1)[-1] for variant in variants if "$ref" in variant]:
                assert schema["components"]["schemas"][ref].get("examples"), (name, ref)
    assert "404" in operations["getInterview"]["responses"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_unknown_route_and_wrong_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing-here"), 404)
    assert_problem(client.put("/healthz"), 405)


def test_an_unexpected_error_shows_no_trace(tmp_path: Path) -> None:
    # No migrations ran on this database: every query fails with an SQL error.
    bare = create_app(Settings(database_url=f"sqlite:///{tmp_path}/bare.db", thread_pool_size=1))
    with TestClient(bare, raise_server_exceptions=False) as client:
        response = client.get("/v1/interviews", headers={"Authorization": "Bearer fu_abc_def"})
    problem = assert_problem(response, 500)
    text = json.dumps(problem).lower()
    for leak in ("traceback", "select", "api_keys", "sqlite", "operationalerror"):
        assert leak not in text
