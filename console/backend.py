"""The console's only way to the services: their HTTP APIs, as the signed-in person.

`read` is a GET with the person's token; `send` wraps a command in the one envelope and
POSTs it to the service's `/commands`, as any client does (the actor comes from the token,
never from the body). A service that does not answer is `Unavailable`, never a 500: the
page says so and keeps what was typed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from contracts import envelope, wire
from contracts.message import Message

CHINA = ZoneInfo("Asia/Shanghai")
SERVICES = ("registration", "encounter", "settlement", "clearing", "benefits")
DEFAULT_URLS = {name: f"http://127.0.0.1:{18081 + i}" for i, name in enumerate(SERVICES)}
TIMEOUT = aiohttp.ClientTimeout(total=15)  # the ingress waits up to 10 s for a decision


def urls_from_environment() -> dict[str, str]:
    """`WIC_CONSOLE_<SERVICE>_URL` each, default the services' local ports (18081…)."""
    return {name: os.environ.get(f"WIC_CONSOLE_{name.upper()}_URL", url).rstrip("/")
            for name, url in DEFAULT_URLS.items()}


class Unavailable(Exception):
    """The service did not answer (down, restarting, timed out)."""

    def __init__(self, service: str, why: str) -> None:
        super().__init__(f"{service}: {why}")
        self.service = service


@dataclass
class Answer:
    status: int
    body: Any = field(default=None)
    content_type: str = "application/json"
    raw: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """200 (a read; a resent command) or 201 (a command decided and recorded)."""
        return self.status in (200, 201)

    @property
    def pending(self) -> bool:
        """202: the service has it and will decide (the answer goes to its reply topic)."""
        return self.status == 202

    @property
    def code(self) -> str:
        return str(self.body.get("reason_code", self.status)) if isinstance(self.body, dict) \
            else str(self.status)

    @property
    def reason(self) -> str:
        return str(self.body.get("reason", "")) if isinstance(self.body, dict) else ""


def occurred_at(day: date | None) -> datetime:
    """The command's business time: now, or noon (Beijing) of the business date the clerk
    entered (a desk entering yesterday's paper form)."""
    now = datetime.now(CHINA)
    if day is None or day == now.date():
        return now
    return datetime.combine(day, time(12), CHINA)


class Backend:
    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def read(self, service: str, path: str, token: str,
                   params: dict[str, str] | None = None) -> Answer:
        return await self._call("GET", service, path, token, params=params)

    async def send(self, service: str, command: Message, key: str, token: str,
                   day: date | None = None) -> Answer:
        env = envelope.new(command, key=key, source="console", occurred_at=occurred_at(day))
        return await self._call("POST", service, "/commands", token, data=wire.encode(env))

    async def _call(self, method: str, service: str, path: str, token: str,
                    params: dict[str, str] | None = None, data: bytes | None = None) -> Answer:
        url = self.urls[service] + path
        headers = {"Authorization": f"Bearer {token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self.session().request(method, url, params=params, data=data,
                                              headers=headers) as resp:
                raw = await resp.read()
                kind = resp.content_type
                body: Any = None
                if kind == "application/json":
                    try:
                        body = json.loads(raw or b"null")
                    except ValueError:
                        body = None
                return Answer(resp.status, body, kind, raw, {
                    k: v for k, v in resp.headers.items()
                    if k.lower() in ("content-type", "content-disposition")})
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise Unavailable(service, str(exc) or type(exc).__name__) from None
