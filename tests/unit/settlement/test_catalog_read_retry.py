"""Issue 14: a discharge is never refused because the broker was away while settlement read
the catalogs (SD-ENC-1: every discharged encounter is settled or recorded reimbursable)."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaConnectionError, UnknownTopicOrPartitionError

from contracts.runtime.topic_reader import read_until_done


async def test_issue_14_a_failed_catalog_read_is_retried_until_it_succeeds() -> None:
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise KafkaConnectionError("broker restarting")

    await read_until_done(flaky, first_wait=0.001)
    assert calls == 3


async def test_issue_14_a_bug_in_the_read_is_not_retried_for_ever() -> None:
    async def broken() -> None:
        raise ValueError("not an outage")

    with pytest.raises(ValueError):
        await read_until_done(broken, first_wait=0.001)


async def test_issue_14_every_broker_error_counts_as_an_outage() -> None:
    calls = 0

    async def missing_then_back() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise UnknownTopicOrPartitionError()

    await read_until_done(missing_then_back, first_wait=0.001)
    assert calls == 2
