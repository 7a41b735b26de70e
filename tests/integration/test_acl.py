"""The broker enforces contracts.acl (real broker, SASL/SCRAM, StandardAuthorizer): a
principal cannot write a topic it does not own nor read one it does not consume, and a
service whose password is wrong exits at once saying whose login the broker refused."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import TopicAuthorizationFailedError

from contracts import topics
from contracts.settings import kafka_security
from infra import secrets
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration


async def produce(bootstrap: str, principal: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10_000,
                                **kafka_security(secrets.auth(principal)))
    await producer.start()
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, b"{}", key=b"k"), 20)
    finally:
        await producer.stop()


async def consume(bootstrap: str, principal: str, topic: str) -> None:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest",
                                **kafka_security(secrets.auth(principal)))
    try:
        await consumer.start()
        await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 20)
    finally:
        await consumer.stop()


@pytest.mark.parametrize(("principal", "topic"), [
    ("encounter", topics.CLEARING_EVENTS),      # the ledger is clearing's alone
    ("province-110000", topics.HOSPITAL_MESSAGES),
    ("hospital-gateway", topics.ENCOUNTER_EVENTS),
    ("operator", topics.SETTLEMENT_EVENTS),
])
async def test_writing_a_topic_one_does_not_own_is_refused(bootstrap: str, prefix: str,
                                                           principal: str,
                                                           topic: topics.Topic) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(bootstrap, principal, topic.name(prefix))


@pytest.mark.parametrize(("principal", "topic"), [
    ("encounter", topics.ENCOUNTER_EVENTS),
    ("province-110000", topics.GATEWAY_INBOUND),
    ("hospital-gateway", topics.HOSPITAL_MESSAGES),
])
async def test_the_owner_may_write(bootstrap: str, prefix: str, principal: str,
                                   topic: topics.Topic) -> None:
    await produce(bootstrap, principal, topic.name(prefix))  # the control: ACLs are there


@pytest.mark.parametrize(("principal", "topic"), [
    ("registration", topics.CLEARING_EVENTS),
    ("province-320000", topics.HOSPITAL_REPLIES),
    ("hospital-gateway", topics.SETTLEMENT_EVENTS),
])
async def test_reading_a_topic_one_does_not_consume_is_refused(bootstrap: str, prefix: str,
                                                               principal: str,
                                                               topic: topics.Topic) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(bootstrap, principal, topic.name(prefix))


async def test_a_consumer_may_read(bootstrap: str, prefix: str) -> None:
    await consume(bootstrap, "settlement", topics.ENCOUNTER_EVENTS.name(prefix))


@pytest.mark.parametrize(("env", "says"), [
    ({"WIC_KAFKA_PASSWORD": "not-the-password"}, "refused the login of principal 'encounter'"),
    ({"WIC_KAFKA_CREDENTIALS": "/nonexistent/encounter.json"}, "no Kafka password"),
])
def test_a_service_with_wrong_credentials_exits_at_once_saying_so(
        bootstrap: str, prefix: str, database_url: str, log_dir: Path,
        env: dict[str, str], says: str) -> None:
    proc = ServiceProcess("encounter", prefix=prefix, database_url=database_url,
                          bootstrap=bootstrap, log_dir=log_dir)
    proc.extra_env.update(env)
    began = time.monotonic()
    proc.launch()
    assert proc.proc is not None
    code = proc.proc.wait(timeout=30)
    took = time.monotonic() - began
    log = proc.log_path.read_text()
    assert code == 2, log[-2000:]
    assert took < 20, took
    assert says in log and bootstrap in log, log[-2000:]
