"""Gateway dev keys: fresh Ed25519 pairs, generated once into `.local/secrets/gateway/`
(git-ignored) by `wic up` or `wic keys generate`, never committed (docs/security.md).

    service/public-keys.json   WIC_GATEWAY_KEYS: every province's public key, our province
    service/370000.key         WIC_GATEWAY_PRIVATE_KEY_FILE: our private key (mode 0600)
    peers/<province>.key       Beijing's and Jiangsu's private keys, for the demo and tests
                               that play those provinces; never handed to the service

`service/` is all a deployment mounts (docker-compose.yml). `dev_keys()` is the one way the
demo, the chaos run and the tests sign as a province.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import gateway_keys as files
from infra.errors import StackError
from infra.layout import LOCAL, rel

DEFAULT_DIR = LOCAL / "secrets" / "gateway"
HOME = "370000"  # Shandong: us
PEERS = {"110000": "bj", "320000": "js"}  # the provinces the demo and tests play
PUBLIC_FILE = "public-keys.json"


@dataclass(frozen=True)
class DevKeys:
    root: Path

    @property
    def public_file(self) -> Path:
        return self.root / "service" / PUBLIC_FILE

    @property
    def private_file(self) -> Path:
        return self.root / "service" / f"{HOME}.key"

    def service_env(self) -> dict[str, str]:
        """What the clearing service is given: the public set and our private key only."""
        return {"WIC_GATEWAY_KEYS": str(self.public_file),
                "WIC_GATEWAY_PRIVATE_KEY_FILE": str(self.private_file)}

    def public_keys(self) -> files.PublicKeys:
        return files.parse_public_keys(self.public_file.read_text())[1]

    def private_key(self, province: str) -> Ed25519PrivateKey:
        path = self.private_file if province == HOME else self.root / "peers" / f"{province}.key"
        return files.parse_private_key(path.read_text())

    def key_id(self, province: str) -> str:
        key_id = files.key_id_of(self.private_key(province), self.public_keys()[province])
        if key_id is None:
            raise StackError(f"{rel(self.root)}: {province}'s private key is not in "
                             f"{PUBLIC_FILE}; delete the directory to generate a fresh set")
        return key_id


def generate(root: Path = DEFAULT_DIR) -> bool:
    """Write a fresh set into `root` unless it holds one; True if written. The set is
    written beside it and renamed into place, so a process racing this one (two test runs
    at once) finds either no set or a whole one."""
    if (root / "service" / PUBLIC_FILE).exists():
        return False
    root.parent.mkdir(parents=True, exist_ok=True)
    draft = Path(tempfile.mkdtemp(prefix=".gateway-", dir=root.parent))  # mode 0700
    try:
        _write(draft)
        os.rename(draft, root)  # replaces an empty directory, never a full one
    except OSError:
        shutil.rmtree(draft, ignore_errors=True)
        if (root / "service" / PUBLIC_FILE).exists():
            return False  # another process won the race
        raise StackError(f"{rel(root)} exists but holds no gateway key set ({PUBLIC_FILE} "
                         "missing): move it away or choose another --dir") from None
    return True


def _write(root: Path) -> None:
    keys = {p: Ed25519PrivateKey.generate() for p in (HOME, *PEERS)}
    prefixes = {HOME: "sd", **PEERS}
    public = {p: {f"{prefixes[p]}-dev-{secrets.token_hex(4)}": files.public_bytes(k)}
              for p, k in keys.items()}
    for sub in ("service", "peers"):
        (root / sub).mkdir(mode=0o700)
    (root / "service" / PUBLIC_FILE).write_text(files.public_key_set(HOME, public))
    for province, key in keys.items():
        _write_private(root / ("service" if province == HOME else "peers") / f"{province}.key",
                       key)


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    """Created 0600 and never over an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(files.private_key_text(key))


def new_pair(path: Path) -> str:
    """`wic keys pair`: a new private key into `path`; returns its public key (base64)."""
    key = Ed25519PrivateKey.generate()
    try:
        _write_private(path, key)
    except FileExistsError:
        raise StackError(f"{rel(path)} exists: a key file is never overwritten") from None
    return base64.b64encode(files.public_bytes(key)).decode()


def ensure(root: Path = DEFAULT_DIR) -> str:
    """`wic up`'s step: generate once, keep across restarts."""
    written = generate(root)
    return f"gateway keys: {'generated in' if written else 'kept in'} {rel(root)}"


def wipe(root: Path = DEFAULT_DIR) -> str:
    """`wic down --wipe`: the keys go with the log that holds their signatures."""
    shutil.rmtree(root, ignore_errors=True)
    return f"gateway keys: deleted {rel(root)}"


def dev_keys(root: Path = DEFAULT_DIR) -> DevKeys:
    """The dev set, generated first if missing (tests may run before any `wic up`)."""
    generate(root)
    return DevKeys(root)
