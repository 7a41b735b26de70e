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

Topic layout (docs/operations.md, "Partitions" and "A Kafka cluster"):
`WIC_WORKER_PARTITIONS` (default 12) is the partition count of every co-partitioned topic
keyed by worker (`contracts.topics`), checked by each service at start-up;
`WIC_KAFKA_REPLICATION` (default 1: the single dev broker) is the replication factor of the
topics infra and the services create, with `min.insync.replicas` one less, at most 2 (3 -> 2).
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
# Enough for a province's load spread over up to 12 workers per service (issue 17): the most
# workers one consumer group can keep busy on a keyed topic is its partition count.
WORKER_PARTITIONS = 12


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


def _positive(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return value


def worker_partitions() -> int:
    """Partitions of each co-partitioned worker-keyed topic (`WIC_WORKER_PARTITIONS`)."""
    return _positive("WIC_WORKER_PARTITIONS", WORKER_PARTITIONS)


def replication() -> int:
    """Replication factor of the topics we create (`WIC_KAFKA_REPLICATION`, default 1)."""
    return _positive("WIC_KAFKA_REPLICATION", 1)


def min_insync(replicas: int) -> int:
    """`min.insync.replicas` for a topic of `replicas` copies: with `acks=all` a write then
    survives the loss of any one broker, and one broker may be down without stopping writes
    (3 -> 2; 2 -> 1; 1 -> 1)."""
    return max(1, min(2, replicas - 1))


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
    worker_partitions: int = field(default_factory=worker_partitions)
    replication: int = field(default_factory=replication)

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
        worker_partitions=worker_partitions(),
        replication=replication(),
    )
