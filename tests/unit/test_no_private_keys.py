"""No private key is committed (issue 16, part 7): a key in the repository works for anyone
who clones it. Dev keys are generated into `.local/secrets/` instead (docs/security.md).

Scans every tracked file for PEM/OpenSSH private key blocks, private-key fields in JSON
(our retired `keys.dev.json` layout, a JWK's `d`) and key files by name."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from infra.gateway_keys import DevKeys, dev_keys

ROOT = Path(__file__).resolve().parents[2]
PEM = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
JSON_FIELD = re.compile(
    r'"(?:private|private_key|privateKey|secret_key|signing_key|d)"\s*:\s*'
    r'"[A-Za-z0-9+/_-]{40,}={0,2}"')
KEY_FILE_SUFFIXES = (".key", ".pem", ".p12", ".pfx", ".jwk")


def findings(name: str, text: str) -> list[str]:
    """Where, never what: a failing run must not print the key it found."""
    found = [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {kind}"
             for kind, p in (("PEM private key", PEM), ("private key field", JSON_FIELD))
             for m in p.finditer(text)]
    if name.endswith(KEY_FILE_SUFFIXES):
        found.append(f"{name}: a key file")
    return found


def tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [n for n in out.stdout.decode().split("\0") if n]


def test_no_tracked_file_holds_private_key_material() -> None:
    names = tracked()
    assert "README.md" in names and len(names) > 100  # really the repository's listing
    found = []
    for name in names:
        path = ROOT / name
        if path.is_file():  # listed but deleted in the work tree: nothing to commit
            found += findings(name, path.read_bytes().decode("utf-8", errors="replace"))
    assert found == []


def test_the_retired_keys_dev_json_layout_is_found() -> None:
    """The file this replaced: public and private Ed25519 keys of three provinces."""
    def pair() -> dict[str, str]:
        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"key_id": "sd-dev-1", "public": base64.b64encode(public).decode(),
                "private": base64.b64encode(raw).decode()}
    old = json.dumps({"home_province": "370000",
                      "provinces": {p: pair() for p in ("370000", "110000", "320000")}},
                     indent=2)
    assert len(findings("reference/gateway/keys.dev.json", old)) == 3


def test_pem_and_openssh_private_keys_and_key_files_are_found() -> None:
    key = Ed25519PrivateKey.generate()
    for fmt in (PrivateFormat.PKCS8, PrivateFormat.OpenSSH):
        pem = key.private_bytes(Encoding.PEM, fmt, NoEncryption()).decode()
        assert findings("docs/example.md", pem), fmt
    assert findings("reference/gateway/370000.key", "anything")


def test_the_generated_public_key_set_is_not_a_finding(tmp_path: Path) -> None:
    keys: DevKeys = dev_keys(tmp_path / "gateway")
    assert findings("public-keys.json", keys.public_file.read_text()) == []
