"""An agency desk over HTTP, for the CLI: send a command to a service's `POST /commands` as
the member of staff a bearer token names, and read its query API with the same token."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from datetime import date, datetime, time
from typing import Any

from contracts import envelope, wire
from contracts.business_time import CHINA
from contracts.message import Command
from contracts.replies import MessageAccepted, MessageRejected

Answer = MessageAccepted | MessageRejected


async def send_command(url: str, command: Command, *, key: str, on: date, token: str,
                       source: str, timeout: float) -> Answer:
    """Send `command` (business time: `on`, midnight in China) and return the service's
    answer; TimeoutError if it is not decided within `timeout` s or cannot be reached."""
    env = envelope.new(command, key=key, source=source,
                       occurred_at=datetime.combine(on, time(0), CHINA))
    status, body = await asyncio.to_thread(request, f"{url}/commands", token,
                                           wire.encode(env), timeout + 5)
    if status in (200, 201):  # 201: it recorded events (issue 18 item 6)
        return MessageAccepted.model_validate(body["reply"])
    if status == 202:
        raise TimeoutError(f"published, but not decided within {timeout:g} s; the answer "
                           f"to {env.event_id} will be on the service's reply topic")
    if status >= 500 and "reason_code" not in body:
        raise TimeoutError(f"the service at {url} answered {status}: is it up?")
    return MessageRejected(ref_event_id=env.event_id, ref_type=env.type,
                           reason_code=str(body.get("reason_code", f"http_{status}")),
                           reason=str(body.get("reason", "")))


def request(url: str, token: str, body: bytes | None = None, timeout: float = 15.0
            ) -> tuple[int, Any]:
    """GET (or POST `body`) as `token`; (status, JSON). TimeoutError if unreachable."""
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")
    except (urllib.error.URLError, OSError) as exc:
        raise TimeoutError(f"cannot reach the service at {url}: {exc}") from None


def report(answer: Answer, what: str) -> int:
    """Print the service's answer to `what`; the exit status (0 accepted, 1 rejected)."""
    if isinstance(answer, MessageAccepted):
        print(f"{what}: accepted ({answer.detail})")
        return 0
    print(f"{what}: rejected [{answer.reason_code}] {answer.reason}")
    return 1
