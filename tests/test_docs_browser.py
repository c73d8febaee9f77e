"""Swagger UI in a real browser: headless Chromium, driven by Playwright, against a live
server started the way the README starts it. No request may leave localhost."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import debian
import httpx
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium reaches for Google's services at start-up.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    debian.ensure("chromium", packages=("chromium",), what="Chromium")
    return shutil.which("chromium") or CHROMIUM


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A migrated SQLite file, a user, and `followup serve` on a free port: (base URL, key)."""
    database = tmp_path_factory.mktemp("browser") / "followup.db"
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{database}",
        "FOLLOWUP_PORT": str(port),
        "FOLLOWUP_HOST": "127.0.0.1",
    }
    subprocess.run([BIN / "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)
    created = subprocess.run(
        [BIN / "followup", "users", "create", "browser@example.com"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    base = f"http://127.0.0.1:{port}"
    with _serving(env, base):
        yield base, key


@contextmanager
def _serving(env: dict[str, str], base: str) -> Iterator[None]:
    """`followup serve` with `env`, once it answers at `base`."""
    server = subprocess.Popen(
        [BIN / "followup", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


def _authorize(page: Any, base: str, key: str) -> None:
    """Open /docs and authorize with the API key."""
    page.goto(f"{base}/docs")
    page.click("button.authorize")
    page.fill("div.modal-ux input", key)
    page.click("div.modal-ux button.modal-btn.auth.authorize")
    page.click("div.modal-ux button.btn-done")


def _try_out(page: Any, operation: str) -> None:
    page.click(f"{operation} .opblock-summary")
    page.click(f"{operation} button.try-out__btn")


def _execute(page: Any, operation: str) -> tuple[str, str]:
    """Execute the operation; (the status shown, the answer's body)."""
    page.click(f"{operation} button.execute")
    status = page.locator(f"{operation} .live-responses-table tbody .response-col_status")
    status.wait_for()
    answer = page.locator(f"{operation} .live-responses-table tbody .response-col_description pre").first
    return status.inner_text().strip(), answer.inner_text()


def test_swagger_ui_authorizes_and_lists_interviews(live_server: tuple[str, str]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, key = live_server
    executable = _chromium()
    outside: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on(
                "request",
                lambda request: None if request.url.startswith((base, "data:")) else outside.append(request.url),
            )
            _authorize(page, base, key)
            operation = "#operations-interviews-listInterviews"
            _try_out(page, operation)
            status, body = _execute(page, operation)
            assert status == "200"
            assert '"data"' in body
        finally:
            browser.close()
    assert outside == []


def test_swagger_ui_sends_a_raw_message(live_server: tuple[str, str]) -> None:
    """The example message of `POST /v1/mail/messages`, sent as Swagger UI shows it: as
    `message/rfc822`, recorded (201, unmatched: the user has no interviews) and then listed."""
    sync_api = pytest.importorskip("playwright.sync_api")
    base, key = live_server
    executable = _chromium()
    outside: list[str] = []
    sent: list[tuple[str, str | None]] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on(
                "request",
                lambda request: None if request.url.startswith((base, "data:")) else outside.append(request.url),
            )
            page.on(
                "request",
                lambda request: (
                    sent.append((request.headers.get("content-type", ""), request.post_data))
                    if request.url.startswith(f"{base}/v1/mail/messages")
                    else None
                ),
            )
            _authorize(page, base, key)
            operation = "#operations-mail-postMailMessage"
            _try_out(page, operation)
            content_type = page.locator(f"{operation} .opblock-section-request-body select")
            assert content_type.input_value() == "message/rfc822"
            body = page.locator(f"{operation} textarea.body-param__text")
            assert body.input_value().startswith("Message-ID: <reply-1@mail.acme.example>")
            status, answer = _execute(page, operation)
            assert status == "201", answer
            outcome = json.loads(answer)
        finally:
            browser.close()
    assert outside == []
    assert sent and sent[0][0] == "message/rfc822"
    assert sent[0][1] is not None and "Subject: Re: Thank you" in sent[0][1]
    assert outcome["message_id"] == "<reply-1@mail.acme.example>"
    assert (outcome["kind"], outcome["direction"], outcome["outcome"]) == ("message", "inbound", "unmatched")
    assert outcome["from"] == "ana@example.com" and outcome["subject"] == "Re: Thank you"
    listed = httpx.get(f"{base}/v1/mail/messages", headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 200
    assert [(m["id"], m["message_id"]) for m in listed.json()["data"]] == [
        (outcome["id"], "<reply-1@mail.acme.example>")
    ]


def test_the_live_server_wants_the_key(live_server: tuple[str, str]) -> None:
    base, _ = live_server
    assert httpx.get(f"{base}/v1/interviews").status_code == 401


def test_swagger_ui_signs_in_with_the_identity_provider(tmp_path: Path, oidc_installed: Path) -> None:
    """With FOLLOWUP_OIDC_CLIENT_ID, Swagger UI signs in through the provider's own login
    page (authorization code with PKCE, tests/oidc/) and "Try it out" answers 200 with the
    access token it got. Requests go to the service and the provider only."""
    from oidc.provider import AUDIENCE, OpenIdProvider, signing_key

    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    provider = OpenIdProvider(
        oidc_installed, [signing_key("browser")], redirect_uri=f"{base}/docs/oauth2-redirect"
    ).start()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'followup.db'}",
        "FOLLOWUP_PORT": str(port),
        "FOLLOWUP_HOST": "127.0.0.1",
        "FOLLOWUP_OIDC_ISSUER": provider.issuer,
        "FOLLOWUP_OIDC_AUDIENCE": AUDIENCE,
        "FOLLOWUP_OIDC_CLIENT_ID": "swagger",
    }
    subprocess.run([BIN / "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)
    outside: list[str] = []
    exchanges: list[str] = []
    sent: list[str] = []
    try:
        with _serving(env, base), sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context()
                local = (base, provider.issuer, "data:")
                # The provider's development login page asks for web fonts: nothing leaves the machine.
                context.route(
                    "**/*", lambda route: route.continue_() if route.request.url.startswith(local) else route.abort()
                )
                context.on(
                    "request",
                    lambda request: (
                        exchanges.append(request.post_data or "") if request.url == f"{provider.issuer}/token" else None
                    ),
                )
                context.on(
                    "request",
                    lambda request: (
                        sent.append(request.headers.get("authorization", ""))
                        if request.url.startswith(f"{base}/v1/")
                        else None
                    ),
                )
                page = context.new_page()
                # Swagger UI itself asks for nothing but the service and the provider.
                page.on(
                    "request", lambda request: None if request.url.startswith(local) else outside.append(request.url)
                )
                # Swagger UI reads the provider's discovery document once it has loaded the schema.
                with page.expect_response(f"{provider.issuer}/.well-known/openid-configuration"):
                    page.goto(f"{base}/docs")
                page.click("button.authorize")
                oidc = page.locator("div.modal-ux .auth-container", has_text="authorization_code with PKCE")
                # The client id and the scopes come filled in from the service's settings.
                assert oidc.locator("#client_id_authorization_code").input_value() == "swagger"
                assert oidc.locator("input[data-value=openid]").is_checked()
                with page.expect_popup() as opened:
                    oidc.locator("button.modal-btn.auth.authorize").click()
                login = opened.value
                login.fill("input[name=login]", "ana")
                login.fill("input[name=password]", "any password")
                login.click("button[type=submit]")
                # Back through /docs/oauth2-redirect, which closes the window; Swagger UI then
                # shows the scheme as signed in (on its first flow's panel).
                if not login.is_closed():
                    login.wait_for_event("close")
                page.get_by_text("Authorized", exact=True).first.wait_for(state="attached")
                page.locator("div.modal-ux button.btn-done").first.click()
                operation = "#operations-me-getMe"
                _try_out(page, operation)
                status, answer = _execute(page, operation)
                assert status == "200", answer
                me = json.loads(answer)
            finally:
                browser.close()
    finally:
        provider.stop()
    assert outside == []
    # The code was exchanged with its PKCE verifier, and no secret.
    assert len(exchanges) == 1
    exchange = dict(item.split("=", 1) for item in exchanges[0].split("&"))
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
    assert "client_secret" not in exchange
    assert sent and sent[-1].startswith("Bearer eyJ")
    assert me["oidc"] == {"issuer": provider.issuer, "subject": "ana"}
    assert me["email"] == "ana@example.com"
