"""`POST /commands`: the HTTP ingress of agency commands (issue 16), one for every service.

It authenticates the sender (`tokens.Verifier`: 401 without a valid staff token), refuses
what is not one of the service's commands or carries an actor of its own (the actor comes
from the token, never from the body), checks the role — and the region where the command
names it — before anything is published (403), stamps the actor on the envelope, publishes
it on the service's command topic and answers with the service's decision:
200 accepted, 403 refused for the actor (region or four-eyes, decided on the service's
state), 409 refused because of what the service already recorded (the desk's `conflicts`),
422 refused by another business rule — both with `reason_code`, `reason` and, where the desk
knows it, the `rule_id` (issue 18 item 6) —, 201 when the command recorded events (the
service's `MessageAccepted.events`, in the answer), 200 accepted without recording anything
new (a resent command), and 202 with a status link when the answer takes longer than
`ANSWER_TIMEOUT` (it will also be on the reply topic), 503 `not_ready` (nothing published)
while the answer reader has not yet fixed its start. Refused bodies are dead-lettered with
their original bytes, like every refused message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import faust
from aiokafka.errors import KafkaError
from faust.web import Request, Response, View
from pydantic import BaseModel

from contracts import wire
from contracts.authority import authorize
from contracts.decision import KeyedBy, Rejected
from contracts.message import Message
from contracts.replies import MessageRejected
from contracts.runtime import metrics
from contracts.runtime.answers import Answers
from contracts.runtime.http import (
    MAX_BODY_BYTES,
    REF,
    BadRequest,
    BodyTooLarge,
    check_recorded,
    error,
    read_body,
    refuse_body,
    responses,
    schemas,
    wire_refusal,
)
from contracts.runtime.rejection import Rejector
from contracts.runtime.tokens import TokenRefused, Verifier, cached
from contracts.settings import Settings
from contracts.topics import Topic, Writer

ANSWER_TIMEOUT = 10.0  # seconds the ingress waits for the service's decision
FOR_THE_ACTOR = {"unauthenticated": 401, "forbidden_role": 403, "forbidden_region": 403,
                 "four_eyes": 403}
"""Refusal codes that concern who sent the command, and their HTTP status."""


class CommandAnswered(BaseModel):
    """201 (events recorded) / 200 (nothing new): the service decided and accepted it."""

    status: Literal["accepted"]
    event_id: str
    type: str
    actor: str  # who sent it, as authenticated
    events: list[dict[str, Any]]  # what was recorded: event_id, type, payload
    reply: dict[str, Any]  # the MessageAccepted of the reply topic


class CommandPending(BaseModel):
    """202: published, decided later; the answer is on the reply topic, and `status_url`
    tells where to look for its effect."""

    status: Literal["pending"]
    event_id: str
    detail: str
    status_url: str | None


@dataclass(frozen=True)
class CommandDesk:
    """What one service's ingress takes: its commands, on which topic, keyed by what, and
    the regions a command names itself (None: only the service's state knows them)."""

    writer: Writer
    topic: Topic
    replies: Topic
    commands: tuple[type[Message], ...]
    keyed_by: KeyedBy | None  # None: the topic's key is not a payload field
    regions_of: Callable[[Message], Sequence[str] | None]
    rules: Mapping[str, str] = field(default_factory=dict)  # reason code -> rule id
    conflicts: frozenset[str] = frozenset()  # reason codes answered 409, not 422
    status_of: Callable[[Message], str | None] = lambda _cmd: None
    """The query path that will show the command's effect (202's `status_url`)."""

    def refusal_status(self, code: str) -> int:
        if code in FOR_THE_ACTOR:
            return FOR_THE_ACTOR[code]
        return 409 if code in self.conflicts else 422

    def refusal_extra(self, code: str) -> dict[str, str]:
        rule = self.rules.get(code)
        return {} if rule is None else {"rule_id": rule}


def mount(app: faust.App, settings: Settings, desk: CommandDesk,
          verifier: Callable[[], Verifier] | None = None, path: str = "/commands") -> None:
    """`verifier` gives the token verifier (default: from the environment, loaded once)."""
    get_verifier = verifier or cached(Verifier.from_environment)
    answers = Answers(settings, [desk.replies])

    @app.task
    async def read_command_answers() -> None:
        await answers.run()

    async def send(name: str, key: bytes | None, value: bytes) -> None:
        await (await app.send(name, key=key, value=value))

    rejector = Rejector(desk.writer, None, settings.topic_prefix, send)
    topic = desk.topic.name(settings.topic_prefix)
    route = f"POST {path}"

    def checked(raw: bytes, received_at: datetime, who: Any) -> Any:
        try:
            env = wire.decode(raw)
        except wire.WireError as exc:
            raise BadRequest(*wire_refusal(exc)) from None
        if not isinstance(env.payload, desk.commands):
            raise BadRequest("unsupported_command", f"{env.type} is not a command of {topic}")
        if env.actor is not None:
            raise BadRequest("actor_in_body", "the actor comes from the bearer token, never "
                             "from the body: leave `actor` out")
        if desk.keyed_by is not None and (why := desk.keyed_by.mismatch(env)):
            raise BadRequest("key_mismatch", why)
        check_recorded(env.recorded_at, received_at)
        try:
            authorize(who, env.payload, desk.regions_of(env.payload))
        except Rejected as exc:
            raise BadRequest(exc.code, exc.reason, FOR_THE_ACTOR.get(exc.code, 403)) from None
        return env.model_copy(update={"actor": who})

    @app.page(path)
    class Commands(View):
        async def post(self, request: Request) -> Response:
            received_at = datetime.now(UTC)
            try:
                who = get_verifier().actor(request.headers.get("Authorization"))
            except RuntimeError as exc:  # no keys to verify with: ours to fix, not theirs
                return error(self, 503, "identity_unavailable", str(exc))
            except TokenRefused as exc:  # not a message of anyone: answered, not recorded
                metrics.refused(exc.code, "http")
                return error(self, 401, exc.code, exc.reason)
            try:
                raw = await read_body(request)
            except BodyTooLarge as exc:
                return await refuse_body(self, rejector, route, exc.head, exc, who)
            try:
                env = checked(raw, received_at, who)
            except BadRequest as exc:
                return await refuse_body(self, rejector, route, raw, exc, who)
            if not await answers.ready(ANSWER_TIMEOUT):
                return error(self, 503, "not_ready", "still starting: its answer reader is "
                             "not ready; nothing was published, retry")
            fut = answers.expect(env.event_id)
            try:
                await send(topic, env.key.encode(), wire.encode(env))
                answer = await asyncio.wait_for(fut, ANSWER_TIMEOUT)
            except TimeoutError:  # decided later: say where its effect will show
                return self.json(CommandPending(
                    status="pending", event_id=str(env.event_id),
                    detail=f"published; no decision within {ANSWER_TIMEOUT:.0f} s — the "
                    f"answer will be on {desk.replies.base}",
                    status_url=desk.status_of(env.payload)).model_dump(), status=202)
            except KafkaError as exc:  # not the sender's fault: retry later
                return error(self, 503, "broker_unavailable", f"not published: {exc!r}")
            finally:
                answers.forget(env.event_id)
            reply = answer.payload
            if isinstance(reply, MessageRejected):
                return error(self, desk.refusal_status(reply.reason_code), reply.reason_code,
                             reply.reason, event_id=str(env.event_id),
                             **desk.refusal_extra(reply.reason_code))
            events = [e.model_dump(mode="json") for e in getattr(reply, "events", ())]
            return self.json(CommandAnswered(
                status="accepted", event_id=str(env.event_id), type=env.type, actor=who.id,
                events=events, reply=reply.model_dump(mode="json")).model_dump(),
                status=201 if events else 200)


def openapi_path(desk: CommandDesk) -> dict[str, Any]:
    """The `/commands` path item of a service's OpenAPI document."""
    body = {"oneOf": [_envelope_schema(c) for c in desk.commands],
            "description": f"an envelope without `actor`; at most {MAX_BODY_BYTES} bytes"}
    answered = responses(CommandAnswered, 400, (401, "no valid staff token"),
                         (403, "the role, region or four-eyes rule refuses this actor"),
                         (409, "refused: conflicts with what is recorded (rule_id)"),
                         (413, "body too large"),
                         (422, "refused by a business rule (rule_id)"),
                         (503, "broker or identity provider unavailable"),
                         description="accepted, nothing new recorded (a resent command)")
    answered["201"] = {"description": "accepted; `events` are what was recorded",
                       "content": {"application/json": {"schema": {
                           "$ref": REF.format(model="CommandAnswered")}}}}
    answered["202"] = {"description": "published; the decision takes longer (reply topic)",
                       "content": {"application/json": {"schema": {
                           "$ref": REF.format(model="CommandPending")}}}}
    return {"post": {
        "summary": f"Send an agency command (authenticated staff) to {desk.topic.base}",
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": answered}}


def openapi_components(desk: CommandDesk, service_schemas: dict[str, Any]) -> dict[str, Any]:
    """A service's `components`: its own schemas, and what `openapi_path` refers to (the
    commands, the answer, the bearer security scheme)."""
    return {"schemas": {**schemas(CommandAnswered, CommandPending, *desk.commands),
                        **service_schemas},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "bearerFormat": "JWT"}}}


def _envelope_schema(command: type[Message]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["event_id", "type", "schema_version", "key", "occurred_at",
                     "recorded_at", "source", "payload"],
        "description": "contracts.envelope.Envelope; key = what the command is keyed by; "
                       "occurred_at is the clerk's action time (business time)",
        "additionalProperties": False,
        "properties": {
            "event_id": {"type": "string", "format": "uuid"},
            "type": {"const": command.__name__}, "schema_version": {"const": 1},
            "key": {"type": "string"}, "source": {"type": "string"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "recorded_at": {"type": "string", "format": "date-time"},
            "causation_id": {"type": "string", "format": "uuid"},
            "correlation_id": {"type": "string", "format": "uuid"},
            "payload": {"$ref": REF.format(model=command.__name__)}},
    }
