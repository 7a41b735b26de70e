"""The input ledger of `wic verify` on the real broker (ops/inputs.py, issue 14 item 0).

No service runs: the test plays one. It publishes hospital messages and registration
commands on its own topic prefix, writes the answers a service would (events and replies
derived from them, dead letters naming their positions), commits the service's consumer
group past all of them, and leaves one hospital message unanswered — the silent skip of
issue 14 finding 1. Verify must name exactly that position and fail; once it is answered,
pass. A record after the committed offset is not the service's yet and is not checked.
"""

from __future__ import annotations

import base64
import io
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import envelope, topics, wire
from contracts.deadletter import MessageDeadLettered
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.replies import MessageAccepted
from contracts.settings import Settings, kafka_security
from ops import inputs
from ops.inputs import ANSWERED, DEAD_LETTERED, UNACCOUNTED, Position
from ops.verify import verify
from tests.support.kafka import Bus

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
WORKER = "370102198501010011"


def message(source: str) -> Envelope[MessageAccepted]:
    """An input envelope (the check reads only its event_id and type)."""
    return envelope.new(MessageAccepted(ref_event_id=uuid.uuid4(), ref_type="Probe"),
                        key=WORKER, occurred_at=NOW, recorded_at=NOW, source=source)


def answer(cause: Envelope[Message], service: str) -> Envelope[Message]:
    ack = MessageAccepted(ref_event_id=cause.event_id, ref_type=cause.type)
    [out] = envelope.derive(cause, [ack], key=cause.source, source=service, salt="reply")
    return out


def letter(position: Position, raw: bytes) -> Envelope[MessageDeadLettered]:
    topic, partition, offset = position
    dl = MessageDeadLettered(stage="hospital-messages", reason_code="invalid_json",
                             reason="not JSON", topic=topic, partition=partition, offset=offset,
                             key_b64=None, value_b64=base64.b64encode(raw).decode(),
                             failed_at=NOW)
    return envelope.new(dl, key="hospital-messages", occurred_at=NOW, recorded_at=NOW,
                        source="encounter")


async def publish(bus: Bus, topic: topics.Topic, value: bytes, key: bytes = WORKER.encode()
                  ) -> Position:
    meta = await bus.producer.send_and_wait(topic.name(bus.prefix), value, key=key)
    return meta.topic, meta.partition, meta.offset


async def commit_to_end(settings: Settings, group: str, topic: topics.Topic) -> None:
    """Commit `group` at the end of every partition of `topic`, as its service would."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, **kafka_security(settings),
                                group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic.name(settings.topic_prefix), p)
               for p in range(topic.partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.commit({tp: end for tp, end in ends.items()})
    finally:
        await consumer.stop()


@pytest.fixture(scope="module")
def settings(bootstrap: str, prefix: str, database_url: str) -> Settings:
    return Settings(bootstrap=bootstrap, database_url=database_url, topic_prefix=prefix)


@pytest.fixture(scope="module")
async def log(bus: Bus, settings: Settings) -> dict[str, object]:
    """The inputs, the service's answers, the commits; `skipped` left without an answer."""
    hm = topics.HOSPITAL_MESSAGES
    by_event = message("hospital:H1")      # answered by an encounter event
    by_reply = message("hospital:H1")      # answered by a hospital reply
    skipped = message("hospital:H1")       # never answered: the skip
    garbage = b"\x00 not an envelope"
    command = message("counter-1")         # a registration command, answered
    positions = {
        "by_event": await publish(bus, hm, wire.encode(by_event)),
        "by_reply": await publish(bus, hm, wire.encode(by_reply)),
        "garbage": await publish(bus, hm, garbage),
        "resend": await publish(bus, hm, wire.encode(by_event)),  # the same event_id again
        "skipped": await publish(bus, hm, wire.encode(skipped)),
        "command": await publish(bus, topics.REGISTRATION_COMMANDS, wire.encode(command)),
    }
    await bus.send(topics.ENCOUNTER_EVENTS, answer(by_event, "encounter"))
    await bus.send(topics.HOSPITAL_REPLIES, answer(by_reply, "encounter"))
    await bus.send(topics.ENCOUNTER_DEADLETTERS, letter(positions["garbage"], garbage))
    await bus.send(topics.REGISTRATION_REPLIES, answer(command, "registration"))
    # an encounter answer to the command must not count for registration: here it is the
    # registration reply above that does
    await commit_to_end(settings, inputs.group_id(bus.prefix, topics.Writer.ENCOUNTER), hm)
    await commit_to_end(settings, inputs.group_id(bus.prefix, topics.Writer.REGISTRATION),
                        topics.REGISTRATION_COMMANDS)
    # after the commit: not consumed yet, so not the service's to answer
    positions["later"] = await publish(bus, hm, wire.encode(message("hospital:H1")))
    return {"positions": positions, "skipped": skipped}


async def test_the_skipped_input_is_named_and_verify_fails(settings: Settings,
                                                           log: dict) -> None:
    positions = log["positions"]
    tallies = {t.spec.topic.base: t for t in await inputs.check(settings, err=io.StringIO())}
    hospital = tallies["hospital-messages"]
    assert hospital.counts[ANSWERED] == 3  # by event, by reply, and the resend
    assert hospital.counts[DEAD_LETTERED] == 1
    assert hospital.counts[UNACCOUNTED] == 1
    assert hospital.first == [positions["skipped"]]
    assert hospital.checked == 5  # `later` lies after the committed offset
    registration = tallies["registration-commands"]
    assert (registration.checked, registration.counts[ANSWERED]) == (1, 1)
    assert tallies["claim-commands"].checked == 0 and not tallies["claim-commands"].committed

    out, err = io.StringIO(), io.StringIO()
    assert await verify(settings, "all", models=[], inputs=True, out=out, err=err) == 1
    report = out.getvalue()
    print(report)
    topic, partition, offset = positions["skipped"]
    assert f"{topic}/{partition}@{offset}" in report
    assert "1 input record(s) unaccounted" in report
    assert "verify: 1 problem(s)" in report
    assert "input ledger: inputs" in err.getvalue() and "done in" in err.getvalue()


async def test_once_answered_verify_passes(settings: Settings, bus: Bus, log: dict) -> None:
    await bus.send(topics.HOSPITAL_REPLIES, answer(log["skipped"], "encounter"))
    out = io.StringIO()
    assert await verify(settings, "all", models=[], inputs=True, out=out,
                        err=io.StringIO()) == 0, out.getvalue()
    assert "verify: OK" in out.getvalue()
    [hospital] = await inputs.check(settings, ["encounter"], err=io.StringIO())
    assert hospital.unaccounted == 0 and hospital.counts[ANSWERED] == 4


async def test_an_answer_from_another_service_does_not_count(settings: Settings, bus: Bus
                                                             ) -> None:
    """A registration command answered only on encounter's replies is still unaccounted."""
    stray = message("counter-2")
    at = await publish(bus, topics.REGISTRATION_COMMANDS, wire.encode(stray))
    await bus.send(topics.HOSPITAL_REPLIES, answer(stray, "encounter"))
    await commit_to_end(settings, inputs.group_id(bus.prefix, topics.Writer.REGISTRATION),
                        topics.REGISTRATION_COMMANDS)
    [registration] = await inputs.check(settings, ["registration"], err=io.StringIO())
    assert registration.first == [at]
    await bus.send(topics.REGISTRATION_REPLIES, answer(stray, "registration"))
    [registration] = await inputs.check(settings, ["registration"], err=io.StringIO())
    assert registration.unaccounted == 0
