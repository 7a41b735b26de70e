"""Log in to the broker once before faust starts, and stop at once if the broker says no.

faust retries a refused SASL login for ever (the worker looks alive, serves nothing), so a
service with a wrong or missing password would hang instead of failing. `check` opens one
connection with this process's credentials; a refusal ends the process with exit status 2
and one line naming the principal and the broker. An unreachable broker is not a refusal:
faust's own retries handle that (docs/operations.md, "Kafka down").
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka.conn import create_conn
from aiokafka.errors import AuthenticationFailedError, KafkaError, SaslAuthenticationFailed

from contracts.settings import KafkaCredentialsMissing, Settings, kafka_security

REFUSED = 2
TIMEOUT = 10.0


async def refusal(settings: Settings, timeout: float = TIMEOUT) -> str | None:
    """Why the broker refuses this process's login, or None (accepted, or unreachable)."""
    who = settings.kafka.describe()
    try:
        security = kafka_security(settings)
    except KafkaCredentialsMissing as exc:
        return f"Kafka at {settings.bootstrap}: {exc}"
    if not security:
        return None
    for server in settings.bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            conn = await asyncio.wait_for(create_conn(
                host, int(port), request_timeout_ms=int(timeout * 1000), **security), timeout)
        except (SaslAuthenticationFailed, AuthenticationFailedError) as exc:
            return (f"Kafka at {server} refused the login of {who} "
                    f"(SASL {security['sasl_mechanism']}, password from "
                    f"{settings.kafka.source}): {exc}")
        except (KafkaError, OSError, TimeoutError):
            continue  # unreachable: try the next server, else let faust retry
        conn.close()
        return None
    return None


def check(settings: Settings, service: str) -> None:
    """Exit with status 2 and a clear message if the broker refuses our credentials."""
    why = asyncio.run(refusal(settings))
    if why is not None:
        sys.stderr.write(f"{service}: not starting: {why}\n")
        sys.stderr.flush()
        raise SystemExit(REFUSED)
