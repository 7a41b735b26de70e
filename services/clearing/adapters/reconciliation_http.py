"""`POST /reconciliation`: an institution reconciles with its credential (对总账 3201 /
对明细账 3202), as encounter's hospital ingress authenticates.

The body is a `ReconcileInstitution` (institution_id may be left out: the credential's);
the door wraps it in an envelope whose source and actor are the credential's institution,
publishes it on `reconciliation-requests` and awaits the ledger's answer on
`reconciliation-answers` — the very path a Kafka client takes, so both are answered by the
one handler (`domain/reconciliation.py`) from the ledger as it stands. Refused bodies are
dead-lettered and answered 4xx; a refusal by the ledger comes back with its reason code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import faust
from aiokafka.errors import KafkaError
from faust.web import Request, Response, View
from pydantic import ValidationError

from contracts import envelope, topics, wire
from contracts.encounter import hospital_source
from contracts.reconciliation import ReconcileInstitution
from contracts.replies import MessageRejected
from contracts.runtime import faust_app
from contracts.runtime.answers import Answers
from contracts.runtime.http import (
    BadRequest,
    BodyTooLarge,
    error,
    json_object,
    read_body,
    refuse_body,
)
from contracts.runtime.reads import Readers
from contracts.runtime.rejection import Rejector
from contracts.settings import Settings

ROUTE = "POST /reconciliation"
ANSWER_TIMEOUT = 10.0
STATUS = {"unknown_cycle": 404, "invalid_cycle_id": 400, "wrong_institution": 403}
"""The ledger's refusal codes that are not 422."""


def request_of(raw: bytes, institution: str) -> ReconcileInstitution:
    """The body as a request of the credential's institution (`wrong_institution` for
    another's, `invalid_request` for what does not validate)."""
    data = json_object(raw, "invalid_request")
    named = data.setdefault("institution_id", institution)
    if named != institution:
        raise BadRequest("wrong_institution", f"this credential belongs to {institution}; it "
                         f"may not reconcile {str(named)[:40]}", 403)
    try:
        return ReconcileInstitution.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise BadRequest("invalid_request", f"{where}: {first['msg']}") from None


def register(app: faust.App, settings: Settings, readers: Readers,
             ready: Callable[[], asyncio.Event]) -> None:
    answers = Answers(settings, [topics.RECONCILIATION_ANSWERS])
    topic = topics.RECONCILIATION_REQUESTS.name(settings.topic_prefix)
    rejector = Rejector(topics.Writer.CLEARING, None, settings.topic_prefix,
                        faust_app.sender(app))

    @app.task
    async def read_reconciliation_answers() -> None:
        await answers.run()

    @app.page("/reconciliation")
    class Reconciliation(View):
        async def post(self, request: Request) -> Response:
            try:  # right after a start, the credentials are still being read
                await asyncio.wait_for(ready().wait(), ANSWER_TIMEOUT)
            except TimeoutError:
                return error(self, 503, "not_ready", "credentials still loading; retry")
            hospital = readers.hospital(request.headers.get("Authorization"))
            if hospital is None or hospital.institution is None:
                return error(self, 401, "unauthenticated",
                             "reconciliation needs the institution's credential (bearer)")
            institution = hospital.institution
            try:
                raw = await read_body(request)
            except BodyTooLarge as exc:
                return await refuse_body(self, rejector, ROUTE, exc.head, exc, hospital)
            try:
                cmd = request_of(raw, institution)
            except BadRequest as exc:
                return await refuse_body(self, rejector, ROUTE, raw, exc, hospital)
            env = envelope.new(cmd, key=institution, source=hospital_source(institution),
                               occurred_at=datetime.now(UTC), actor=hospital)
            if not await answers.ready(ANSWER_TIMEOUT):
                return error(self, 503, "not_ready", "still starting: its answer reader is "
                             "not ready; nothing was published, retry")
            fut = answers.expect(env.event_id)
            try:
                await (await app.send(topic, key=env.key.encode(), value=wire.encode(env)))
                answer = await asyncio.wait_for(fut, ANSWER_TIMEOUT)
            except TimeoutError:
                return self.json({"status": "pending", "event_id": str(env.event_id),
                                  "detail": "published; the answer will be on "
                                  "reconciliation-answers"}, status=202)
            except KafkaError as exc:  # not the institution's fault: retry later
                return error(self, 503, "broker_unavailable", f"not published: {exc!r}")
            finally:
                answers.forget(env.event_id)
            reply: Any = answer.payload
            if isinstance(reply, MessageRejected):
                return error(self, STATUS.get(reply.reason_code, 422), reply.reason_code,
                             reply.reason, event_id=str(env.event_id))
            return self.json(reply.model_dump(mode="json"))
