"""The broker settings the local, the chaos and the compose broker share, one copy: security
(docs/security.md: SCRAM-SHA-512 on the SASL listeners, the KRaft StandardAuthorizer that
denies what no ACL allows, the super users) and what a single broker needs."""

from __future__ import annotations

from contracts.acl import BROKER, SUPER_USERS
from contracts.settings import SCRAM

# The controller listener stays PLAINTEXT (KRaft cannot check SCRAM there: the credentials
# live in the metadata it serves), so its ANONYMOUS principal must be a super user.
CONTROLLER_PRINCIPAL = "ANONYMOUS"


SINGLE_BROKER = (
    "offsets.topic.replication.factor=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
    "auto.create.topics.enable=false",
    "num.partitions=1",
)
"""What one broker alone needs (and what we want of it: topics only from the registry)."""


def jaas(username: str, password: str) -> str:
    return (f"org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{username}" password="{password}";')


def properties(broker_password: str, sasl_listeners: tuple[str, ...]) -> list[str]:
    """server.properties lines; `sasl_listeners`: the listener names that take SCRAM logins
    (the first one carries inter-broker traffic, as `broker`)."""
    supers = ";".join(f"User:{u}" for u in (*SUPER_USERS, CONTROLLER_PRINCIPAL))
    return [
        f"inter.broker.listener.name={sasl_listeners[0]}",
        f"sasl.enabled.mechanisms={SCRAM}",
        f"sasl.mechanism.inter.broker.protocol={SCRAM}",
        *(f"listener.name.{name.lower()}.{SCRAM.lower()}.sasl.jaas.config="
          f"{jaas(BROKER, broker_password)}" for name in sasl_listeners),
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found=false",
        f"super.users={supers}",
    ]


def client_properties(username: str, password: str) -> str:
    """A Java client's (kafka-configs, the health check) login as `username`."""
    return (f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism={SCRAM}\n"
            f"sasl.jaas.config={jaas(username, password)}\n")
