"""Helpers for the settlement integration tests: workers, envelopes, HTTP, waiting."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

from stdnum.cn import ric

from contracts import envelope
from contracts.message import Message
from contracts.reference import ReferenceData, dataset_key
from tests.support.actors import acting_for
from tests.support.identity import read_headers


def worker_id(n: int) -> str:
    """A valid resident id (ISO 7064 MOD 11-2 check digit), distinct per n."""
    base = f"11010519900101{n:03d}"
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(base))
    check = (12 - total % 11) % 11
    wid = base + ("X" if check == 10 else str(check))
    assert ric.is_valid(wid)
    return wid


def env(payload: Message, key: str, at: datetime | None = None,
        source: str = "test-client") -> envelope.Envelope[Message]:
    at = at or datetime(2024, 5, 12, 2, tzinfo=UTC)
    return envelope.new(payload, key=key, occurred_at=at, source=source,
                        event_id=uuid.uuid4(), recorded_at=at, actor=acting_for(payload))


def ref_env(payload: ReferenceData) -> envelope.Envelope[Message]:
    return env(payload, dataset_key(payload), source="operator")


def get(url: str, token: str | None = None) -> tuple[int, Any]:
    """GET as `token` (default: a reader of everything, tests.support.identity)."""
    try:
        req = urllib.request.Request(url, headers=read_headers(token))
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def poll(url: str, ok: Any, timeout: float = 20.0) -> Any:
    """GET `url` until `ok(status, body)` holds (the read model lags the log a little)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    status, body = 0, None
    while loop.time() < deadline:
        status, body = await loop.run_in_executor(None, get, url)
        if ok(status, body):
            return body
        await asyncio.sleep(0.3)
    raise AssertionError(f"{url}: last answer {status} {body}")
