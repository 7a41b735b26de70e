"""The whole-topic reader (`contracts.runtime.topic_reader`): every record from the start up
to the end offsets as of the call, then, if asked, whatever comes after."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from contracts import topics
from contracts.runtime.topic_reader import TopicReader, read_topic
from tests.support.kafka import Bus

pytestmark = pytest.mark.integration

TOPIC = topics.REGISTRATION_EVENTS  # W partitions (12): the reader reads every one of them


async def test_read_to_end_reads_every_partition_up_to_its_end_as_of_the_call(
        bus: Bus, bootstrap: str, prefix: str) -> None:
    for n in range(8):
        await bus.send_raw(TOPIC, f"r{n}".encode(), key=f"k{n}".encode())
    seen: list[bytes] = []
    reader = TopicReader.of(bootstrap, TOPIC, prefix, paused=True)
    try:
        assert await reader.read_to_end(lambda rec: seen.append(rec.value))
        assert sorted(seen) == [f"r{n}".encode() for n in range(8)]
        assert reader.consumer is not None and reader.consumer.paused() == set(reader.parts)
        assert not await reader.read_to_end(lambda rec: seen.append(rec.value))  # caught up
        await bus.send_raw(TOPIC, b"r8", key=b"k8")
        assert await reader.read_to_end(lambda rec: seen.append(rec.value))
        assert len(seen) == 9 and seen[-1] == b"r8"
    finally:
        await reader.stop()
    once: list[Any] = []
    await read_topic(bootstrap, TOPIC, prefix, once.append)
    assert sorted(r.value for r in once) == sorted(seen)


async def test_follow_goes_on_after_the_end(bus: Bus, bootstrap: str, prefix: str) -> None:
    reader = TopicReader.of(bootstrap, topics.REFERENCE_DATA, prefix)
    seen: list[bytes] = []
    arrived = asyncio.Event()

    def keep(rec: Any) -> None:
        seen.append(rec.value)
        arrived.set()

    try:
        assert not await reader.read_to_end(keep)  # an empty topic
        following = asyncio.ensure_future(reader.follow(keep))
        await bus.send_raw(topics.REFERENCE_DATA, b"later", key=b"k")
        await asyncio.wait_for(arrived.wait(), 30)
        assert seen == [b"later"]
        following.cancel()
        with pytest.raises(asyncio.CancelledError):
            await following
    finally:
        await reader.stop()



async def test_cut_at_end_leaves_out_what_a_fetch_brings_past_the_end(
        bus: Bus, bootstrap: str, prefix: str) -> None:
    """As if the third record had come after `end_offsets`: the fetch that brings the
    second brings it too; `cut_at_end` (a snapshot, `wic dlq list`) leaves it out."""
    topic = topics.CLEARING_EVENTS  # one partition
    for n in range(3):
        await bus.send_raw(topic, f"c{n}".encode())

    async def read(cut: bool) -> list[bytes]:
        reader = TopicReader.of(bootstrap, topic, prefix, cut_at_end=cut)
        consumer = await reader.start()
        real_ends = consumer.end_offsets

        async def one_short(parts: Any) -> dict[Any, int]:
            return {tp: end - 1 for tp, end in (await real_ends(parts)).items()}

        consumer.end_offsets = one_short
        seen: list[bytes] = []
        try:
            assert await reader.read_to_end(lambda rec: seen.append(rec.value))
        finally:
            await reader.stop()
        return seen

    assert await read(cut=True) == [b"c0", b"c1"]
    assert await read(cut=False) == [b"c0", b"c1", b"c2"]
