"""A stopped service stops, even with its broker gone (issue 14 finding 3: after the broker
was down no service obeyed SIGTERM within 30 s; faust's consumer and producer wait on it
for their request timeouts). The broker here is a private one, so stopping it touches
nobody else's tests."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import Iterator

import pytest

from infra.migrate import migrate
from infra.services import ServiceProcess
from infra.topics import ensure_topics
from ops.chaos.stack import PrivateStack

pytestmark = pytest.mark.integration

GRACE = 5.0


@pytest.fixture(scope="module")
def stack() -> Iterator[PrivateStack]:
    st = PrivateStack.plan(f"shutdown{os.getpid()}", random.Random())
    st.start()
    try:
        asyncio.run(ensure_topics(st.bootstrap, "s."))
        asyncio.run(migrate(st.database_url))
        yield st
    finally:
        st.close()


def test_finding_3_sigterm_with_the_broker_down_ends_the_process_within_the_grace(
        stack: PrivateStack) -> None:
    svc = ServiceProcess("encounter", "s.", stack.database_url, stack.bootstrap,
                         stack.home / "logs", extra_env={"WIC_SHUTDOWN_GRACE": str(GRACE)})
    svc.start(timeout=120)
    stack.stop_kafka()
    time.sleep(2)  # the service notices: fetches and metadata requests fail
    assert svc.proc is not None
    began = time.monotonic()
    os.killpg(svc.proc.pid, signal.SIGTERM)
    try:
        svc.proc.wait(timeout=GRACE + 20)
    finally:
        svc.stop(kill=True)
    took = time.monotonic() - began
    assert took < GRACE + 10, f"still running {took:.0f} s after SIGTERM"
    assert "did not finish" in svc.tail(50)
