"""How the demo talks to the system: as agency clients, hospitals and gateways do.

Commands go onto the command topics; answers are read from the reply topics and matched to
what was sent by `causation_id` (`contracts.runtime.answers`).
Hospitals that cannot speak Kafka use the encounter service's HTTP ingress.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from contracts import envelope, topics, wire
from contracts.actor import Actor
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.answers import Answers
from contracts.settings import Settings, kafka_security

REPLY_TOPICS = (topics.REGISTRATION_REPLIES, topics.HOSPITAL_REPLIES, topics.CLAIM_REPLIES,
                topics.CLEARING_REPLIES, topics.GATEWAY_OUTBOUND, topics.BENEFIT_REPLIES)


class Client:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all",
                                         linger_ms=2, **kafka_security(settings))
        self.answers = Answers(settings, REPLY_TOPICS)

    async def __aenter__(self) -> Client:
        await self.producer.start()
        await self.answers.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.answers.stop()
        await self.producer.stop()

    async def send(self, topic: topics.Topic, payload: Message, *, key: str, when: datetime,
                   source: str, actor: Actor | None = None) -> Envelope[Message]:
        env = envelope.new(payload, key=key, occurred_at=when, source=source, actor=actor)
        self.answers.expect(env.event_id)
        await self.producer.send(topic.name(self.settings.topic_prefix), wire.encode(env),
                                 key=key.encode())
        return env

    async def flush(self) -> None:
        await self.producer.flush()

    async def answers_to(self, sent: Iterable[Envelope[Message]], timeout: float = 60.0
                         ) -> list[Envelope[Message]]:
        """The answer to each sent message, in order; fails loudly if one never comes."""
        await self.flush()
        try:
            return await self.answers.gather([e.event_id for e in sent], timeout)
        except TimeoutError as exc:
            raise RuntimeError(str(exc)) from None


def post_json(url: str, body: dict[str, Any], token: str | None = None,
              timeout: float = 10.0) -> tuple[int, dict[str, Any]]:
    """An HTTP POST as a hospital system makes it; returns (status, JSON body)."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def get_json(url: str, timeout: float = 10.0, token: str | None = None) -> tuple[int, Any]:
    """An HTTP GET as the reader `token` names (a staff JWT or a hospital's credential)."""
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}
                                 if token else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")
