"""A real OpenID Provider for the tests: npm's `oidc-provider` (a certified implementation),
installed from tests/oidc/package-lock.json and run by node with tests/oidc/provider.mjs.

`OpenIdProvider` starts and stops it on a port of its own, with signing keys the test
chooses (so that it can rotate them, or start a second provider with the same keys), and
asks it for access tokens with client credentials."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import debian
import httpx
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

HERE = Path(__file__).resolve().parent
AUDIENCE = "https://api.followup.test"
OTHER_AUDIENCE = "https://other-api.followup.test"
CLIENT_SECRETS = {"script": "script-secret", "robot": "robot-secret", "short-lived": "short-lived-secret"}


def install(where: Path) -> Path:
    """oidc-provider and provider.mjs in `where`, installed exactly as locked."""
    return debian.npm_project(HERE, ("package.json", "package-lock.json", "provider.mjs"), where)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signing_key(kid: str, alg: str = "RS256") -> dict[str, Any]:
    """A new private JWK for `alg`, named `kid`."""
    if alg == "RS256":
        jwk = RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048), as_dict=True)
    elif alg == "ES256":
        jwk = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()), as_dict=True)
    else:
        jwk = OKPAlgorithm.to_jwk(ed25519.Ed25519PrivateKey.generate(), as_dict=True)
    return jwk | {"kid": kid, "use": "sig", "alg": alg}


@dataclass
class OpenIdProvider:
    """One oidc-provider process; `start` again (with other keys) after `stop` keeps its
    issuer, as a provider that rotated its keys and came back."""

    installed: Path
    keys: list[dict[str, Any]]
    port: int = field(default_factory=free_port)
    alg: str = "RS256"
    redirect_uri: str | None = None
    process: subprocess.Popen[str] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OpenIdProvider:
        jwks = self.installed.resolve() / f"jwks-{self.port}.json"
        jwks.write_text(json.dumps({"keys": self.keys}))
        env = os.environ | {
            "OIDC_PORT": str(self.port),
            "OIDC_JWKS": str(jwks),
            "OIDC_AUDIENCE": AUDIENCE,
            "OIDC_OTHER_AUDIENCE": OTHER_AUDIENCE,
            "OIDC_ALG": self.alg,
            "OIDC_REDIRECT": self.redirect_uri or "",
            "NODE_ENV": "test",
        }
        self.process = subprocess.Popen(
            ["node", "provider.mjs"],
            cwd=self.installed,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip() == "ready", f"the OpenID Provider did not start: {line!r}"
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def token(self, client_id: str = "script", *, resource: str | None = None) -> str:
        """An access token by client credentials (for the service's audience unless
        `resource` says otherwise)."""
        body = {"grant_type": "client_credentials", "scope": "api"}
        if resource is not None:
            body["resource"] = resource
        response = httpx.post(f"{self.issuer}/token", data=body, auth=(client_id, CLIENT_SECRETS[client_id]))
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token
