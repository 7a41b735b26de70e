"""HTTP query API (faust web): answers from the PostgreSQL read model, never from other
services. Errors are 4xx with `{"reason_code", "reason"}`."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import asyncpg
import faust
import orjson
from faust.web import Request, Response, View
from pydantic import TypeAdapter, ValidationError

from contracts import topics
from contracts import wire as codec
from contracts.registration import REGISTRATION_COMMANDS, CoverageWindow
from contracts.runtime.http import error
from contracts.runtime.rejection import RawRecord, Rejector
from contracts.settings import Settings
from contracts.topics import Writer
from contracts.types import RegionCode, ResidentId, city_of
from services.registration.adapters import openapi
from services.registration.adapters.views import (
    CommandAccepted,
    CoverageAnswer,
    HistoryAnswer,
    HistoryEntry,
    RegistrationBody,
    Window,
)
from services.registration.domain.state import Status

_WORKER: TypeAdapter[str] = TypeAdapter(ResidentId)
_REGION: TypeAdapter[str] = TypeAdapter(RegionCode)


class BadRequest(Exception):
    def __init__(self, code: str, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.code, self.reason, self.status = code, reason, status


def _check(adapter: TypeAdapter[str], value: str | None, code: str, name: str) -> str:
    if not value:
        raise BadRequest("missing_parameter", f"{name} is required")
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise BadRequest(code, codec.describe(exc, f"{name}: ")) from None


def _day(value: str | None, name: str) -> date:
    if not value:
        raise BadRequest("missing_parameter", f"{name} is required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest("invalid_date", f"{name} {value!r} is not YYYY-MM-DD") from None


def _body(row: asyncpg.Record, windows: list[asyncpg.Record], as_of: date | None
          ) -> RegistrationBody:
    body = RegistrationBody(**dict(row), windows=[Window(**dict(w)) for w in windows])
    if as_of is not None:  # SD-REG-4: expiry derived from valid_until, no clock involved
        expired = row["status"] == Status.APPROVED.value and as_of > row["valid_until"]
        body.status_as_of = "expired" if expired else row["status"]
    return body


class Queries:
    """asyncpg reads, pool opened lazily with search_path = registration."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: asyncpg.Pool | None = None

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.settings.database_url, min_size=1, max_size=4,
                server_settings={"search_path": "registration"})
        return self._pool

    async def registrations(self, where: str, arg: str, as_of: date | None = None
                            ) -> list[RegistrationBody]:
        pool = await self.pool()
        rows = await pool.fetch(f"SELECT * FROM registrations WHERE {where} = $1"
                                " ORDER BY registered_on, registration_id", arg)
        out = []
        for row in rows:
            wins = await pool.fetch(
                "SELECT registration_id, registration_type, insured_region, treatment_region,"
                " valid_from, valid_until FROM coverage_windows WHERE worker_id = $1 AND"
                " registration_id = $2 ORDER BY seq", row["worker_id"], row["registration_id"])
            out.append(_body(row, wins, as_of))
        return out

    async def coverage(self, worker: str, place: str, day: date) -> CoverageAnswer:
        pool = await self.pool()
        rows = await pool.fetch(
            "SELECT registration_id, registration_type, insured_region, treatment_region,"
            " valid_from, valid_until FROM coverage_windows WHERE worker_id = $1 AND"
            " valid_from <= $2 AND valid_until >= $2 ORDER BY registration_id, seq", worker, day)
        for row in rows:
            window = CoverageWindow(**dict(row))
            if window.covers(place, day):
                return CoverageAnswer(worker_id=worker, place=place, date=day, covered=True,
                                      registration_id=window.registration_id,
                                      window=Window(**dict(row)))
        home = await pool.fetchval(
            "SELECT count(*) FROM registrations WHERE worker_id = $1 AND"
            " left(insured_region, 4) = $2", worker, city_of(place)[:4])
        reason = "treated_at_insured_place" if home else "no_valid_registration"  # SD-REG-8
        return CoverageAnswer(worker_id=worker, place=place, date=day, covered=False,
                              reason=reason)

    async def history(self, worker: str) -> HistoryAnswer:
        regs = await self.registrations("worker_id", worker)
        if not regs:
            raise BadRequest("unknown_worker", f"no registration events for {worker}", 404)
        rows = await (await self.pool()).fetch(
            "SELECT seq, event_id, event_type, registration_id, occurred_at, payload::text"
            " AS payload FROM registration_history WHERE worker_id = $1 ORDER BY seq", worker)
        events = [HistoryEntry(**{**dict(r), "payload": orjson.loads(r["payload"])})
                  for r in rows]
        return HistoryAnswer(worker_id=worker, registrations=regs, events=events)


def wire(app: faust.App, settings: Settings) -> None:
    queries = Queries(settings)

    async def send(name: str, key: bytes | None, value: bytes) -> None:
        await (await app.send(name, key=key, value=value))

    rejector = Rejector(Writer.REGISTRATION, None, settings.topic_prefix, send)

    def answer(web: Any, body: Any, status: int = 200) -> Response:
        return web.json(body.model_dump(mode="json") if hasattr(body, "model_dump") else body,
                        status=status)

    def refuse(web: View, exc: BadRequest) -> Response:
        return error(web, exc.status, exc.code, exc.reason)

    @app.page("/registrations/{registration_id}")
    class RegistrationStatus(View):
        async def get(self, request: Request, registration_id: str) -> Response:
            try:
                as_of = request.query.get("as_of")
                regs = await queries.registrations("registration_id", registration_id,
                                                   _day(as_of, "as_of") if as_of else None)
                if not regs:
                    raise BadRequest("unknown_registration",
                                     f"no registration {registration_id}", 404)
                if len(regs) > 1:
                    raise BadRequest("ambiguous_registration_id",
                                     f"{registration_id} is used by several workers", 409)
                return answer(self, regs[0])
            except BadRequest as exc:
                return refuse(self, exc)

    @app.page("/workers/{worker_id}/coverage")
    class WorkerCoverage(View):
        async def get(self, request: Request, worker_id: str) -> Response:
            try:
                worker = _check(_WORKER, worker_id, "invalid_worker_id", "worker_id")
                place = _check(_REGION, request.query.get("place"), "invalid_region_code",
                               "place")
                day = _day(request.query.get("date"), "date")
                return answer(self, await queries.coverage(worker, place, day))
            except BadRequest as exc:
                return refuse(self, exc)

    @app.page("/workers/{worker_id}/history")
    class WorkerHistory(View):
        async def get(self, request: Request, worker_id: str) -> Response:
            try:
                worker = _check(_WORKER, worker_id, "invalid_worker_id", "worker_id")
                return answer(self, await queries.history(worker))
            except BadRequest as exc:
                return refuse(self, exc)

    @app.page("/commands")
    class Commands(View):
        async def post(self, request: Request) -> Response:
            raw = await request.read()
            try:
                env = codec.decode(raw)
                if not isinstance(env.payload, REGISTRATION_COMMANDS):
                    raise BadRequest("unsupported_command", f"{env.type} is not a "
                                     "registration command")
                if env.key != env.payload.worker_id:
                    raise BadRequest("key_mismatch", f"key {env.key!r} is not the worker id")
            except (codec.WireError, BadRequest) as exc:
                code = exc.code
                reason = exc.detail if isinstance(exc, codec.WireError) else exc.reason
                await rejector.reject(_http_record(raw), code, reason, stage="http")
                return refuse(self, BadRequest(code, reason))
            name = topics.REGISTRATION_COMMANDS.name(settings.topic_prefix)
            await send(name, env.key.encode(), codec.encode(env))
            return answer(self, CommandAccepted(event_id=env.event_id, type=env.type,
                                                topic=name), 202)

    @app.page("/openapi.json")
    class OpenAPI(View):
        async def get(self, request: Request) -> Response:
            return self.json(openapi.document())


def _http_record(raw: bytes) -> RawRecord:
    """HTTP input has no log position: a stable pseudo-offset from the body's hash, so the
    same refused body dead-letters under the same id."""
    offset = int.from_bytes(hashlib.sha256(raw).digest()[:7], "big")
    return RawRecord("http:POST /commands", 0, offset, None, raw)
