"""HTTP query API (faust web): answers from the PostgreSQL read model, never from other
services. Errors are 4xx with `{"reason_code", "reason"}`; parameters and bodies are read
with the bounded helpers of `contracts.runtime.http` ("Input limits" in
docs/operations.md). Every refused command body is dead-lettered with its bytes."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import faust
import orjson
from faust.web import Request, Response, View
from pydantic import TypeAdapter, ValidationError

from contracts import wire as codec
from contracts.actor import Actor
from contracts.read_authority import Resource, region_patterns
from contracts.registration import CoverageWindow, not_covered
from contracts.runtime.http import (
    BadRequest,
    day,
    error,
    install_error_bodies,
    integer,
    query,
    refusing,
    required_day,
    required_text,
    text,
)
from contracts.runtime.pool import LazyPool
from contracts.runtime.reads import Readers, allow
from contracts.settings import Settings
from contracts.types import RegionCode, ResidentId, city_of
from services.registration.adapters import openapi
from services.registration.adapters.views import (
    CoverageAnswer,
    HistoryAnswer,
    HistoryEntry,
    RegistrationBody,
    Window,
)
from services.registration.domain.state import status_on

STATUSES = frozenset({"pending", "approved", "rejected", "cancelled"})
_WORKER: TypeAdapter[str] = TypeAdapter(ResidentId)
# every window of the worker, and whether its registration's cancellation ended it
_WINDOWS = (
    "SELECT c.registration_id, c.registration_type, c.insured_region, c.treatment_region,"
    " c.valid_from, c.valid_until, (r.cancelled_on IS NOT NULL AND c.valid_until ="
    " r.cancelled_on - 1 AND c.valid_until < r.valid_until) AS cancelled"
    " FROM coverage_windows c JOIN registrations r USING (worker_id, registration_id)"
    " WHERE c.worker_id = $1 ORDER BY c.registration_id, c.seq")
_REGION: TypeAdapter[str] = TypeAdapter(RegionCode)


def _check(adapter: TypeAdapter[str], value: str | None, code: str, name: str) -> str:
    checked = required_text(value, name)
    try:
        return adapter.validate_python(checked)
    except ValidationError as exc:
        raise BadRequest(code, codec.describe(exc, f"{name}: ")) from None


def _body(row: asyncpg.Record, windows: list[asyncpg.Record], as_of: date | None
          ) -> RegistrationBody:
    body = RegistrationBody(**dict(row), windows=[Window(**dict(w)) for w in windows])
    if as_of is not None:  # SD-REG-4: expiry derived from valid_until, no clock involved
        body.status_as_of = status_on(row["status"], row["valid_until"], as_of)
    return body


class Queries:
    """asyncpg reads through the service's pool (search_path = registration)."""

    def __init__(self, pool: LazyPool) -> None:
        self._pool = pool

    async def pool(self) -> asyncpg.Pool:
        return await self._pool.get()

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

    async def listed(self, status: str | None, patterns: list[str], limit: int
                     ) -> list[RegistrationBody]:
        """The registrations of the reader's regions (insured or treatment place), oldest
        first: the review queue is `status=pending` (issue 20)."""
        pool = await self.pool()
        rows = await pool.fetch(
            "SELECT * FROM registrations WHERE ($1::text IS NULL OR status = $1) AND"
            " (insured_region LIKE ANY($2) OR treatment_region LIKE ANY($2))"
            " ORDER BY registered_on, registration_id LIMIT $3", status, patterns, limit)
        return [_body(row, [], None) for row in rows]

    async def coverage(self, worker: str, place: str, day: date) -> CoverageAnswer:
        pool = await self.pool()
        rows = await pool.fetch(_WINDOWS, worker)
        windows = [CoverageWindow(**dict(row)) for row in rows]
        for row, window in zip(rows, windows, strict=True):
            if window.covers(place, day):
                return CoverageAnswer(worker_id=worker, place=place, date=day, covered=True,
                                      registration_id=window.registration_id,
                                      window=Window(**dict(row)))
        home = await pool.fetchval(
            "SELECT count(*) FROM registrations WHERE worker_id = $1 AND"
            " left(insured_region, 4) = $2", worker, city_of(place)[:4])
        # SD-REG-8 first; then the precise reason the windows show (issue 18 item 6.3)
        reason = "treated_at_insured_place" if home else not_covered(windows, place, day).value
        return CoverageAnswer(worker_id=worker, place=place, date=day, covered=False,
                              reason=reason)

    async def insured_regions(self, worker: str) -> list[str]:
        rows = await (await self.pool()).fetch(
            "SELECT DISTINCT insured_region FROM registrations WHERE worker_id = $1", worker)
        return [r["insured_region"] for r in rows]

    async def history(self, worker: str, who: Actor) -> HistoryAnswer:
        regs = await self.registrations("worker_id", worker)
        if not regs:
            raise BadRequest("unknown_worker", f"no registration events for {worker}", 404)
        allow(who, Resource.WORKER_HISTORY, _places(regs))
        rows = await (await self.pool()).fetch(
            "SELECT seq, event_id, event_type, registration_id, occurred_at, payload::text"
            " AS payload FROM registration_history WHERE worker_id = $1 ORDER BY seq", worker)
        events = [HistoryEntry(**{**dict(r), "payload": orjson.loads(r["payload"])})
                  for r in rows]
        return HistoryAnswer(worker_id=worker, registrations=regs, events=events)


def _places(regs: list[RegistrationBody]) -> set[str]:
    """A registration concerns its insured place and its place of treatment."""
    return {r.insured_region for r in regs} | {r.treatment_region for r in regs}


def wire(app: faust.App, settings: Settings, pool: LazyPool,
         readers: Readers) -> None:
    install_error_bodies(app)
    queries = Queries(pool)

    def answer(web: Any, body: Any, status: int = 200) -> Response:
        return web.json(body.model_dump(mode="json") if hasattr(body, "model_dump") else body,
                        status=status)

    def refuse(web: View, exc: BadRequest) -> Response:
        return error(web, exc.status, exc.code, exc.reason)

    @app.page("/registrations/{registration_id}")
    class RegistrationStatus(View):
        @refusing
        async def get(self, request: Request, registration_id: str) -> Response:
            who = readers.reader(request, Resource.REGISTRATION)
            reg_id = required_text(registration_id, "registration_id")
            as_of = day(query(request).get("as_of"), "as_of", required=False)
            regs = await queries.registrations("registration_id", reg_id, as_of)
            if not regs:
                raise BadRequest("unknown_registration", f"no registration {reg_id}", 404)
            if len(regs) > 1:
                raise BadRequest("ambiguous_registration_id",
                                 f"{reg_id} is used by several workers", 409)
            allow(who, Resource.REGISTRATION, _places(regs))
            return answer(self, regs[0])

    @app.page("/registrations")
    class Registrations(View):
        @refusing
        async def get(self, request: Request) -> Response:
            who = readers.reader(request, Resource.REGISTRATION)
            q = query(request)
            status = text(q.get("status"), "status", required=False, choices=STATUSES)
            limit = integer(q.get("limit"), "limit") or 200
            if not 1 <= limit <= 500:
                raise BadRequest("invalid_limit", f"limit must be 1…500, not {limit}")
            regs = await queries.listed(status, region_patterns(who), limit)
            return self.json({"registrations": [r.model_dump(mode="json") for r in regs]})

    @app.page("/workers/{worker_id}/coverage")
    class WorkerCoverage(View):
        @refusing
        async def get(self, request: Request, worker_id: str) -> Response:
            who = readers.reader(request, Resource.COVERAGE)
            q = query(request)
            worker = _check(_WORKER, worker_id, "invalid_worker_id", "worker_id")
            place = _check(_REGION, q.get("place"), "invalid_region_code", "place")
            # the staff of the place of treatment, or of the worker's insured place
            allow(who, Resource.COVERAGE, {place, *await queries.insured_regions(worker)})
            return answer(self, await queries.coverage(worker, place,
                                                       required_day(q.get("date"), "date")))

    @app.page("/workers/{worker_id}/history")
    class WorkerHistory(View):
        @refusing
        async def get(self, request: Request, worker_id: str) -> Response:
            who = readers.reader(request, Resource.WORKER_HISTORY)
            worker = _check(_WORKER, worker_id, "invalid_worker_id", "worker_id")
            return answer(self, await queries.history(worker, who))

    @app.page("/openapi.json")
    class OpenAPI(View):
        async def get(self, request: Request) -> Response:
            return self.json(openapi.document())


