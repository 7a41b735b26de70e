"""Talking to the real broker from tests: send envelopes, read a topic until a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from contracts import wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.settings import kafka_security
from contracts.topics import Topic


class KafkaNotRunning(RuntimeError):
    pass


async def check_broker(bootstrap: str, timeout: float = 5.0) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_security(),
                                request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.list_topics(), timeout)
    except Exception as exc:
        raise KafkaNotRunning(
            f"Kafka is not running at {bootstrap}: run `make up` ({type(exc).__name__})"
        ) from None
    finally:
        await admin.close()


class Bus:
    """A producer and on-demand readers bound to one topic prefix."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **kafka_security(),
                                         acks="all",
                                         linger_ms=0)

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def send(self, topic: Topic, env: Envelope[Any]) -> None:
        await self.producer.send_and_wait(topic.name(self.prefix), wire.encode(env),
                                          key=env.key.encode())

    async def send_many(self, topic: Topic, envs: Sequence[Envelope[Any]]) -> None:
        """Hand all to the producer at once, then wait: they reach the broker back to back."""
        futures = [await self.producer.send(topic.name(self.prefix), wire.encode(e),
                                            key=e.key.encode()) for e in envs]
        await asyncio.gather(*futures)

    async def send_raw(self, topic: Topic, value: bytes, key: bytes | None = None) -> None:
        await self.producer.send_and_wait(topic.name(self.prefix), value, key=key)

    async def read(self, topic: Topic, until: Callable[[list[Envelope[Message]]], bool],
                   timeout: float = 30.0) -> list[Envelope[Message]]:
        """All envelopes on `topic` from the beginning, once `until(all_so_far)` holds."""
        consumer = AIOKafkaConsumer(topic.name(self.prefix), bootstrap_servers=self.bootstrap,
                                    auto_offset_reset="earliest", enable_auto_commit=False,
                                    group_id=None, **kafka_security())
        await consumer.start()
        seen: list[Envelope[Message]] = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    seen.extend(wire.decode(r.value) for r in records)
                if until(seen):
                    return seen
        finally:
            await consumer.stop()
        raise AssertionError(
            f"timed out after {timeout}s on {topic.name(self.prefix)}; saw "
            f"{[e.type for e in seen][-20:]}"
        )

    async def read_types(self, topic: Topic, types: Sequence[str], timeout: float = 30.0
                         ) -> list[Envelope[Message]]:
        """Read until every type in `types` has appeared at least as often as listed."""
        def done(seen: list[Envelope[Message]]) -> bool:
            got = [e.type for e in seen]
            return all(got.count(t) >= types.count(t) for t in set(types))
        return await self.read(topic, done, timeout)
