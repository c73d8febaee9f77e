"""A local OpenID issuer for `make bench`: its discovery document and its keys over HTTP,
and access tokens signed with its key, so that P5 measures the stack with a token as a
frontend sends it. (The tests use a certified provider, npm's oidc-provider; the benchmark
needs only tokens the service accepts, without Node.)"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

AUDIENCE = "https://api.followup.bench"
KEY_ID = "bench-1"


@dataclass
class Issuer:
    url: str
    key: rsa.RSAPrivateKey

    def token(self, subject: str, *, lifetime_seconds: int = 3600) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "sub": subject, "aud": AUDIENCE, "iat": now, "exp": now + lifetime_seconds}
        claims["email"] = f"{subject}@bench.example"
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KEY_ID})


@contextmanager
def local_issuer() -> Iterator[Issuer]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public |= {"kid": KEY_ID, "use": "sig", "alg": "RS256"}
    documents: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = documents.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body or b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the benchmark prints its own lines

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    documents["/.well-known/openid-configuration"] = json.dumps({"issuer": url, "jwks_uri": f"{url}/jwks"}).encode()
    documents["/jwks"] = json.dumps({"keys": [public]}).encode()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Issuer(url=url, key=key)
    finally:
        server.shutdown()
        server.server_close()
