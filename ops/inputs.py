"""The input ledger of `wic verify` (issue 14, "What to build" item 0): every input answered.

Rebuilding a read model proves it equals the log; it cannot see an input the service never
acted on (issue 14 finding 1: encounter skipped 1,382 hospital messages after a crash, with
no reply, no event and no dead letter, and verify said OK). This check reads the log itself:
every record of every input topic, up to the offsets the consuming group has committed
(`<prefix><service>`, the faust app's group: it claims to have handled everything before
them), must be accounted for by

- an **answer**: a record on one of that service's output topics whose `causation_id` is
  the input envelope's `event_id` (`envelope.derive`); an input whose `event_id` repeats an
  earlier one's (a resend, a redelivery, a re-drive) is answered if that `event_id` is;
- or a **dead letter** on `<service>-deadletters` naming its topic, partition and offset
  (`contracts.deadletter`); an unparseable record can only be accounted for this way.

Some inputs legitimately produce nothing: settlement decides only on discharges and
corrections of `encounter-events`, the clearing ledger posts only money events of
`settlement-events`, and an answer from another province to one of our claims may be a
repeat that changes nothing. Those types are *passed* when nothing answers them. State feeds
(`registration-coverage`, `reference-data`) are not inputs here. An input whose only answer
would be a reply on a topic that has expired records older than it (replies keep a week) is
counted *expired*, not unaccounted.

It streams: the output topics are read once, keeping only the 16-byte causation ids and
the dead letters' positions; then the input topics are read, keeping nothing.
`tally` and `Answers` are the pure matching logic (unit-tested without Kafka).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts import benefits, encounter, gateway, settlement, topics
from contracts.settings import Settings, kafka_security
from contracts.topics import DEADLETTERS, Topic, Writer
from ops.progress import Progress

SHOWN = 10  # unaccounted positions listed per input topic
STALL_S = 60.0  # a read that gets no record for this long gives up (broker gone)
MONEY_EVENTS = frozenset(m.message_type for m in (
    settlement.EncounterSettled, settlement.SettlementReversed, settlement.ClaimPaid,
    settlement.AdvanceGranted, settlement.AdvanceOffset, settlement.EmployerReceivableRaised))
"""The settlement events the clearing ledger posts (services/clearing/domain/decide.py)."""
BENEFIT_MONEY = frozenset(m.message_type for m in (
    benefits.BenefitClaimPaid, benefits.MonthlyBenefitPaid, benefits.MonthlyBenefitReversed))
"""The benefit events it posts."""


@dataclass(frozen=True)
class InputSpec:
    """One input topic of one service and where its answers go."""

    topic: Topic
    service: Writer
    outputs: tuple[Topic, ...]
    required: frozenset[str] | None = None
    """Types that must be answered; None: every record. Other types are passed."""
    optional: frozenset[str] = frozenset()
    """Types passed when nothing answers them (with `required` None)."""

    def must_answer(self, message_type: str | None) -> bool:
        if message_type is None:
            return True  # unparseable: the service must have dead-lettered it
        if self.required is not None:
            return message_type in self.required
        return message_type not in self.optional

    @property
    def deadletters(self) -> Topic:
        return DEADLETTERS[self.service]


SPECS: tuple[InputSpec, ...] = (
    InputSpec(topics.REGISTRATION_COMMANDS, Writer.REGISTRATION,
              (topics.REGISTRATION_EVENTS, topics.REGISTRATION_REPLIES)),
    InputSpec(topics.HOSPITAL_MESSAGES, Writer.ENCOUNTER,
              (topics.ENCOUNTER_EVENTS, topics.HOSPITAL_REPLIES)),
    # every discharge is settled or recorded reimbursable (SD 1(6)), or dead-lettered; a
    # correction at the revision already settled changes nothing, so only discharges count
    InputSpec(topics.ENCOUNTER_EVENTS, Writer.SETTLEMENT, (topics.SETTLEMENT_EVENTS,),
              required=frozenset({encounter.EncounterDischarged.message_type})),
    # a pre-settlement (2303/2206) is answered to encounter, which hands the answer to the
    # hospital with the hospital's message as its cause (so hospital-messages counts it;
    # pre-settlement-answers, whose relayed answers name that cause, is not an input here)
    InputSpec(topics.PRE_SETTLEMENT_REQUESTS, Writer.SETTLEMENT,
              (topics.PRE_SETTLEMENT_ANSWERS,)),
    # a reconciliation (3201/3202) is answered, or refused, on reconciliation-answers
    InputSpec(topics.RECONCILIATION_REQUESTS, Writer.CLEARING,
              (topics.RECONCILIATION_ANSWERS,)),
    InputSpec(topics.CLAIM_COMMANDS, Writer.SETTLEMENT,
              (topics.SETTLEMENT_EVENTS, topics.CLAIM_REPLIES)),
    InputSpec(topics.CLEARING_COMMANDS, Writer.CLEARING,
              (topics.CLEARING_EVENTS, topics.CLEARING_REPLIES)),
    # a refused money event is also answered MessageRejected on clearing-replies
    InputSpec(topics.SETTLEMENT_EVENTS, Writer.CLEARING,
              (topics.CLEARING_EVENTS, topics.CLEARING_REPLIES), required=MONEY_EVENTS),
    # benefit payments and reversals are posted (issue 19); facts and claims pass by
    InputSpec(topics.BENEFIT_EVENTS, Writer.CLEARING,
              (topics.CLEARING_EVENTS, topics.CLEARING_REPLIES), required=BENEFIT_MONEY),
    InputSpec(topics.BENEFIT_COMMANDS, Writer.BENEFITS,
              (topics.BENEFIT_EVENTS, topics.BENEFIT_REPLIES)),
    # claims are answered on gateway-outbound; answers to our claims post on clearing-events
    # or change nothing (outbound.apply_answer: a repeated or second answer)
    InputSpec(topics.GATEWAY_INBOUND, Writer.CLEARING,
              (topics.GATEWAY_OUTBOUND, topics.CLEARING_EVENTS),
              optional=frozenset({gateway.GatewayClaimAnswered.message_type})),
)
"""Every input that gets an answer, read from the services' agents (issue 14)."""


def group_id(prefix: str, service: Writer) -> str:
    """The consumer group of a service's agents: the faust app id (`faust_app.create`)."""
    return f"{prefix}{service.value}"


# -- the pure part --------------------------------------------------------------------------

Position = tuple[str, int, int]  # (physical topic, partition, offset)


def _uuid_bytes(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value).bytes
    except ValueError:
        return None


def _fields(value: bytes | None) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        obj = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def read_input(value: bytes | None) -> tuple[bytes | None, str | None]:
    """(event_id, type) of an input record; (None, None) if it is not an envelope at all."""
    obj = _fields(value)
    if obj is None:
        return None, None
    event_id = _uuid_bytes(obj.get("event_id"))
    kind = obj.get("type")
    if event_id is None or not isinstance(kind, str):
        return None, None
    return event_id, kind


def read_causation(value: bytes | None) -> bytes | None:
    """The `causation_id` of an output record (None for records nothing caused)."""
    obj = _fields(value)
    return None if obj is None else _uuid_bytes(obj.get("causation_id"))


def read_dead_letter(value: bytes | None) -> Position | None:
    """The original position a `MessageDeadLettered` names."""
    obj = _fields(value)
    if obj is None or obj.get("type") != "MessageDeadLettered":
        return None
    payload = obj.get("payload")
    if not isinstance(payload, dict):
        return None
    t, p, o = payload.get("topic"), payload.get("partition"), payload.get("offset")
    if isinstance(t, str) and isinstance(p, int) and isinstance(o, int):
        return t, p, o
    return None


@dataclass
class Answers:
    """What the output topics hold: causation ids per output topic, dead-lettered positions,
    and per reply topic the time before which records may have expired (0: none did)."""

    causes: dict[str, set[bytes]] = field(default_factory=dict)  # topic base -> ids
    dead: set[Position] = field(default_factory=set)
    horizon_ms: dict[str, int] = field(default_factory=dict)  # topic base -> timestamp

    def add_output(self, base: str, value: bytes | None) -> None:
        cause = read_causation(value)
        if cause is not None:
            self.causes.setdefault(base, set()).add(cause)

    def add_dead_letter(self, value: bytes | None) -> None:
        position = read_dead_letter(value)
        if position is not None:
            self.dead.add(position)

    def answered(self, spec: InputSpec, event_id: bytes) -> bool:
        return any(event_id in self.causes.get(t.base, ()) for t in spec.outputs)

    def expired(self, spec: InputSpec, timestamp_ms: int | None) -> bool:
        if timestamp_ms is None:
            return False
        return any(timestamp_ms < self.horizon_ms.get(t.base, 0) for t in spec.outputs)


ANSWERED, DEAD_LETTERED, PASSED, EXPIRED, UNACCOUNTED = (
    "answered", "dead-lettered", "passed", "expired", "unaccounted")


def verdict(spec: InputSpec, answers: Answers, position: Position, value: bytes | None,
            timestamp_ms: int | None = None) -> str:
    """How one input record is accounted for (one of the five verdicts above)."""
    if position in answers.dead:
        return DEAD_LETTERED
    event_id, kind = read_input(value)
    if event_id is not None and answers.answered(spec, event_id):
        return ANSWERED
    if not spec.must_answer(kind):
        return PASSED
    if event_id is not None and answers.expired(spec, timestamp_ms):
        return EXPIRED
    return UNACCOUNTED


@dataclass
class Tally:
    """The outcome for one input topic."""

    spec: InputSpec
    group: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        (ANSWERED, DEAD_LETTERED, PASSED, EXPIRED, UNACCOUNTED), 0))
    first: list[Position] = field(default_factory=list)  # first unaccounted positions
    committed: dict[int, int] = field(default_factory=dict)  # partition -> committed offset
    missing: bool = False  # the input topic does not exist (nothing to check)

    @property
    def checked(self) -> int:
        return sum(self.counts.values())

    @property
    def unaccounted(self) -> int:
        return self.counts[UNACCOUNTED]

    def add(self, what: str, position: Position) -> None:
        self.counts[what] += 1
        if what == UNACCOUNTED and len(self.first) < SHOWN:
            self.first.append(position)


def tally(spec: InputSpec, answers: Answers, records: Sequence[tuple[Position, bytes | None]],
          group: str = "") -> Tally:
    """Judge a sequence of input records ((topic, partition, offset), value) at once."""
    result = Tally(spec, group)
    for position, value in records:
        result.add(verdict(spec, answers, position, value), position)
    return result


# -- reading the log ------------------------------------------------------------------------

Ranges = dict[TopicPartition, tuple[int, int]]  # [start, end) per partition


async def _scan(consumer: AIOKafkaConsumer, ranges: Ranges,
                each: Callable[[ConsumerRecord[bytes, bytes]], None], progress: Progress) -> None:
    """Stream every record of `ranges` to `each`, in offset order per partition."""
    todo = {tp: r for tp, r in ranges.items() if r[1] > r[0]}
    if not todo:
        return
    consumer.assign(list(todo))
    for tp, (start, _) in todo.items():
        consumer.seek(tp, start)
    pending = set(todo)
    quiet_since = time.monotonic()
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=5000)
        if batch:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > STALL_S:
            names = ", ".join(sorted(f"{tp.topic}/{tp.partition}" for tp in pending))
            raise TimeoutError(f"no records for {STALL_S:.0f} s while reading {names}")
        for tp, records in batch.items():
            end = todo[tp][1]
            for rec in records:
                if rec.offset < end:
                    each(rec)
                    progress.advance()
        for tp in list(pending):
            if await consumer.position(tp) >= todo[tp][1]:
                pending.discard(tp)
                consumer.pause(tp)


def _partitions(prefix: str, registry: Sequence[Topic]) -> list[TopicPartition]:
    """Every partition of the topics (infra creates them from the registry's counts)."""
    return [TopicPartition(t.name(prefix), p) for t in registry for p in range(t.partitions)]


async def committed_offsets(admin: AIOKafkaAdminClient, group: str) -> dict[TopicPartition, int]:
    """The group's committed offsets (`list_consumer_group_offsets`), none for no commit."""
    offsets = await admin.list_consumer_group_offsets(group)
    return {tp: om.offset for tp, om in offsets.items() if om.offset >= 0}


async def check(settings: Settings, services: Sequence[str] | None = None,
                err: TextIO | None = None) -> list[Tally]:
    """Account for every input of `services` (default: all) up to the committed offsets."""
    prefix = settings.topic_prefix
    specs = [s for s in SPECS if services is None or s.service.value in services]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, **kafka_security(settings),
                                request_timeout_ms=10000)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, **kafka_security(settings),
                                enable_auto_commit=False,
                                group_id=None, auto_offset_reset="earliest",
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await admin.start()
    await consumer.start()
    try:
        # 1. what each group claims to have handled (read before the outputs' ends, so every
        #    answer delivered before a commit is inside what we read next)
        present = set(await admin.list_topics())  # a missing topic would stall offset look-ups
        groups = {s.service for s in specs}
        claimed = {w: await committed_offsets(admin, group_id(prefix, w)) for w in groups}
        tallies = [Tally(s, group_id(prefix, s.service)) for s in specs]
        inputs: Ranges = {}
        for t in tallies:
            t.missing = t.spec.topic.name(prefix) not in present
        in_tps = _partitions(prefix, [t.spec.topic for t in tallies if not t.missing])
        starts = await consumer.beginning_offsets(in_tps) if in_tps else {}
        for t in tallies:
            name = t.spec.topic.name(prefix)
            for tp in in_tps:
                if tp.topic == name and tp in claimed[t.spec.service]:
                    t.committed[tp.partition] = claimed[t.spec.service][tp]
                    inputs[tp] = (starts[tp], claimed[t.spec.service][tp])
        # 2. the answers: every output and dead-letter topic, to its end now
        outs = [o for o in {o.base: o for s in specs for o in (*s.outputs, s.deadletters)
                            }.values() if o.name(prefix) in present]
        base_of = {o.name(prefix): o for o in outs}
        out_tps = _partitions(prefix, outs)
        out_starts = await consumer.beginning_offsets(out_tps) if out_tps else {}
        out_ends = await consumer.end_offsets(out_tps) if out_tps else {}
        answers = Answers()
        trimmed = {tp for tp in out_tps if out_starts[tp] > 0}  # records expired before

        def keep(rec: ConsumerRecord[bytes, bytes]) -> None:
            topic = base_of[rec.topic]
            tp = TopicPartition(rec.topic, rec.partition)
            if tp in trimmed and rec.offset == out_starts[tp]:  # first retained record
                stamp = rec.timestamp or 0
                answers.horizon_ms[topic.base] = max(answers.horizon_ms.get(topic.base, 0), stamp)
            if topic.values == "contracts.deadletter":
                answers.add_dead_letter(rec.value)
            else:
                answers.add_output(topic.base, rec.value)

        ranges = {tp: (out_starts[tp], out_ends[tp]) for tp in out_tps}
        progress = Progress("input ledger: answers", sum(e - s for s, e in ranges.values()),
                            stream=err, unit="records")
        await _scan(consumer, ranges, keep, progress)
        progress.finish()
        # 3. the inputs, each judged as it streams by
        by_topic = {t.spec.topic.name(prefix): t for t in tallies}

        def judge(rec: ConsumerRecord[bytes, bytes]) -> None:
            t = by_topic[rec.topic]
            position = (rec.topic, rec.partition, rec.offset)
            t.add(verdict(t.spec, answers, position, rec.value, rec.timestamp), position)

        progress = Progress("input ledger: inputs", sum(e - s for s, e in inputs.values()),
                            stream=err, unit="records")
        await _scan(consumer, inputs, judge, progress)
        progress.finish()
        return tallies
    finally:
        await consumer.stop()
        await admin.close()


def report(tallies: Sequence[Tally], out: TextIO) -> int:
    """Print one line per input topic (and the first unaccounted positions); the number of
    problems: one per input topic with any unaccounted record."""
    print("input ledger (every input up to its group's committed offsets answered or "
          "dead-lettered):", file=out)
    problems = 0
    for t in tallies:
        c = t.counts
        state = "OK" if t.unaccounted == 0 else "UNACCOUNTED"
        extra = "".join(f"  {k} {c[k]}" for k in (PASSED, EXPIRED) if c[k])
        committed = ("  (no such topic)" if t.missing else "" if t.committed
                     else f"  (no offsets committed by {t.group})")
        print(f"  {t.spec.topic.base:<22} checked {t.checked:>8}  answered {c[ANSWERED]:>8}  "
              f"dead-lettered {c[DEAD_LETTERED]:>6}{extra}  unaccounted {t.unaccounted:>6}  "
              f"{state}{committed}", file=out)
        if t.unaccounted:
            problems += 1
            shown = ", ".join(f"{p[0]}/{p[1]}@{p[2]}" for p in t.first)
            rest = t.unaccounted - len(t.first)
            more = f" and {rest} more" if rest else ""
            print(f"    {t.unaccounted} record(s) before {t.group}'s committed offsets have no "
                  f"event, reply or dead letter of {t.spec.service.value}: {shown}{more}",
                  file=out)
    return problems
