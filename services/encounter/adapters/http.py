"""HTTP: the hospital ingress (`POST /hospital/messages`) and the encounter query API.

Ingress: a hospital authenticates with its bearer token (only SHA-256 digests are known, from
`InstitutionCredentialPublished` reference data), posts the same envelope JSON it would put on
Kafka (fields it leaves out are filled in), and may only speak for its own institution. The
message is validated, published to `hospital-messages`, and the reply from `hospital-replies`
is awaited (at most `REPLY_TIMEOUT` s) so the hospital gets the admission answer in the
response — or the pre-settlement (`RequestPreSettlement`, 2303/2206), which settlement
answers and encounter hands back on hospital-replies. Queries read the PostgreSQL read model.

Every refused message (400, 403, 413) goes to `encounter-deadletters` with its bytes, like
one refused on Kafka; a request without a known token (401) is not a message of any
institution and is only answered. Parameters and bodies are read with the bounded helpers
of `contracts.runtime.http` ("Input limits" in docs/operations.md).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
from aiokafka.errors import KafkaError
from faust.web import Request, Response, View

from contracts import topics, wire
from contracts.decision import BY_WORKER
from contracts.encounter import hospital_source
from contracts.read_authority import Resource, region_patterns
from contracts.registration import WorkerCoverage
from contracts.replies import MessageRejected
from contracts.runtime import faust_app, routing
from contracts.runtime.answers import Answers
from contracts.runtime.http import (
    BadRequest,
    BodyTooLarge,
    check_recorded,
    error,
    install_error_bodies,
    json_object,
    query,
    read_body,
    refuse_body,
    refusing,
    required_text,
    text,
    wire_refusal,
)
from contracts.runtime.pool import LazyPool
from contracts.runtime.reads import Readers, allow, hospital_actor
from contracts.runtime.rejection import Rejector
from contracts.runtime.trace import TRACE
from contracts.settings import Settings
from services.encounter.adapters.openapi import document
from services.encounter.domain.encounter import ACCEPTED
from services.encounter.domain.reference_book import ReferenceBook

REPLY_TIMEOUT = 5.0
ROUTE = "POST /hospital/messages"
STATUSES = frozenset({"open", "discharged", "cancelled"})


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


def readers_of(book: ReferenceBook) -> Readers:
    """Hospitals read with their institution's credential, staff with their token."""
    return Readers(institutions=book.institution_for_token)


def register(app: faust.App, settings: Settings, book: ReferenceBook, ready: asyncio.Event,
             waiter: Answers, pool: LazyPool, readers: Readers) -> None:
    install_error_bodies(app)

    hospital_topic = topics.HOSPITAL_MESSAGES.name(settings.topic_prefix)
    rejector = Rejector(topics.Writer.ENCOUNTER, None, settings.topic_prefix,
                        faust_app.sender(app))

    def validated(raw: bytes, institution: str, received_at: datetime) -> Any:
        data = json_object(raw, "malformed_envelope")
        if "actor" in data:
            raise BadRequest("actor_in_body", "the actor comes from the credential, never "
                             "from the body: leave `actor` out")
        try:
            env = wire.decode_obj(_fill(data, institution))
        except wire.WireError as exc:
            raise BadRequest(*wire_refusal(exc)) from None
        cmd = env.payload
        if not isinstance(cmd, ACCEPTED):
            raise BadRequest("unexpected_type", f"{env.type} is not a hospital message")
        if cmd.institution_id != institution or env.source != hospital_source(institution):
            raise BadRequest("wrong_institution",
                             f"this credential belongs to {institution}; it may not write for "
                             f"{cmd.institution_id} (source {env.source})", 403)
        if why := BY_WORKER.mismatch(env):
            raise BadRequest("key_mismatch", why)
        check_recorded(env.recorded_at, received_at)
        # issue 16: who it was, authenticated
        return env.model_copy(update={"actor": hospital_actor(institution)})

    @app.page("/hospital/messages")
    class HospitalMessages(View):
        async def post(self, request: Request) -> Response:
            received_at = datetime.now(UTC)
            try:  # right after a restart, give the reference feed a moment to catch up
                await asyncio.wait_for(ready.wait(), REPLY_TIMEOUT)
            except TimeoutError:
                return error(self, 503, "not_ready", "reference data still loading; retry")
            hospital = readers.hospital(request.headers.get("Authorization"))
            if hospital is None or hospital.institution is None:
                return error(self, 401, "unauthenticated", "unknown or missing bearer token")
            institution = hospital.institution
            try:
                raw = await read_body(request)
            except BodyTooLarge as exc:  # dead-lettered with what was read (the limit)
                return await refuse_body(self, rejector, ROUTE, exc.head, exc,
                                         hospital)
            try:
                env = validated(raw, institution, received_at)
            except BadRequest as exc:
                return await refuse_body(self, rejector, ROUTE, raw, exc,
                                         hospital)
            if not await waiter.ready(REPLY_TIMEOUT):
                return error(self, 503, "not_ready", "still starting: its answer reader is "
                             "not ready; nothing was published, retry")
            fut = waiter.expect(env.event_id)
            eid = str(env.event_id)
            TRACE.watch(eid)  # off unless WIC_TRACE_FILE (the admission benchmark)
            TRACE.mark("ingress.received", eid, received_at.timestamp())
            try:
                TRACE.mark("ingress.send", eid)
                await (await app.send(hospital_topic, key=env.key.encode(),
                                      value=wire.encode(env)))
                TRACE.mark("ingress.acked", eid)
                reply = await asyncio.wait_for(fut, REPLY_TIMEOUT)
                TRACE.mark("ingress.answered", eid)
            except TimeoutError:
                return _ok(self, {"status": "pending", "event_id": env.event_id,
                                  "detail": "published; the answer will be on hospital-replies"},
                           status=202)
            except KafkaError as exc:  # not the hospital's fault: retry later
                return error(self, 503, "broker_unavailable", f"not published: {exc!r}")
            finally:
                waiter.forget(env.event_id)
                TRACE.forget(eid)
            body = {"type": reply.type, "event_id": env.event_id,
                    "reply": reply.payload.model_dump(mode="json")}
            if isinstance(reply.payload, MessageRejected):
                return error(self, 422, reply.payload.reason_code, reply.payload.reason,
                              event_id=str(env.event_id))
            return _ok(self, body)

    @app.page("/encounters/{encounter_id}")
    class OneEncounter(View):
        @refusing
        async def get(self, request: Request, encounter_id: str) -> Response:
            who = readers.reader(request, Resource.ENCOUNTER)
            encounter_id = required_text(encounter_id, "encounter_id")
            async with (await pool.get()).acquire() as conn:
                row = await conn.fetchrow("SELECT * FROM encounters WHERE encounter_id = $1",
                                          encounter_id)
                if row is None:
                    return error(self, 404, "not_found", f"no encounter {encounter_id}")
                allow(who, Resource.ENCOUNTER, (row["insured_region"], row["treatment_region"]),
                      row["institution_id"])
                lines = await conn.fetch("SELECT * FROM charge_lines WHERE encounter_id = $1"
                                         " ORDER BY line_no", encounter_id)
            return _ok(self, {**dict(row), "lines": [dict(r) for r in lines]})

    @app.page("/encounters")
    class Encounters(View):
        @refusing
        async def get(self, request: Request) -> Response:
            who = readers.reader(request, Resource.ENCOUNTER)
            q = query(request)
            institution = text(q.get("institution_id"), "institution_id", required=False)
            allow(who, Resource.ENCOUNTER, None, institution)
            # a hospital sees its own encounters; staff those of their regions
            own = who.institution if who.institution is not None else institution
            regions = None if who.institution is not None else region_patterns(who)
            args = (text(q.get("worker_id"), "worker_id", required=False), own,
                    text(q.get("status"), "status", required=False, choices=STATUSES), regions)
            sql = ("SELECT * FROM encounters WHERE ($1::text IS NULL OR worker_id = $1)"
                   " AND ($2::text IS NULL OR institution_id = $2)"
                   " AND ($3::text IS NULL OR status = $3)"
                   " AND ($4::text[] IS NULL OR insured_region LIKE ANY($4)"
                   " OR treatment_region LIKE ANY($4)) ORDER BY encounter_id LIMIT 500")
            async with (await pool.get()).acquire() as conn:
                rows = await conn.fetch(sql, *args)
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


def register_coverage_view(app: faust.App, coverage_by_worker: Any, readers: Readers
                           ) -> None:
    """`GET /workers/{worker_id}/coverage`: the registration snapshot the encounter service
    holds for the worker — answered by the worker that owns the key's partition of the
    table, whichever worker is asked (`contracts.runtime.routing`, issue 17 item 3).
    Hospitals may ask (before admitting); staff for the places of the worker's windows."""

    @app.page("/workers/{worker_id}/coverage")
    class Coverage(View):
        async def get(self, request: Request, worker_id: str) -> Response:
            key = worker_id.encode(errors="replace")  # validated by the owner
            owner = routing.owner_of_table(app, coverage_by_worker, key)
            return await routing.answer_from_owner(app, self, request, owner,
                                                   lambda: self.here(request, worker_id=worker_id))

        @refusing
        async def here(self, request: Request, worker_id: str) -> Response:
            who = readers.reader(request, Resource.COVERAGE)
            raw = coverage_by_worker.get(required_text(worker_id, "worker_id").encode())
            if raw is None:
                return error(self, 404, "not_found", f"no coverage known for {worker_id}")
            windows = WorkerCoverage.model_validate_json(raw).windows
            allow(who, Resource.COVERAGE, {p for w in windows
                                           for p in (w.insured_region, w.treatment_region)})
            return self.bytes(raw, content_type="application/json")
