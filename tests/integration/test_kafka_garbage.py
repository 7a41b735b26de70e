"""Raw garbage on every input topic is dead-lettered with its original bytes, and the
services go on deciding (issue 14, "What to build" item 4: never a silent drop).

Every service's input topics get the same malformed records — bytes that are not UTF-8,
broken JSON, JSON that is no envelope, an unknown type, an unknown schema version, a bool
as version — and the command topics also a valid message of the wrong kind. Each must come
back as a `MessageDeadLettered` on the owning service's dead-letter topic naming its topic,
partition and offset, with the bytes that were sent.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts import envelope, wire
from contracts.deadletter import MessageDeadLettered
from contracts.replies import MessageAccepted
from contracts.settings import kafka_security
from contracts.topics import (
    CLAIM_COMMANDS,
    CLEARING_COMMANDS,
    DEADLETTERS,
    ENCOUNTER_EVENTS,
    GATEWAY_INBOUND,
    HOSPITAL_MESSAGES,
    REGISTRATION_COMMANDS,
    SETTLEMENT_EVENTS,
    Topic,
    Writer,
)
from tests.support.processes import stack_fixture

pytestmark = pytest.mark.integration

KEY = b"370102198501010011"
INPUTS: list[tuple[Topic, Writer]] = [
    (REGISTRATION_COMMANDS, Writer.REGISTRATION),
    (HOSPITAL_MESSAGES, Writer.ENCOUNTER),
    (ENCOUNTER_EVENTS, Writer.SETTLEMENT),
    (CLAIM_COMMANDS, Writer.SETTLEMENT),
    (SETTLEMENT_EVENTS, Writer.CLEARING),
    (CLEARING_COMMANDS, Writer.CLEARING),
    (GATEWAY_INBOUND, Writer.CLEARING),
]


# Topics whose every record is a command or claim someone waits on: a valid message of
# another kind is refused there too (event topics legitimately pass by what they do not
# decide on).
COMMAND_INPUTS = [(t, w) for t, w in INPUTS if t not in (ENCOUNTER_EVENTS, SETTLEMENT_EVENTS)]


def foreign() -> bytes:
    """A valid envelope no service takes as input (a reply), unique per call."""
    reply = MessageAccepted(ref_event_id=uuid.uuid4(), ref_type="Nothing", detail="fuzz")
    return wire.encode(envelope.new(reply, key=KEY.decode(), source="fuzz",
                                    occurred_at=datetime(2024, 6, 1, tzinfo=UTC)))


def garbage() -> list[bytes]:
    """Malformed values, each unique (so its dead letter is found by its bytes)."""
    tag = uuid.uuid4().hex[:8].encode()
    envelope_of = {"event_id": str(uuid.uuid4()), "key": KEY.decode(),
                   "occurred_at": "2024-06-01T09:00:00+08:00",
                   "recorded_at": "2024-06-01T09:00:00+08:00", "source": "fuzz",
                   "payload": {}}
    return [
        b"\xff\xfe\x00not utf-8 " + tag,
        b'{"type": "RecordAdmission", ' + tag,
        orjson.dumps([1, 2, tag.decode()]),
        orjson.dumps({**envelope_of, "type": f"NoSuchType{tag.decode()}", "schema_version": 1}),
        orjson.dumps({**envelope_of, "type": "RecordAdmission", "schema_version": 99,
                      "source": f"fuzz-{tag.decode()}"}),
        orjson.dumps({**envelope_of, "type": "RecordAdmission", "schema_version": True,
                      "source": f"bool-{tag.decode()}"}),
    ]


stack = stack_fixture()


async def letters(bootstrap: str, prefix: str, writer: Writer, want: int,
                  timeout: float = 45.0) -> list[MessageDeadLettered]:
    consumer = AIOKafkaConsumer(DEADLETTERS[writer].name(prefix), bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                group_id=None, **kafka_security())
    await consumer.start()
    seen: list[MessageDeadLettered] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and len(seen) < want:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                seen += [wire.decode(r.value).payload for r in records]  # type: ignore[misc]
    finally:
        await consumer.stop()
    return seen


async def test_garbage_on_every_input_topic_is_dead_lettered_with_its_bytes(
        stack: None, prefix: str, bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **kafka_security(), acks="all")
    await producer.start()
    sent: dict[Writer, dict[tuple[str, int, int], bytes]] = {}
    try:
        for topic, writer in INPUTS:
            for value in garbage():
                meta = await producer.send_and_wait(topic.name(prefix), value, key=KEY)
                sent.setdefault(writer, {})[(meta.topic, meta.partition, meta.offset)] = value
        for topic, writer in COMMAND_INPUTS:  # a valid message of the wrong kind
            value = foreign()
            meta = await producer.send_and_wait(topic.name(prefix), value, key=KEY)
            sent[writer][(meta.topic, meta.partition, meta.offset)] = value
    finally:
        await producer.stop()
    for writer, expected in sent.items():
        got = await letters(bootstrap, prefix, writer, len(expected))
        by_position = {(dl.topic, dl.partition, dl.offset): dl for dl in got}
        missing = sorted(set(expected) - set(by_position))
        assert not missing, f"{writer}: no dead letter for {missing}"
        for position, value in expected.items():
            letter = by_position[position]
            assert letter.original_value() == value, position
            assert letter.reason_code, position
    await asyncio.sleep(0)
