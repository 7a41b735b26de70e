"""Where the log and the database are, and who this process is on the broker: one place,
read from the environment.

Defaults are the local stack that `infra/` starts (loopback, non-default ports so it never
collides with a Kafka or PostgreSQL the host already runs). Tests isolate themselves by
setting `WIC_TOPIC_PREFIX` and `WIC_DATABASE_URL` per run.

Kafka security (docs/security.md): `WIC_KAFKA_SECURITY` is `sasl` (default: SASL_PLAINTEXT
with SCRAM-SHA-512) or `plaintext`. The credentials are, the first that is set:
`WIC_KAFKA_USERNAME` / `WIC_KAFKA_PASSWORD` (each overrides the file's field),
`WIC_KAFKA_CREDENTIALS` (a JSON file `{"username", "password"}`), else
`<WIC_KAFKA_SECRETS>/<principal>.json` where the principal is `WIC_KAFKA_PRINCIPAL` or the
program's own (a service's name; `operator` for `wic`); `WIC_KAFKA_SECRETS` defaults to
`.local/secrets/kafka`, which `wic up` fills. `kafka_security` is the one function that
turns this into client arguments.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KAFKA_PORT = 19092
KAFKA_CONTROLLER_PORT = 19093
POSTGRES_PORT = 15432
DEFAULT_DATABASE = "wic"
DEFAULT_ROLE = "wic"
SECRETS_DIR = Path(__file__).resolve().parent.parent / ".local" / "secrets" / "kafka"
SCRAM = "SCRAM-SHA-512"


class KafkaCredentialsMissing(RuntimeError):
    """SASL is on but this process has no password to present."""


@dataclass(frozen=True)
class KafkaAuth:
    security: str  # "sasl" | "plaintext"
    username: str
    password: str | None
    source: str  # where the credentials came from, for error messages

    def describe(self) -> str:
        return f"principal {self.username!r}" if self.security == "sasl" else "no SASL"


def secrets_dir() -> Path:
    return Path(os.environ.get("WIC_KAFKA_SECRETS", str(SECRETS_DIR)))


def kafka_auth(principal: str = "operator") -> KafkaAuth:
    """This process's broker identity from the environment (see the module docstring)."""
    security = os.environ.get("WIC_KAFKA_SECURITY", "sasl").lower()
    if security not in ("sasl", "plaintext"):
        raise ValueError(f"WIC_KAFKA_SECURITY must be sasl or plaintext, not {security!r}")
    principal = os.environ.get("WIC_KAFKA_PRINCIPAL", principal)
    path = Path(os.environ.get("WIC_KAFKA_CREDENTIALS", str(secrets_dir() / f"{principal}.json")))
    stored: dict[str, str] = {}
    if security == "sasl" and path.is_file():
        stored = json.loads(path.read_text())
    username = os.environ.get("WIC_KAFKA_USERNAME") or stored.get("username") or principal
    password = os.environ.get("WIC_KAFKA_PASSWORD") or stored.get("password")
    source = "WIC_KAFKA_PASSWORD" if os.environ.get("WIC_KAFKA_PASSWORD") else str(path)
    return KafkaAuth(security, username, password, source)


@dataclass(frozen=True)
class Settings:
    bootstrap: str
    database_url: str
    topic_prefix: str
    kafka: KafkaAuth = field(default_factory=kafka_auth)

    @property
    def faust_broker(self) -> str:
        return ",".join(f"kafka://{host}" for host in self.bootstrap.split(","))


def kafka_security(auth: KafkaAuth | Settings | None = None) -> dict[str, Any]:
    """The security arguments of every aiokafka client (and, via `faust_app`, of faust):
    `AIOKafkaConsumer(..., **kafka_security(settings))`. Without an argument: this
    process's identity from the environment."""
    if isinstance(auth, Settings):
        auth = auth.kafka
    auth = auth or kafka_auth()
    if auth.security == "plaintext":
        return {}
    if not auth.password:
        raise KafkaCredentialsMissing(
            f"no Kafka password for principal {auth.username!r}: {auth.source} is missing "
            "(run `wic up`, which writes one file per principal, or set WIC_KAFKA_CREDENTIALS)")
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": SCRAM,
            "sasl_plain_username": auth.username, "sasl_plain_password": auth.password}


def load(principal: str | None = None) -> Settings:
    """`principal`: this program's own (a service passes its name), used unless the
    environment names one; kept in WIC_KAFKA_PRINCIPAL so that every client this process
    builds later (`kafka_security()` without arguments) presents the same identity."""
    if principal is not None:
        os.environ.setdefault("WIC_KAFKA_PRINCIPAL", principal)
    return Settings(
        bootstrap=os.environ.get("WIC_KAFKA_BOOTSTRAP", f"127.0.0.1:{KAFKA_PORT}"),
        database_url=os.environ.get(
            "WIC_DATABASE_URL",
            f"postgresql://{DEFAULT_ROLE}:{DEFAULT_ROLE}@127.0.0.1:{POSTGRES_PORT}/{DEFAULT_DATABASE}",
        ),
        topic_prefix=os.environ.get("WIC_TOPIC_PREFIX", ""),
        kafka=kafka_auth(principal or "operator"),
    )
