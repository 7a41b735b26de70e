"""The service runtime's latency settings (docs/performance.md, fourth round).

A full collection walks every tracked object: a service's ~100,000 start-up objects cost
40-150 ms of stopped world each time, the tail of the latencies hospitals see. They are
frozen once, after the tables are recovered. And the agents' fetch is held by the broker
for at most 50 ms.
"""

from __future__ import annotations

import asyncio
import gc
import pathlib
from typing import Any

import pytest
from faust.types import TP

from contracts.runtime import faust_app
from contracts.settings import load


async def test_startup_heap_is_frozen_once_the_worker_serves(
        monkeypatch: pytest.MonkeyPatch) -> None:
    serving = False
    monkeypatch.setattr(faust_app, "ready", lambda app: serving)
    gc.unfreeze()
    try:
        task = asyncio.create_task(faust_app.freeze_when_ready(object(), poll=0.01))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        assert not task.done() and gc.get_freeze_count() == 0  # still recovering: nothing yet
        serving = True
        await asyncio.wait_for(task, 2)
        assert gc.get_freeze_count() > 10_000  # the interpreter's and libraries' objects
    finally:
        gc.unfreeze()


async def test_agents_fetch_is_held_by_the_broker_for_at_most_50_ms(
        tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """faust 0.15.3 lets the broker hold its consumer's fetch 1,500 ms; a fetch that asks only
    for idle partitions (aiokafka leaves out those whose records wait to be handed over)
    then starved every agent of the process for that long. The services' consumer waits 50."""
    monkeypatch.setenv("WIC_DATA_DIR", str(tmp_path))
    app = faust_app.create("fetch-probe", load(), 18099)
    consumer = app.consumer._thread._create_worker_consumer(app.transport)  # type: ignore[attr-defined]
    try:
        assert consumer._fetch_max_wait_ms == faust_app.AGENT_FETCH_MAX_WAIT_MS == 50
    finally:
        await consumer.stop()  # never started: only closes its client


class _Signal:
    def __init__(self) -> None:
        self.receivers: list[Any] = []

    def connect(self, fun: Any) -> None:
        self.receivers.append(fun)

    async def send(self, assigned: set[TP]) -> None:
        for fun in self.receivers:
            await fun(None, assigned)


class _App:
    def __init__(self) -> None:
        self.on_partitions_assigned = _Signal()


def test_assignments_name_each_partition_gained_once() -> None:
    """Issue 17: a one-state agent (ledger, benefits book) learns which input partitions it
    was newly given — once — so it rebuilds before deciding any of them; partitions it kept
    through a rebalance, or of other topics, are not news."""
    app = _App()
    watch = faust_app.Assignments(app, ["ledger-in"])  # type: ignore[arg-type]
    assert watch.gained() == set()
    asyncio.run(app.on_partitions_assigned.send({TP("ledger-in", 0), TP("other", 1)}))
    assert watch.gained() == {TP("ledger-in", 0)}
    assert watch.gained() == set()
    asyncio.run(app.on_partitions_assigned.send({TP("ledger-in", 0)}))  # kept: no news
    assert watch.gained() == set()
    asyncio.run(app.on_partitions_assigned.send({TP("ledger-in", 0), TP("ledger-in", 1)}))
    assert watch.gained() == {TP("ledger-in", 1)}
