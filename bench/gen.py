"""A large, realistic registration log, fast: templates from the service's own decisions.

One worker's apply + approve commands go through the registration service's pure
`answer_command` once; its output (events, coverage snapshot, the decision state that the
faust table's changelog holds) becomes a byte template. Worker i's records are the template
with worker id, registration id, card number and every event id substituted (the ids are
recomputed with `envelope.derived_id`, exactly as `envelope.derive` does). `check` proves,
for a few workers, that the substituted bytes equal what the service itself emits, so the
generated log is the log the service would have written — only ~100x faster to produce.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from stdnum.cn import ric

from contracts import envelope, wire
from contracts.actor import Actor, ActorKind, Channel, Role
from contracts.registration import (
    ApplyForRegistration,
    ApproveRegistration,
    Confirmation,
    ConfirmationKind,
    RegistrationType,
)

NAMESPACE = uuid.UUID("5d0b8a4e-7c1f-4f0e-b3a2-8e9d6c4b2a10")
APPLY_AT = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)  # 09:00 in China
APPROVE_AT = datetime(2024, 5, 2, 2, 0, tzinfo=UTC)
# Agency commands carry the staff member the ingress authenticated (issue 16): a clerk of
# the insured province applies, another person reviews (four-eyes).
CLERK = Actor(id="staff:bench-clerk", kind=ActorKind.STAFF, channel=Channel.HTTP,
              roles=(Role.REGISTRATION_CLERK,), regions=("370000",))
REVIEWER = Actor(id="staff:bench-reviewer", kind=ActorKind.STAFF, channel=Channel.HTTP,
                 roles=(Role.REGISTRATION_REVIEWER,), regions=("370000",))
FIRST_BIRTH = date(1985, 1, 1)  # the district code 370102 must exist at birth


def worker_id(i: int) -> str:
    """A valid resident id per index: 1,000 sequence numbers per birth date from 1985."""
    born = FIRST_BIRTH + timedelta(days=i // 1000)
    base = f"370102{born:%Y%m%d}{i % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def registration_id(i: int) -> str:
    return f"REGB{i:09d}"


def card(i: int) -> str:
    return f"SSC{i:09d}"


def command_ids(i: int) -> tuple[uuid.UUID, uuid.UUID]:
    return uuid.uuid5(NAMESPACE, f"apply/{i}"), uuid.uuid5(NAMESPACE, f"approve/{i}")


def commands(i: int) -> tuple[envelope.Envelope[ApplyForRegistration],
                              envelope.Envelope[ApproveRegistration]]:
    """Worker i applies (long-term residence, Jinan -> Qingdao) and is approved next day."""
    w, reg = worker_id(i), registration_id(i)
    apply_id, approve_id = command_ids(i)
    apply = ApplyForRegistration(
        registration_id=reg, worker_id=w, social_security_card=card(i),
        insured_for_work_injury=True,
        confirmation=Confirmation(kind=ConfirmationKind.INJURY_DETERMINATION,
                                  reference_no="GSRD-2024-001", completed_on=date(2024, 3, 1)),
        registration_type=RegistrationType.LONG_TERM_RESIDENCE,
        insured_region="370100", treatment_region="370200")
    approve = ApproveRegistration(registration_id=reg, worker_id=w, reviewer="bench")
    return (envelope.new(apply, key=w, occurred_at=APPLY_AT, source="bench-agency",
                         event_id=apply_id, recorded_at=APPLY_AT, actor=CLERK),
            envelope.new(approve, key=w, occurred_at=APPROVE_AT, source="bench-agency",
                         event_id=approve_id, recorded_at=APPROVE_AT, actor=REVIEWER))


@dataclass(frozen=True)
class Records:
    """What the registration service writes for one worker (values; key = worker id)."""

    events: tuple[bytes, ...]  # registration-events
    coverage: tuple[bytes, ...]  # registration-coverage
    state: bytes  # the faust table `worker_state` value (its changelog record)


def decided(i: int) -> Records:
    """The service's own output for worker i (slow path: pydantic + domain)."""
    from services.registration.domain import WorkerState
    from services.registration.domain.handlers import answer_command

    state = WorkerState()
    events: list[bytes] = []
    coverage: list[bytes] = []
    for env in commands(i):
        decision = answer_command(state, env)  # type: ignore[arg-type]
        state = decision.state or state
        for o in decision.events:
            if o.topic.base == "registration-events":
                events.append(wire.encode(o.envelope))
            elif o.topic.base == "registration-coverage":
                coverage.append(wire.encode(o.envelope))
    return Records(tuple(events), tuple(coverage), state.model_dump_json().encode())


def _ids(i: int) -> list[str]:
    """Every uuid in worker i's records, in a fixed order (as `envelope.derive` makes them)."""
    apply_id, approve_id = command_ids(i)
    ids = [apply_id, approve_id]
    for cause in (apply_id, approve_id):
        ids += [envelope.derived_id(cause, 0, ""), envelope.derived_id(cause, 0, "coverage"),
                envelope.derived_id(cause, 0, "reply")]
    return [str(u) for u in ids]


def _tokens(i: int) -> list[bytes]:
    return [t.encode() for t in (worker_id(i), registration_id(i), card(i), *_ids(i))]


class Generator:
    """Worker i's records by substitution in worker 0's template (fast path)."""

    def __init__(self) -> None:
        self.template = decided(0)
        self._from = _tokens(0)

    def records(self, i: int) -> Records:
        to = _tokens(i)

        def sub(raw: bytes) -> bytes:
            for old, new in zip(self._from, to, strict=True):
                raw = raw.replace(old, new)
            return raw

        t = self.template
        return Records(tuple(sub(e) for e in t.events), tuple(sub(c) for c in t.coverage),
                       sub(t.state))

    def check(self, samples: tuple[int, ...] = (1, 999, 1000, 123_457)) -> None:
        """The fast path equals the service's own output (else the benchmark is void)."""
        for i in samples:
            if self.records(i) != decided(i):
                raise AssertionError(f"generated records of worker {i} differ from the "
                                     "registration service's own output")

    def events(self, workers: int) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) of registration-events for `workers` workers (2 events each)."""
        for i in range(workers):
            key = worker_id(i).encode()
            for value in self.records(i).events:
                yield key, value
