"""HTTP: catalog queries (national 1301…) and code-mapping upload/revoke (3301/3302).

Encounter already holds every catalog and the institutions' credentials (its
`ReferenceBook`), so it answers an institution "what is item X worth on day D here" and
takes its code mappings; no other service is asked. Reads go through the read door
(`Resource.CATALOG`: a hospital reads as itself; staff name `institution_id`). Writes take a
hospital credential only, and speak for that institution alone: the mapping is published
on `reference-data` as `CodeMappingPublished` (the record `wic reference load` publishes
from a file), with a deterministic event id, and the answer waits until this service's own
reference feed has read it back, so a charge line sent after the answer is mapped. Refused
writes answer 4xx with a reason code and go to `encounter-deadletters`, like a refused
hospital message.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from typing import Any, TypeVar

import faust
import orjson
from aiokafka.errors import KafkaError
from faust.web import Request, Response, View
from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts import envelope, topics, wire
from contracts.actor import Actor
from contracts.business_time import CHINA
from contracts.decision import Rejected
from contracts.read_authority import Resource
from contracts.reference import CatalogKind, CodeMappingPublished, dataset_key, reference_event_id
from contracts.runtime import faust_app
from contracts.runtime.http import (
    BadRequest,
    BodyTooLarge,
    error,
    integer,
    json_object,
    param,
    query,
    read_body,
    refusal,
    refuse_body,
    refusing,
    required_day,
    required_text,
    responses,
    schemas,
    text,
)
from contracts.runtime.reads import Readers, allow
from contracts.runtime.rejection import Rejector
from contracts.settings import Settings
from contracts.types import RegionCode
from services.encounter.domain import catalog_lookup, code_mapping
from services.encounter.domain.catalog_lookup import CatalogEntry, CatalogPage
from services.encounter.domain.code_mapping import MapLocalCode, RevokeCodeMapping
from services.encounter.domain.reference_book import ReferenceBook

PUBLISH_TIMEOUT = 5.0  # s: the reference feed reads its own record back well within this
SOURCE = topics.Writer.ENCOUNTER.value
KINDS = frozenset(k.value for k in CatalogKind)
M = TypeVar("M", bound=BaseModel)
_REGION: TypeAdapter[str] = TypeAdapter(RegionCode)


def _ok(view: View, body: Any, status: int = 200) -> Response:
    return view.bytes(orjson.dumps(body, default=str), content_type="application/json",
                      status=status)


def _refused(exc: Rejected) -> BadRequest:
    status = {"wrong_institution": 403, "unknown_catalog_code": 404,
              "unknown_institution": 404}.get(exc.code, 422 if exc.code != "ambiguous_code"
                                              else 400)
    return BadRequest(exc.code, exc.reason, status)


def _region(value: str | None) -> str | None:
    """An `insured_region` parameter: a GB/T 2260 code (`invalid_region`)."""
    if value is None or value == "":
        return None
    try:
        return str(_REGION.validate_python(value))
    except ValidationError:
        raise BadRequest("invalid_region", f"insured_region {value[:40]!r} is not a region "
                         "code") from None


def _parse(model: type[M], raw: bytes) -> M:
    data = json_object(raw, "malformed_body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest("invalid_payload", wire.describe(exc)) from None


def register(app: faust.App, settings: Settings, book: ReferenceBook, ready: asyncio.Event,
             readers: Readers) -> None:
    reference_topic = topics.REFERENCE_DATA.name(settings.topic_prefix)
    rejector = Rejector(topics.Writer.ENCOUNTER, None, settings.topic_prefix,
                        faust_app.sender(app))

    def institution_of(who: Actor, request: Request) -> str:
        """Whose catalog: a hospital's own; staff name one (`institution_id`)."""
        named = text(query(request).get("institution_id"), "institution_id", required=False)
        if who.institution is not None:
            allow(who, Resource.CATALOG, None, named)  # forbidden_institution if another's
            return who.institution
        if named is None:
            raise BadRequest("missing_parameter", "institution_id is required with a staff "
                             "token (a hospital's credential names its own)")
        day = required_day(query(request).get("date"), "date")
        inst = book.institution(named, day)
        if inst is None:
            raise BadRequest("unknown_institution", f"{named} is not in the institution "
                             f"directory on {day}", 404)
        allow(who, Resource.CATALOG, (inst.region,))
        return named

    def asker(request: Request) -> catalog_lookup.Asker:
        who = readers.reader(request, Resource.CATALOG)
        institution = institution_of(who, request)
        q = query(request)
        day = required_day(q.get("date"), "date")  # business date asked: never "today"
        try:
            return catalog_lookup.asker(book, institution, day, _region(q.get("insured_region")))
        except Rejected as exc:
            raise _refused(exc) from None

    def kind_of(request: Request) -> CatalogKind | None:
        kind = text(query(request).get("kind"), "kind", required=False, choices=KINDS)
        return None if kind is None else CatalogKind(kind)

    @app.page("/catalog/items")
    class CatalogItems(View):
        @refusing
        async def get(self, request: Request) -> Response:
            who = asker(request)
            q = query(request)
            page = integer(q.get("page"), "page", lo=1, hi=1_000_000) or 1
            size = integer(q.get("page_size"), "page_size", lo=1,
                           hi=catalog_lookup.MAX_PAGE_SIZE) or 50
            found = catalog_lookup.search(
                book, who, kind=kind_of(request),
                prefix=text(q.get("prefix"), "prefix", required=False),
                text=text(q.get("q"), "q", required=False), page=page, page_size=size)
            return _ok(self, found.model_dump(mode="json"))

    @app.page("/catalog/items/{code}")
    class CatalogItem(View):
        @refusing
        async def get(self, request: Request, code: str) -> Response:
            who = asker(request)
            code = required_text(code, "code")
            try:
                found = catalog_lookup.look_up(book, who, code, kind_of(request))
            except Rejected as exc:
                raise _refused(exc) from None
            return _ok(self, found.model_dump(mode="json"))

    def enveloped(mapping: CodeMappingPublished, hospital: Actor
                  ) -> envelope.Envelope[CodeMappingPublished]:
        """The mapping as it goes on the log; an effective date the envelope finds
        implausible (over five years ahead) is the sender's error (400), not ours."""
        try:
            return envelope.new(mapping, key=dataset_key(mapping), source=SOURCE,
                                occurred_at=datetime.combine(mapping.effective_from, time(0),
                                                             CHINA),
                                event_id=reference_event_id(mapping),
                                recorded_at=datetime.now(UTC), actor=hospital)
        except ValidationError as exc:
            raise BadRequest("implausible_date", f"effective_from {mapping.effective_from} is "
                             f"too far ahead: {wire.describe(exc)}") from None

    async def publish(view: View, env: envelope.Envelope[CodeMappingPublished]) -> Response:
        mapping = env.payload
        body = {"event_id": env.event_id, "mapping": mapping.model_dump(mode="json")}
        if env.event_id in book:  # the same upload again: on the log already
            return _ok(view, {**body, "status": "already_on_the_log"})
        try:
            await (await app.send(reference_topic, key=env.key.encode(),
                                  value=wire.encode(env)))
        except KafkaError as exc:  # not the institution's fault: retry later
            return error(view, 503, "broker_unavailable", f"not published: {exc!r}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PUBLISH_TIMEOUT
        while env.event_id not in book and loop.time() < deadline:
            await asyncio.sleep(0.02)
        if env.event_id not in book:
            return _ok(view, {**body, "status": "pending"}, status=202)
        return _ok(view, {**body, "status": "published"}, status=201)

    def door(route: str, model: type[M], decide: Any) -> type[View]:
        class MappingDoor(View):
            async def post(self, request: Request) -> Response:
                try:  # right after a restart, give the reference feed a moment
                    await asyncio.wait_for(ready.wait(), PUBLISH_TIMEOUT)
                except TimeoutError:
                    return error(self, 503, "not_ready", "reference data still loading; retry")
                hospital = readers.hospital(request.headers.get("Authorization"))
                if hospital is None or hospital.institution is None:
                    return error(self, 401, "unauthenticated", "a hospital's institution "
                                 "credential is required: an institution maps its own codes")
                try:
                    raw = await read_body(request)
                except BodyTooLarge as exc:
                    return await refuse_body(self, rejector, route, exc.head, exc, hospital)
                try:
                    req = _parse(model, raw)
                    env = enveloped(decide(hospital.institution, req, book), hospital)
                except BadRequest as exc:
                    return await refuse_body(self, rejector, route, raw, exc, hospital)
                except Rejected as exc:
                    return await refuse_body(self, rejector, route, raw, _refused(exc),
                                             hospital)
                return await publish(self, env)
        return MappingDoor

    app.page("/catalog/mappings")(door("POST /catalog/mappings", MapLocalCode,
                                       code_mapping.upload))
    app.page("/catalog/mappings/revoke")(door("POST /catalog/mappings/revoke",
                                              RevokeCodeMapping, code_mapping.revoke))

    @app.page("/catalog/mappings/in-force")
    class MappingsInForce(View):
        @refusing
        async def get(self, request: Request) -> Response:
            who = readers.reader(request, Resource.CATALOG)
            institution = institution_of(who, request)
            day = required_day(query(request).get("date"), "date")
            found = book.mappings(institution, day)
            return _ok(self, {"institution_id": institution, "date": day,
                              "mappings": [m.model_dump(mode="json") for m in found]})


def openapi_schemas() -> dict[str, Any]:
    return schemas(CatalogEntry, CatalogPage, MapLocalCode, RevokeCodeMapping,
                   CodeMappingPublished)


def openapi_paths() -> dict[str, Any]:
    day = param("date", "query", "the business date asked (YYYY-MM-DD)", fmt="date")
    opt = [param(n, "query", d, required=False) for n, d in (
        ("kind", "medical_item | drug | service_standard | rehab_item | device"),
        ("insured_region", "the insured place for rehab items and devices (SD-ENC-6); "
                           "default: the institution's province"),
        ("institution_id", "staff only: whose catalog"))]
    written = {"201": {"description": "published: {event_id, mapping, status}"},
               "200": {"description": "already_on_the_log: the same mapping was sent before"},
               "202": {"description": "published, not yet read back"},
               "400": refusal("malformed or invalid body"),
               "401": refusal("no hospital credential"),
               "403": refusal("wrong_institution"),
               "404": refusal("unknown_catalog_code / unknown_institution"),
               "413": refusal("body_too_large"),
               "422": refusal("local_code_is_catalog_code, invalid_validity, no_mapping")}
    def body(model: type[BaseModel]) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{model.__name__}"}}}}

    return {
        "/catalog/items": {"get": {
            "summary": "1301: the catalogs in force on a date for this institution, paged",
            "parameters": [day, *opt, *[param(n, "query", d, required=False) for n, d in (
                ("prefix", "code prefix"), ("q", "text in the name"),
                ("page", "from 1"), ("page_size", f"1..{catalog_lookup.MAX_PAGE_SIZE}"))]],
            "responses": responses(CatalogPage, 400, 404),
        }},
        "/catalog/items/{code}": {"get": {
            "summary": "1301: what item code X (or the institution's mapped code) is worth "
                       "on a date",
            "parameters": [param("code", "path"), day, *opt],
            "responses": responses(CatalogEntry, 400, (404, "unknown_catalog_code")),
        }},
        "/catalog/mappings/in-force": {"get": {
            "summary": "The institution's code mappings that apply on a date (3301/3302)",
            "parameters": [day, opt[2]],
            "responses": {"200": {"description": "{institution_id, date, mappings}"},
                          "400": refusal("bad parameter")},
        }},
        "/catalog/mappings": {"post": {
            "summary": "3301: map a local code to a catalog code from a date",
            "security": [{"bearer": []}],
            "requestBody": body(MapLocalCode),
            "responses": written,
        }},
        "/catalog/mappings/revoke": {"post": {
            "summary": "3302: revoke a local code's mapping from a date",
            "security": [{"bearer": []}],
            "requestBody": body(RevokeCodeMapping),
            "responses": written,
        }},
    }
