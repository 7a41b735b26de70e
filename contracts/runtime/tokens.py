"""Staff bearer tokens (issue 16): a JWT of the agency's identity provider, verified against
the provider's published keys (a JWKS file or URL) — signature, issuer, audience, expiry
and not-before — and turned into the `Actor` an ingress stamps on the envelope.

Claims: `sub` (the user), `name`, `roles` (values of `contracts.actor.Role`) and `regions`
(GB/T 2260 codes acted for). A provider such as Keycloak maps its users' attributes onto
these claims (docs/security.md). Locally, `wic users add` is the issuer (ops/identity.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from pydantic import TypeAdapter, ValidationError

from contracts.actor import Actor, ActorKind, Channel, Role
from contracts.types import RegionCode

ALGORITHMS = ["EdDSA", "ES256", "RS256"]  # asymmetric only: a service never holds a secret
LEEWAY_SECONDS = 30  # clock skew tolerated between the provider and us
DEFAULT_AUDIENCE = "wic"
LOCAL_ISSUER = "wic-local"
LOCAL_JWKS = Path(__file__).resolve().parents[2] / ".local" / "identity" / "jwks.json"
_REGIONS = TypeAdapter(tuple[RegionCode, ...])


class TokenRefused(Exception):
    """A request without a valid token: answered 401 with `code`, never recorded."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


@dataclass(frozen=True)
class Verifier:
    issuer: str
    audience: str
    keys: jwt.PyJWKSet | jwt.PyJWKClient

    @classmethod
    def from_environment(cls) -> Verifier:
        """WIC_IDENTITY_JWKS_URL (a provider's published keys) or WIC_IDENTITY_JWKS_FILE
        (default: the local issuer's, written by `wic up`); WIC_IDENTITY_ISSUER and
        WIC_IDENTITY_AUDIENCE (defaults: the local issuer, "wic")."""
        issuer = os.environ.get("WIC_IDENTITY_ISSUER", LOCAL_ISSUER)
        audience = os.environ.get("WIC_IDENTITY_AUDIENCE", DEFAULT_AUDIENCE)
        url = os.environ.get("WIC_IDENTITY_JWKS_URL")
        if url:
            return cls(issuer, audience, jwt.PyJWKClient(url, cache_keys=True))
        path = Path(os.environ.get("WIC_IDENTITY_JWKS_FILE", str(LOCAL_JWKS)))
        try:
            keys = jwt.PyJWKSet.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, jwt.PyJWKSetError) as exc:
            raise RuntimeError(f"no identity provider keys at {path} (WIC_IDENTITY_JWKS_FILE;"
                               f" `wic up` writes the local issuer's): {exc}") from None
        return cls(issuer, audience, keys)

    def actor(self, authorization: str | None) -> Actor:
        """The staff member a request's `Authorization: Bearer <JWT>` names."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRefused("unauthenticated", "send `Authorization: Bearer <token>` with a "
                               "token of the agency's identity provider")
        claims = self._claims(token.strip())
        try:
            regions = _REGIONS.validate_python(tuple(claims.get("regions", ())))
            roles = tuple(Role(r) for r in claims.get("roles", ()))
        except (ValidationError, ValueError, TypeError) as exc:
            raise TokenRefused("token_malformed", f"roles or regions: {exc}") from None
        return Actor(id=f"staff:{claims['sub']}", kind=ActorKind.STAFF, channel=Channel.HTTP,
                     name=str(claims.get("name", ""))[:200], roles=roles, regions=regions)

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            key = self._key(token)
            return jwt.decode(token, key, algorithms=ALGORITHMS, audience=self.audience,
                              issuer=self.issuer, leeway=LEEWAY_SECONDS,
                              options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise TokenRefused("token_expired", "the token has expired; sign in again") from None
        except jwt.ImmatureSignatureError:
            raise TokenRefused("token_not_yet_valid", "the token is not valid yet (nbf/iat)"
                               ) from None
        except jwt.InvalidAudienceError:
            raise TokenRefused("token_wrong_audience",
                               f"the token is not for audience {self.audience!r}") from None
        except jwt.InvalidIssuerError:
            raise TokenRefused("token_wrong_issuer",
                               f"the token is not from issuer {self.issuer!r}") from None
        except jwt.InvalidSignatureError:
            raise TokenRefused("token_invalid_signature", "the token's signature does not "
                               "verify with the identity provider's keys") from None
        except jwt.PyJWKClientError as exc:
            raise TokenRefused("token_unknown_key", str(exc)) from None
        except jwt.InvalidTokenError as exc:
            raise TokenRefused("token_malformed", str(exc)) from None

    def _key(self, token: str) -> Any:
        if isinstance(self.keys, jwt.PyJWKClient):
            return self.keys.get_signing_key_from_jwt(token).key
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self.keys.keys:
            if key.key_id == kid:
                return key.key
        raise TokenRefused("token_unknown_key",
                           f"no key {kid!r} among the identity provider's published keys")


def cached(load: Callable[[], Verifier]) -> Callable[[], Verifier]:
    """Load once it succeeds; until then every request tries again (and answers 503)."""
    loaded: list[Verifier] = []

    def get() -> Verifier:
        if not loaded:
            loaded.append(load())
        return loaded[0]

    return get
