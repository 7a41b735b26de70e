"""A service started against worker-keyed topics that are not co-partitioned refuses to
start (issue 17 item 1): exit status 2 and one line in its log naming each topic and its
partition count, before it joins a consumer group or writes anything."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiokafka.admin import NewTopic

from contracts import topics as registry
from contracts.runtime.partitions import NOT_CO_PARTITIONED
from contracts.settings import load, worker_partitions
from infra.topics import admin, delete_topics, ensure_topics
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration


async def test_encounter_refuses_to_start_on_a_topic_with_another_partition_count(
        bootstrap: str, log_dir: Path) -> None:
    prefix = f"t-partitions-{uuid.uuid4().hex[:6]}."
    odd = worker_partitions() + 1
    try:
        await ensure_topics(bootstrap, prefix,
                            [t for t in registry.ALL if t is not registry.HOSPITAL_MESSAGES])
        name = registry.HOSPITAL_MESSAGES.name(prefix)
        async with admin(bootstrap) as client:
            await client.create_topics([NewTopic(name, odd, 1)])
            # as ensure_topics does: the broker lists a new topic a moment after creating
            # it, and a service checking before then would not judge it (not created yet)
            for _ in range(100):
                (described,) = await client.describe_topics([name])
                if len(described["partitions"]) == odd:
                    break
                await asyncio.sleep(0.1)
        service = ServiceProcess("encounter", prefix=prefix, database_url=load().database_url,
                                 bootstrap=bootstrap, log_dir=log_dir).launch()
        assert service.proc is not None
        code = service.proc.wait(timeout=30)
        log = service.tail()
        assert code == NOT_CO_PARTITIONED, log
        assert "not starting" in log and "not co-partitioned" in log, log
        assert f"{odd} partitions: {registry.HOSPITAL_MESSAGES.name(prefix)}" in log, log
        assert f"{worker_partitions()} partitions: " in log, log
        assert registry.ENCOUNTER_EVENTS.name(prefix) in log, log
    finally:
        await delete_topics(bootstrap, prefix)
