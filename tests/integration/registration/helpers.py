"""Integration helpers: send a command and wait for the service's answer; HTTP JSON calls."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from contracts import topics
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.replies import MessageAccepted, MessageRejected
from tests.support.identity import read_headers
from tests.support.kafka import Bus


async def answer(bus: Bus, env: Envelope[Message], timeout: float = 30.0) -> Message:
    """The reply (MessageAccepted / MessageRejected) to `env` on registration-replies."""
    def has(seen: list[Envelope[Message]]) -> bool:
        return any(getattr(e.payload, "ref_event_id", None) == env.event_id for e in seen)

    seen = await bus.read(topics.REGISTRATION_REPLIES, has, timeout)
    [reply] = {e.event_id: e.payload for e in seen
               if getattr(e.payload, "ref_event_id", None) == env.event_id}.values()
    return reply


async def send(bus: Bus, env: Envelope[Message]) -> Message:
    await bus.send(topics.REGISTRATION_COMMANDS, env)
    return await answer(bus, env)


async def accepted(bus: Bus, env: Envelope[Message]) -> MessageAccepted:
    reply = await send(bus, env)
    assert isinstance(reply, MessageAccepted), reply
    return reply


async def rejected(bus: Bus, env: Envelope[Message]) -> MessageRejected:
    reply = await send(bus, env)
    assert isinstance(reply, MessageRejected), reply
    return reply


def http(base: str, path: str, body: bytes | None = None, token: str | None = None
         ) -> tuple[int, Any]:
    """GET, or POST `body`; `token`: a staff bearer token (tests.support.identity; a GET
    without one reads as an auditor of everything, with "" as nobody)."""
    headers = {"Content-Type": "application/json"}
    if body is None:
        headers.update(read_headers(token))
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=body, method="POST" if body else "GET",
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def http_until(base: str, path: str, check: Any, timeout: float = 20.0) -> Any:
    """GET `path` until `check(body)` holds (the read model trails the log slightly)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status, body = await asyncio.to_thread(http, base, path)
        if check(status, body):
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"GET {path} never satisfied the check: {status} {body}")
        await asyncio.sleep(0.3)
