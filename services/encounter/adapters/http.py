"""HTTP: the hospital ingress (`POST /hospital/messages`) and the encounter query API.

Ingress: a hospital authenticates with its bearer token (only SHA-256 digests are known, from
`InstitutionCredentialPublished` reference data), posts the same envelope JSON it would put on
Kafka (fields it leaves out are filled in), and may only speak for its own institution. The
message is validated, published to `hospital-messages`, and the reply from `hospital-replies`
is awaited (at most `REPLY_TIMEOUT` s) so the hospital gets the admission answer in the
response. Queries read the PostgreSQL read model.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import faust
import orjson
from faust.web import Request, Response, View

from contracts import topics, wire
from contracts.encounter import hospital_source
from contracts.replies import MessageRejected
from contracts.runtime.http import error
from contracts.settings import Settings
from services.encounter.adapters.feeds import ReplyWaiter
from services.encounter.adapters.openapi import document
from services.encounter.adapters.projection import SCHEMA
from services.encounter.domain.encounter import HOSPITAL_MESSAGES
from services.encounter.domain.reference_book import ReferenceBook

REPLY_TIMEOUT = 5.0


def _ok(view: View, body: Any, status: int = 200) -> Response:
    return view.bytes(orjson.dumps(body, default=str), content_type="application/json",
                      status=status)


def _fill(data: dict[str, Any], institution: str) -> dict[str, Any]:
    """Envelope fields a hospital may leave out: ids, times, key and source."""
    found = data.get("payload")
    payload: dict[str, Any] = found if isinstance(found, dict) else {}
    now = datetime.now(UTC).isoformat()
    business = payload.get("admitted_at") or payload.get("discharged_at") or now
    eid = str(data.get("event_id") or uuid.uuid4())
    return {"event_id": eid, "key": payload.get("worker_id"), "occurred_at": business,
            "recorded_at": now, "source": hospital_source(institution), "correlation_id": eid,
            **data}


def register(app: faust.App, settings: Settings, book: ReferenceBook, ready: asyncio.Event,
             waiter: ReplyWaiter) -> None:
    pool: list[asyncpg.Pool] = []

    async def db() -> asyncpg.Pool:
        if not pool:
            pool.append(await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4,
                                                  server_settings={"search_path": SCHEMA}))
        return pool[0]

    hospital_topic = topics.HOSPITAL_MESSAGES.name(settings.topic_prefix)

    @app.page("/hospital/messages")
    class HospitalMessages(View):
        async def post(self, request: Request) -> Response:
            try:  # right after a restart, give the reference feed a moment to catch up
                await asyncio.wait_for(ready.wait(), REPLY_TIMEOUT)
            except TimeoutError:
                return error(self, 503, "not_ready", "reference data still loading; retry")
            auth = request.headers.get("Authorization", "")
            token = auth[7:] if auth.startswith("Bearer ") else ""
            institution = book.institution_for_token(hashlib.sha256(token.encode()).hexdigest())
            if not token or institution is None:
                return error(self, 401, "unauthenticated", "unknown or missing bearer token")
            try:
                data = orjson.loads(await request.read())
                if not isinstance(data, dict):
                    raise wire.WireError("malformed_envelope", "the body must be a JSON object")
                env = wire.decode_obj(_fill(data, institution))
            except orjson.JSONDecodeError as exc:
                return error(self, 400, "malformed_json", str(exc))
            except wire.WireError as exc:
                return error(self, 400, exc.code, exc.detail)
            cmd = env.payload
            if not isinstance(cmd, HOSPITAL_MESSAGES):
                return error(self, 400, "unexpected_type", f"{env.type} is not a hospital message")
            if cmd.institution_id != institution or env.source != hospital_source(institution):
                return error(self, 403, "wrong_institution",
                              f"this credential belongs to {institution}; it may not write for "
                              f"{cmd.institution_id} (source {env.source})")
            if env.key != cmd.worker_id:
                return error(self, 400, "key_mismatch", "key must be the payload's worker_id")
            fut = waiter.expect(env.event_id)
            try:
                await (await app.send(hospital_topic, key=env.key.encode(),
                                      value=wire.encode(env)))
                reply = await asyncio.wait_for(fut, REPLY_TIMEOUT)
            except TimeoutError:
                return _ok(self, {"status": "pending", "event_id": env.event_id,
                                  "detail": "published; the answer will be on hospital-replies"},
                           status=202)
            finally:
                waiter.forget(env.event_id)
            body = {"type": reply.type, "event_id": env.event_id,
                    "reply": reply.payload.model_dump(mode="json")}
            if isinstance(reply.payload, MessageRejected):
                return error(self, 422, reply.payload.reason_code, reply.payload.reason,
                              event_id=str(env.event_id))
            return _ok(self, body)

    @app.page("/encounters/{encounter_id}")
    class OneEncounter(View):
        async def get(self, request: Request, encounter_id: str) -> Response:
            async with (await db()).acquire() as conn:
                row = await conn.fetchrow("SELECT * FROM encounters WHERE encounter_id = $1",
                                          encounter_id)
                if row is None:
                    return error(self, 404, "not_found", f"no encounter {encounter_id}")
                lines = await conn.fetch("SELECT * FROM charge_lines WHERE encounter_id = $1"
                                         " ORDER BY line_no", encounter_id)
            return _ok(self, {**dict(row), "lines": [dict(r) for r in lines]})

    @app.page("/encounters")
    class Encounters(View):
        async def get(self, request: Request) -> Response:
            q = request.query
            sql = ("SELECT * FROM encounters WHERE ($1::text IS NULL OR worker_id = $1)"
                   " AND ($2::text IS NULL OR institution_id = $2)"
                   " AND ($3::text IS NULL OR status = $3) ORDER BY encounter_id LIMIT 500")
            async with (await db()).acquire() as conn:
                rows = await conn.fetch(sql, q.get("worker_id"), q.get("institution_id"),
                                        q.get("status"))
            return _ok(self, {"encounters": [dict(r) for r in rows]})

    @app.page("/reference/status")
    class ReferenceStatus(View):
        async def get(self, request: Request) -> Response:
            return _ok(self, {"ready": ready.is_set(), "messages": len(book)},
                       status=200 if ready.is_set() else 503)

    @app.page("/openapi.json")
    class OpenApi(View):
        async def get(self, request: Request) -> Response:
            return _ok(self, document())


def register_coverage_view(app: faust.App, coverage_by_worker: Any) -> None:
    """`GET /workers/{worker_id}/coverage`: the registration snapshot this worker holds for
    the worker (local table; with several workers, ask the one that owns the partition)."""

    @app.page("/workers/{worker_id}/coverage")
    class Coverage(View):
        async def get(self, request: Request, worker_id: str) -> Response:
            raw = coverage_by_worker.get(worker_id.encode())
            if raw is None:
                return error(self, 404, "not_found", f"no coverage known for {worker_id}")
            return self.bytes(raw, content_type="application/json")
