"""OpenID Connect access tokens: `Authorization: Bearer <JWT>` from the provider named by
FOLLOWUP_OIDC_ISSUER, verified with PyJWT against the provider's published keys.

What a token must be to pass: signed with one of `ALGORITHMS` (never `none`, never an
HMAC: the provider's keys are public, so an HMAC "signed" with one proves nothing) by a key
of the provider's JWKS whose own algorithm is the header's; issued by the issuer, for the
audience, with a subject and an expiry, not expired and not yet to come (`nbf`), both
within the leeway.

The JWKS is found through the provider's discovery document, kept, and fetched again when
a token names a key it does not have (the provider rotated its keys), at most once every
`REFETCH_SECONDS`: a flood of tokens with made-up key ids cannot make the service hammer
the provider. While the provider cannot be reached, the keys already fetched keep
verifying.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import jwt
from jwt import PyJWK

from app.core.problems import Unauthorized

logger = logging.getLogger(__name__)

ALGORITHMS = ("RS256", "ES256", "EdDSA")
# The key types those algorithms use: a symmetric ("oct") key of a JWKS is never used.
KEY_TYPES = ("RSA", "EC", "OKP")
REFETCH_SECONDS = 60.0
FETCH_TIMEOUT_SECONDS = 5.0
MAX_SUBJECT_LENGTH = 255
MAX_EMAIL_LENGTH = 320


class InvalidToken(Unauthorized):
    """RFC 6750's answer to a bearer token that is not valid; the detail says no more
    (which check failed would help whoever forges tokens)."""

    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def looks_like_jwt(credential: str) -> bool:
    """A compact JWS (`header.payload.signature`, the header a JSON object in base64url)
    rather than an API key (`fu_<prefix>_<secret>`, which has no dots)."""
    return credential.startswith("eyJ") and credential.count(".") == 2


@dataclass(frozen=True)
class TokenClaims:
    """What the service uses of a verified token."""

    issuer: str
    subject: str
    # Empty when the provider puts no email in its access tokens (docs/auth.md).
    email: str
    # Unix time.
    expires_at: float


class ProviderKeys:
    """The provider's signing keys by key id, fetched through discovery and kept."""

    def __init__(
        self,
        issuer: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        refetch_seconds: float = REFETCH_SECONDS,
        timeout_seconds: float = FETCH_TIMEOUT_SECONDS,
    ) -> None:
        self.issuer = issuer
        self.clock = clock
        self.refetch_seconds = refetch_seconds
        self.timeout_seconds = timeout_seconds
        self.fetches = 0
        self._keys: dict[str, PyJWK] = {}
        self._jwks_uri: str | None = None
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def get(self, kid: str | None) -> PyJWK | None:
        """The key named `kid`: a kept one, else one fetched now unless the last fetch (or
        attempt) was less than `refetch_seconds` ago. A token without a `kid` is verified
        only against a JWKS of a single key."""
        # Without the lock: the kept keys are replaced whole, never changed in place, so a
        # fetch that waits on a slow provider holds up no token of a known key.
        found = self._find(kid)
        if found is not None:
            return found
        with self._lock:
            found = self._find(kid)  # fetched by another thread meanwhile
            if found is not None:
                return found
            if self._fetched_at is not None and self.clock() - self._fetched_at < self.refetch_seconds:
                return None
            self._fetched_at = self.clock()
            try:
                self._keys = self._fetch()
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
                # The kept keys stay: the provider may be down for a moment.
                logger.warning("the keys of %s could not be fetched: %s", self.issuer, error)
                return None
            return self._find(kid)

    def _find(self, kid: str | None) -> PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def _fetch(self) -> dict[str, PyJWK]:
        self.fetches += 1
        with httpx.Client(timeout=self.timeout_seconds, follow_redirects=False) as client:
            if self._jwks_uri is None:
                discovery = client.get(discovery_url(self.issuer))
                discovery.raise_for_status()
                document: dict[str, Any] = discovery.json()
                # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer asked for.
                if document.get("issuer") != self.issuer:
                    raise ValueError(f"the discovery document names the issuer {document.get('issuer')!r}")
                jwks_uri = document["jwks_uri"]
                if not isinstance(jwks_uri, str):
                    raise TypeError("jwks_uri is not a string")
                self._jwks_uri = jwks_uri
            response = client.get(self._jwks_uri)
            response.raise_for_status()
            jwks: dict[str, Any] = response.json()
        keys: dict[str, PyJWK] = {}
        for data in jwks["keys"]:
            if not isinstance(data, dict) or data.get("kty") not in KEY_TYPES or data.get("use", "sig") != "sig":
                continue
            try:
                key = PyJWK(data)
            except jwt.PyJWTError:
                continue  # a key type or curve this service does not use
            if key.algorithm_name in ALGORITHMS:
                keys[str(data.get("kid", ""))] = key
        return keys


class TokenVerifier:
    """Verifies access tokens of one issuer for one audience (app.state.oidc)."""

    def __init__(self, *, issuer: str, audience: str, leeway_seconds: float, keys: ProviderKeys | None = None):
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds
        self.keys = keys or ProviderKeys(issuer)

    def verify(self, token: str) -> TokenClaims | None:
        """The token's claims when it is valid, else None. It may fetch the provider's
        keys: run it in a worker thread."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        algorithm = header.get("alg")
        kid = header.get("kid")
        if algorithm not in ALGORITHMS or not (kid is None or isinstance(kid, str)):
            return None
        key = self.keys.get(kid)
        if key is None or key.algorithm_name != algorithm:
            return None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError:
            return None
        subject, email, expires_at = claims["sub"], claims.get("email"), claims["exp"]
        if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT_LENGTH:
            return None
        if not isinstance(email, str) or len(email) > MAX_EMAIL_LENGTH:
            email = ""
        return TokenClaims(
            issuer=self.issuer, subject=subject, email=email.strip().lower(), expires_at=float(expires_at)
        )


OIDC_SCHEME_NAME = "OpenIdConnect"


def discovery_url(issuer: str) -> str:
    return f"{issuer.rstrip('/')}/.well-known/openid-configuration"


def document(schema: dict[str, Any], *, issuer: str) -> None:
    """Sign-in with the provider in the OpenAPI document, beside the API key on every
    operation that takes one: Swagger UI then offers the authorization code flow (with
    PKCE, app.main) and sends the access token it gets."""
    schema["components"]["securitySchemes"][OIDC_SCHEME_NAME] = {
        "type": "openIdConnect",
        "openIdConnectUrl": discovery_url(issuer),
        "description": "Sign in with the identity provider; its access token is sent as `Bearer <token>`.",
    }
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            if operation.get("security"):
                operation["security"] = [*operation["security"], {OIDC_SCHEME_NAME: []}]
