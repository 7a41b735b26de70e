"""Kafka credentials of the local stack: one random password per principal, generated at
`wic up` into `.local/secrets/kafka/<principal>.json` (git-ignored, mode 0600).

The broker learns them when its log is formatted (`StorageTool --add-scram`, no extra JVM
start); a principal added later, or a password rotated by deleting its file, is registered
on the running broker by `infra.kafka` (docs/security.md, "Rotating a password").
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path

from contracts.acl import ADMIN, PRINCIPALS
from contracts.settings import SCRAM, KafkaAuth, kafka_auth, secrets_dir


def path(principal: str, home: Path | None = None) -> Path:
    return (home or secrets_dir()) / f"{principal}.json"


def ensure(home: Path | None = None) -> list[str]:
    """Write a credentials file for every principal that has none; returns those written."""
    home = home or secrets_dir()
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    written = []
    for principal in PRINCIPALS:
        target = path(principal, home)
        if target.exists():
            continue
        body = json.dumps({"username": principal, "password": secrets.token_hex(24)})
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(body + "\n")
        written.append(principal)
    return written


def password(principal: str, home: Path | None = None) -> str:
    return str(json.loads(path(principal, home).read_text())["password"])


def auth(principal: str, home: Path | None = None) -> KafkaAuth:
    return KafkaAuth("sasl", principal, password(principal, home), str(path(principal, home)))


def admin_auth() -> KafkaAuth:
    """Who provisions (topics, ACLs: `wic up`, a demo's or test's run, the benchmarks): the
    checkout's `admin` file, or for an external broker (compose) the environment's
    credentials, which must then be an admin's."""
    if path(ADMIN).exists():
        return auth(ADMIN)
    return kafka_auth(ADMIN)


def fingerprint(principal: str, home: Path | None = None) -> str:
    """What the broker was told for `principal`, without keeping the password twice."""
    return hashlib.sha256(f"{principal}:{password(principal, home)}".encode()).hexdigest()


def scram_args(home: Path | None = None) -> list[str]:
    """`StorageTool format` arguments that create every principal's SCRAM credential."""
    out: list[str] = []
    for principal in PRINCIPALS:
        out += ["--add-scram",
                f"{SCRAM}=[name={principal},password={password(principal, home)}]"]
    return out
