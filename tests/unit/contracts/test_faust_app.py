"""The service runtime's start-up heap leaves the garbage collector once the worker serves.

A full collection walks every tracked object: a service's ~100,000 start-up objects cost
40-150 ms of stopped world each time (docs/performance.md, fourth round), the tail of the
latencies hospitals see. They are frozen once, after the tables are recovered.
"""

from __future__ import annotations

import asyncio
import gc

import pytest

from contracts.runtime import faust_app


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
