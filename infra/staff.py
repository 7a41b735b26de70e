"""The local identity provider's staff directory (issue 20): who may sign in to the console
with a password, and the roles and regions their token names.

Only for local runs and tests, like the signing key beside it (`infra.identity`): a
deployment signs its staff in at its own provider (Keycloak, …). Passwords are kept as
scrypt hashes (hashlib, no extra dependency), never in clear; the file is mode 0600.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.identity import HOME

DIRECTORY = HOME / "staff.json"
_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~20 ms per check on the dev machine


@dataclass(frozen=True)
class Member:
    user: str
    name: str
    roles: tuple[str, ...]
    regions: tuple[str, ...]


def path() -> Path:
    """`WIC_STAFF_DIRECTORY`, or `.local/identity/staff.json`."""
    return Path(os.environ.get("WIC_STAFF_DIRECTORY", str(DIRECTORY)))


def _hash(password: str, salt: bytes) -> str:
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def _read(where: Path) -> dict[str, dict[str, object]]:
    try:
        return dict(json.loads(where.read_text()).get("users", {}))
    except FileNotFoundError:
        return {}


def add(user: str, password: str, roles: Sequence[str], regions: Sequence[str], name: str = "",
        where: Path | None = None) -> None:
    """Add or replace `user` (a new password replaces the old one)."""
    where = where or path()
    users = _read(where)
    users[user] = {"name": name, "roles": list(roles), "regions": list(regions),
                   "password": _hash(password, secrets.token_bytes(16))}
    where.parent.mkdir(parents=True, exist_ok=True)
    where.touch(mode=0o600)
    where.write_text(json.dumps({"users": users}, ensure_ascii=False, indent=2))


def check(user: str, password: str, where: Path | None = None) -> Member | None:
    """The member, if `password` is theirs; None for an unknown user or a wrong password
    (the caller says the same in both cases: a sign-in form tells no one who exists)."""
    entry = _read(where or path()).get(user)
    if entry is None:
        _hash(password, b"0" * 16)  # the same time as a known user: no timing oracle
        return None
    _, n, r, p, salt, digest = str(entry["password"]).split("$")
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                         p=int(p), dklen=32).hex()
    if not hmac.compare_digest(got, digest):
        return None
    return Member(user, str(entry.get("name", "")), tuple(entry["roles"]),  # type: ignore[arg-type]
                  tuple(entry["regions"]))  # type: ignore[arg-type]
