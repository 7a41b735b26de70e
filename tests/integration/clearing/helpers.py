"""Helpers for the clearing integration tests: HTTP polling, envelopes. Signed gateway
messages live in `tests.support.gateway` (re-exported here)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any

from contracts import envelope
from contracts.envelope import Envelope
from contracts.message import Message
from tests.support.actors import acting_for
from tests.support.gateway import KEY_IDS, T0, signed_answer, signed_claim
from tests.support.identity import read_headers

__all__ = ["KEY_IDS", "T0", "env", "get", "signed_answer", "signed_claim", "until"]


def env(payload: Message, key: str, at: datetime = T0, source: str = "test-agency"
        ) -> Envelope[Message]:
    return envelope.new(payload, key=key, occurred_at=at, source=source,
                        actor=acting_for(payload))


def get(url: str, token: str | None = None) -> tuple[int, Any]:
    """GET as `token` (default: a reader of everything, tests.support.identity)."""
    try:
        req = urllib.request.Request(url, headers=read_headers(token))
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


async def until(fetch: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 30.0
                ) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await asyncio.to_thread(fetch)
        if ok(last):
            return last
        await asyncio.sleep(0.3)
    raise AssertionError(f"condition not met after {timeout}s; last = {last}")
