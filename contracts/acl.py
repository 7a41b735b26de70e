"""Who may do what on the broker, generated from the topic registry (docs/security.md).

Pure: `bindings(prefix)` turns `contracts.topics` into allow-rules; `infra.acls` sends them to
the broker for the prefix it creates topics for. Nothing is allowed that is not listed here
(the broker runs with `allow.everyone.if.no.acl.found=false`).

Writers of a topic: its declared `Writer`, where an outside party maps to principals — agency
commands to the consuming service (its HTTP ingress publishes them) and the operator
(re-drives, traffic drivers); hospital messages to the same plus the hospital gateway;
gateway-inbound to each provincial gateway and the operator; and a topic's co-writers
(reference-data: encounter, for the institutions' code mappings). Readers: the writer if it is a
service, the declared readers, and the operator (replay, verify, lag, dead letters).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import topics
from contracts.topics import Topic, Writer

SERVICES: tuple[Writer, ...] = (Writer.REGISTRATION, Writer.ENCOUNTER, Writer.SETTLEMENT,
                                Writer.CLEARING, Writer.BENEFITS)
OPERATOR = "operator"
HOSPITAL_GATEWAY = "hospital-gateway"
ADMIN = "admin"  # `wic up`: creates topics and ACLs
BROKER = "broker"  # the broker's own identity on its SASL listener
# Other provinces' gateways: the provinces of the gateway key config other than our own
# (Shandong, 370000, is the clearing service itself; tests/unit/test_acl.py compares).
GATEWAY_PROVINCES = ("110000", "320000")
SUPER_USERS = (ADMIN, BROKER)


def province(code: str) -> str:
    return f"province-{code}"


PROVINCES = tuple(province(c) for c in GATEWAY_PROVINCES)
PRINCIPALS: tuple[str, ...] = (*(str(s) for s in SERVICES), OPERATOR, HOSPITAL_GATEWAY,
                               *PROVINCES, ADMIN, BROKER)


@dataclass(frozen=True, order=True)
class Binding:
    """One allow rule: `principal` may `operation` on the `resource` named `name`
    (`pattern` literal, or prefixed: every name starting with it)."""

    principal: str
    resource: str  # "topic" | "group"
    name: str
    operation: str  # "READ" | "WRITE" | "CREATE" | "DESCRIBE"
    pattern: str = "literal"


def _consumers(topic: Topic) -> tuple[str, ...]:
    return tuple(str(r) for r in topic.readers if r in SERVICES)


def writers(topic: Topic) -> tuple[str, ...]:
    """The principals that may produce to `topic` (its writer's, then its co-writers)."""
    also = tuple(str(w) for w in topic.co_writers if w in SERVICES)
    return tuple(dict.fromkeys((*_writers(topic), *also)))


def _writers(topic: Topic) -> tuple[str, ...]:
    if topic.writer in SERVICES:
        return (str(topic.writer),)
    if topic.writer is Writer.OPERATOR:
        return (OPERATOR,)
    if topic.writer is Writer.AGENCY:
        return (*_consumers(topic), OPERATOR)
    if topic.writer is Writer.HOSPITAL:
        return (*_consumers(topic), HOSPITAL_GATEWAY, OPERATOR)
    if topic.writer is Writer.GATEWAY:
        return (*PROVINCES, OPERATOR)
    raise ValueError(f"no principal for writer {topic.writer!r} of {topic.base}")


def _party(reader: Writer) -> tuple[str, ...]:
    if reader in SERVICES:
        return (str(reader),)
    if reader is Writer.HOSPITAL:
        return (HOSPITAL_GATEWAY,)
    if reader is Writer.GATEWAY:
        return PROVINCES
    return (OPERATOR,)  # the operator, and agency clients (the `wic` CLI)


def readers(topic: Topic) -> tuple[str, ...]:
    """The principals that may consume `topic`."""
    own = (str(topic.writer),) if topic.writer in SERVICES else ()
    named = tuple(p for r in topic.readers for p in _party(r))
    return tuple(dict.fromkeys((*own, *named, OPERATOR)))


def bindings(prefix: str = "", registry: tuple[Topic, ...] = topics.ALL) -> set[Binding]:
    """Every allow rule for the topics of one run (`prefix` as in `Topic.name`)."""
    out: set[Binding] = set()
    for topic in registry:
        name = topic.name(prefix)
        for who in writers(topic):
            out |= {Binding(who, "topic", name, op) for op in ("WRITE", "DESCRIBE")}
        for who in readers(topic):
            out |= {Binding(who, "topic", name, op) for op in ("READ", "DESCRIBE")}
    for service in map(str, SERVICES):
        # faust's app id is `<prefix><service>`, its table changelogs `<app id>-<table>-
        # changelog`; read models' groups are `<prefix><service>.<projection>`.
        out |= {Binding(service, "topic", f"{prefix}{service}-", op, "prefixed")
                for op in ("CREATE", "READ", "WRITE", "DESCRIBE")}
        out |= {Binding(service, "group", f"{prefix}{service}", op, "prefixed")
                for op in ("READ", "DESCRIBE")}
    for outsider in (HOSPITAL_GATEWAY, *PROVINCES):
        out.add(Binding(outsider, "group", f"{prefix}{outsider}", "READ", "prefixed"))
    # Replays, `wic lag` and the input ledger use groups of their own and read the services'.
    groups = (f"{prefix}", "prefixed") if prefix else ("*", "literal")
    out |= {Binding(OPERATOR, "group", groups[0], op, groups[1]) for op in ("READ", "DESCRIBE")}
    return out
