"""HTTP and Kafka helpers for the encounter integration tests."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import orjson

from contracts.message import Message
from tests.support.identity import read_headers


def body(cmd: Message, **extra: Any) -> dict[str, Any]:
    return {"type": cmd.message_type, "schema_version": cmd.version,
            "payload": cmd.model_dump(mode="json"), **extra}


async def post(url: str, institution: str, data: dict[str, Any], token: str | None = None
               ) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token or 'sample-token-' + institution}",
               "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http, http.post(
            f"{url}/hospital/messages", data=orjson.dumps(data), headers=headers) as resp:
        return resp.status, await resp.json()


async def get(url: str, path: str, token: str | None = None) -> tuple[int, Any]:
    """GET as `token` (default: a reader of everything; a hospital's sample token reads
    as that hospital)."""
    async with aiohttp.ClientSession() as http, http.get(
            f"{url}{path}", headers=read_headers(token)) as resp:
        return resp.status, await resp.json()


async def wait_for(url: str, path: str, ok: Any, timeout: float = 20.0) -> Any:
    """GET `path` until `ok(json)` holds; returns the json."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        status, last = await get(url, path)
        if status == 200 and ok(last):
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"{path} never satisfied the condition; last: {last}")
