"""Where the log and the database are: one place, read from the environment.

Defaults are the local stack that `infra/` starts (loopback, non-default ports so it never
collides with a Kafka or PostgreSQL the host already runs). Tests isolate themselves by
setting `WIC_TOPIC_PREFIX` and `WIC_DATABASE_URL` per run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

KAFKA_PORT = 19092
KAFKA_CONTROLLER_PORT = 19093
POSTGRES_PORT = 15432
DEFAULT_DATABASE = "wic"
DEFAULT_ROLE = "wic"


@dataclass(frozen=True)
class Settings:
    bootstrap: str
    database_url: str
    topic_prefix: str

    @property
    def faust_broker(self) -> str:
        return ",".join(f"kafka://{host}" for host in self.bootstrap.split(","))


def load() -> Settings:
    return Settings(
        bootstrap=os.environ.get("WIC_KAFKA_BOOTSTRAP", f"127.0.0.1:{KAFKA_PORT}"),
        database_url=os.environ.get(
            "WIC_DATABASE_URL",
            f"postgresql://{DEFAULT_ROLE}:{DEFAULT_ROLE}@127.0.0.1:{POSTGRES_PORT}/{DEFAULT_DATABASE}",
        ),
        topic_prefix=os.environ.get("WIC_TOPIC_PREFIX", ""),
    )
