"""The local identity provider (issue 16): an Ed25519 signing key under `.local/identity/`
(never committed), its public JWKS for the services, and tokens for `wic users add`.

Only for local runs and tests: a deployment points the services at its real provider
(`WIC_IDENTITY_JWKS_URL`, `WIC_IDENTITY_ISSUER`, `WIC_IDENTITY_AUDIENCE`; docs/security.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.runtime.tokens import DEFAULT_AUDIENCE, LOCAL_ISSUER, LOCAL_JWKS

HOME = LOCAL_JWKS.parent
PRIVATE = HOME / "issuer.jwk.json"  # mode 0600


def ensure_issuer(home: Path = HOME) -> str:
    """Create the signing key and its JWKS once; later calls keep them."""
    private, public = home / PRIVATE.name, home / LOCAL_JWKS.name
    if private.exists() and public.exists():
        return f"identity: local issuer {LOCAL_ISSUER!r} ({public})"
    home.mkdir(parents=True, exist_ok=True)
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(Ed25519PrivateKey.generate()))
    jwk.update(kid=_kid(jwk), alg="EdDSA", use="sig")
    private.touch(mode=0o600)
    private.write_text(json.dumps(jwk))
    public_jwk = {k: v for k, v in jwk.items() if k != "d"}
    public.write_text(json.dumps({"keys": [public_jwk]}, indent=2))
    return f"identity: created local issuer {LOCAL_ISSUER!r} ({public})"


def issue(user: str, roles: Sequence[str], regions: Sequence[str], *, name: str = "",
          hours: float = 8.0, home: Path = HOME, now: float | None = None,
          audience: str = DEFAULT_AUDIENCE, issuer: str = LOCAL_ISSUER) -> str:
    """A signed token for `user` (the `sub`), as an agency's identity provider issues one."""
    jwk = json.loads((home / PRIVATE.name).read_text())
    key = jwt.PyJWK.from_dict(jwk)
    issued = int(time.time() if now is None else now)
    claims = {"iss": issuer, "aud": audience, "sub": user, "name": name, "iat": issued,
              "nbf": issued, "exp": issued + int(hours * 3600), "roles": list(roles),
              "regions": list(regions)}
    return jwt.encode(claims, key.key, algorithm="EdDSA", headers={"kid": jwk["kid"]})


def _kid(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint: the key's id follows from the key."""
    body = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"),
                      sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(body.encode()).digest()).rstrip(b"=").decode()
