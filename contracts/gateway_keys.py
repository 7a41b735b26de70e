"""The gateway key files, read by the clearing service and written by `wic keys generate`.

Two kinds of file, kept apart so that no file handed to the service holds another province's
private key (docs/security.md, "Gateway keys"):

- the public key set (`WIC_GATEWAY_KEYS`), JSON, every key public, several per province
  during a rotation: `{"home_province": "370000",
  "provinces": {"110000": {"<key id>": "<base64 raw 32-byte Ed25519 public key>"}, ...}}`;
- a private key file (ours: `WIC_GATEWAY_PRIVATE_KEY_FILE`): one line, the base64 raw
  32-byte Ed25519 private key. Its key id is the one whose public key is its public half.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

PublicKeys = dict[str, dict[str, bytes]]  # province -> key id -> raw Ed25519 public key
RAW = 32  # bytes of an Ed25519 key, public or private
# Fields of the retired keys.dev.json layout, which put private keys beside the public ones.
OLD_FIELDS = frozenset({"key_id", "public", "private"})


def _raw(text: object, what: str) -> bytes:
    try:
        raw = base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not base64") from None
    if len(raw) != RAW:
        raise ValueError(f"{what} is {len(raw)} bytes, not an Ed25519 key's {RAW}")
    return raw


def parse_public_keys(text: str) -> tuple[str, PublicKeys]:
    """`(home_province, keys)` from a public key set; ValueError saying what is wrong."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("provinces"), dict):
        raise ValueError('no "provinces" object')
    keys: PublicKeys = {}
    for province, entry in data["provinces"].items():
        if not isinstance(entry, dict) or not entry:
            raise ValueError(f"province {province}: expected {{key id: public key}}")
        if OLD_FIELDS & set(entry):
            raise ValueError(f"province {province} is in the retired keys.dev.json layout "
                             "(key_id/public/private): a public key set holds no private key")
        keys[province] = {kid: _raw(pub, f"province {province} key {kid}")
                          for kid, pub in entry.items()}
    home = data.get("home_province")
    if not isinstance(home, str) or home not in keys:
        raise ValueError(f"home_province {home!r} is not one of the provinces listed")
    return home, keys


def public_key_set(home: str, keys: PublicKeys) -> str:
    """The JSON text `parse_public_keys` reads."""
    provinces = {p: {kid: base64.b64encode(raw).decode() for kid, raw in ids.items()}
                 for p, ids in keys.items()}
    return json.dumps({"home_province": home, "provinces": provinces}, indent=2) + "\n"


def parse_private_key(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_raw(text.strip(), "the private key"))


def private_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode() + "\n"


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id_of(key: Ed25519PrivateKey, ids: dict[str, bytes]) -> str | None:
    """The key id under which `key`'s public half is listed (None: it is not)."""
    mine = public_bytes(key)
    return next((kid for kid, raw in ids.items() if raw == mine), None)
