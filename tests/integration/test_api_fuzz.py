"""The four services' HTTP APIs under bad input (issue 14, finding 5 and "What to build" 4).

One stack for the module: the four services as processes, the sample reference data
loaded. First a regression test per defect found on the landed main (each answered 5xx,
200 or accepted absurd input before), then a fuzzer driven by each service's own OpenAPI
document (`GET /openapi.json`): hypothesis generates path and query values (NUL and
control characters, undecodable bytes, huge and negative numbers, absurd dates, extra and
repeated parameters) and bodies (malformed JSON, non-UTF-8, wrong types, missing and extra
fields, huge bodies, absurd amounts and dates, unknown types and versions), from the
documented schemas and by mutating valid envelopes. Whatever it sends: never a 5xx, never
a hang (every request has a timeout), and every 4xx is an `ErrorBody` with a specific
`reason_code`. The budget is bounded (`WIC_FUZZ_EXAMPLES` per operation, derandomized so a
failure reproduces).
"""

from __future__ import annotations

import http.client
import os
import re
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import envelope, wire
from contracts.actor import Actor, ActorKind, Channel, Role
from contracts.deadletter import MessageDeadLettered
from contracts.message import Message
from contracts.registration import ApplyForRegistration
from contracts.runtime.http import MAX_BODY_BYTES
from contracts.topics import ENCOUNTER_DEADLETTERS, REGISTRATION_DEADLETTERS
from infra.services import ServiceProcess
from tests.support.actors import EVERY_PROVINCE
from tests.support.identity import read_headers, token_for
from tests.support.kafka import Bus
from tests.support.processes import stack_fixture
from tests.unit.encounter.samples import SAMPLE, admission, charge, discharge, line, worker_id

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("WIC_FUZZ_EXAMPLES", "150"))
TIMEOUT = 15.0  # s per request: the encounter ingress answers within 5 s (REPLY_TIMEOUT)
JN = "H370100001"
TOKEN = f"sample-token-{JN}"
W = worker_id(uuid.uuid4().int % 9000)
MAX_REQUEST_LINE = 8190 - len("GET  HTTP/1.1")  # aiohttp's limit (docs/operations.md)
CODE = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")


stack = stack_fixture(SAMPLE)


def request(svc: ServiceProcess, method: str, target: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request over a fresh connection; `target` is sent as given (already quoted); a
    GET without `headers` reads as an auditor of everything (issue 16 item 6)."""
    if headers is None:
        headers = read_headers() if method == "GET" else {}
    conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=TIMEOUT)
    try:
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def assert_sane(status: int, raw: bytes, what: str) -> dict[str, Any] | None:
    """Never a 5xx; a 4xx is an ErrorBody with a specific code. Returns a 4xx's body."""
    assert status < 500, f"{what} -> {status}: {raw[:500]!r}"
    if status < 400:
        return None
    try:
        got = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise AssertionError(f"{what} -> {status}, not JSON: {raw[:300]!r}") from None
    assert isinstance(got, dict), f"{what} -> {status}: {got!r}"
    assert isinstance(got.get("reason_code"), str) and CODE.match(got["reason_code"]), \
        f"{what} -> {status}: no specific reason_code in {got!r}"
    assert isinstance(got.get("reason"), str) and got["reason"], f"{what}: {got!r}"
    assert got["reason_code"] not in ("internal_error", "error", "unknown"), got
    return got


def refused(status: int, raw: bytes, what: str) -> tuple[int, str]:
    got = assert_sane(status, raw, what)
    assert got is not None, f"{what} was accepted ({status}): {raw[:300]!r}"
    return status, got["reason_code"]


def hospital(cmd: Message, **extra: Any) -> dict[str, Any]:
    return {"type": cmd.message_type, "schema_version": cmd.version,
            "payload": cmd.model_dump(mode="json"), **extra}


def post_hospital(stack: dict[str, ServiceProcess], data: bytes) -> tuple[int, bytes]:
    return request(stack["encounter"], "POST", "/hospital/messages", data,
                   {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})


def staff_headers() -> dict[str, str]:
    """Issue 16: agency commands need a staff token; this one may send every command."""
    everyone = Actor(id="staff:fuzz", kind=ActorKind.STAFF, channel=Channel.HTTP,
                     roles=tuple(Role), regions=EVERY_PROVINCE)
    return {"Content-Type": "application/json",
            "Authorization": f"Bearer {token_for(everyone)}"}


def apply_command(when: datetime | None = None) -> dict[str, Any]:
    when = when or datetime(2024, 5, 1, 9, tzinfo=UTC)
    cmd = ApplyForRegistration.model_validate({
        "registration_id": f"REG-370100-{uuid.uuid4().hex[:6]}", "worker_id": W,
        "social_security_card": "SSC370100001", "insured_for_work_injury": True,
        "confirmation": {"kind": "injury_determination", "reference_no": "GSRD-2024-001",
                         "completed_on": "2024-03-01"},
        "registration_type": "long_term_residence", "insured_region": "370100",
        "treatment_region": "370200"})
    env = envelope.new(cmd, key=W, occurred_at=when, recorded_at=when, source="counter-1")
    return orjson.loads(wire.encode(env))  # type: ignore[no-any-return]


async def letters(bus: Bus, topic: Any, code: str) -> list[MessageDeadLettered]:
    seen = await bus.read(topic, lambda got: any(
        getattr(e.payload, "reason_code", None) == code for e in got))
    return [e.payload for e in seen if isinstance(e.payload, MessageDeadLettered)
            and e.payload.reason_code == code]


# --- Regressions: one per defect found on the landed main ------------------------------

NUL_TARGETS = [  # (service, target): each answered 500 CharacterNotInRepertoireError
    ("registration", "/registrations/REG%00X"),
    ("encounter", "/encounters/E%00X"),
    ("encounter", "/encounters?worker_id=%00"),
    ("encounter", "/encounters?institution_id=H%00"),
    ("encounter", "/encounters?status=open%00"),
    ("settlement", "/encounters/E%00X/settlement"),
    ("settlement", "/claims/C%00X"),
    ("clearing", "/accounts/fund%00370100/balance"),
    ("clearing", "/cycles?month=2024-05%00"),
]


@pytest.mark.parametrize(("service", "target"), NUL_TARGETS)
def test_finding_5_nul_byte_in_path_or_query_is_400_not_500(
        stack: dict[str, ServiceProcess], service: str, target: str) -> None:
    """Issue 14 finding 5: a NUL byte reached PostgreSQL (500); now refused up front."""
    status, code = refused(*request(stack[service], "GET", target), target)
    assert status == 400 and code in ("invalid_text", "invalid_month"), (status, code)


@pytest.mark.parametrize(("query", "code"), [
    ("offset=9223372036854775808", "out_of_range"),  # beyond int64: was 500
    ("offset=-1", "out_of_range"),  # was 200
    ("offset=1e3", "invalid_integer"),
    ("as_of=0001-01-01T00:00:00%2B14:00", "date_out_of_range"),  # was 500 (OverflowError)
    ("as_of=9999-12-31T23:59:59Z", "date_out_of_range"),
    ("as_of=yesterday", "invalid_instant"),
])
def test_finding_5_balance_parameters_are_bounded(
        stack: dict[str, ServiceProcess], query: str, code: str) -> None:
    """Issue 14 finding 5: ?offset= beyond int64 and ?as_of= in year 1 answered 500,
    offset=-1 answered 200."""
    target = f"/accounts/fund:370100/balance?{query}"
    assert refused(*request(stack["clearing"], "GET", target), target) == (400, code)


def test_finding_5_month_garbage_is_400(stack: dict[str, ServiceProcess]) -> None:
    """Issue 14 finding 5: `/cycles?month=garbage` answered 200 (an empty list)."""
    for target, code in (("/cycles?month=garbage", "invalid_month"),
                         ("/cycles?month=2024-13", "invalid_month"),
                         ("/cycles", "missing_parameter")):
        assert refused(*request(stack["clearing"], "GET", target), target) == (400, code)
    assert request(stack["clearing"], "GET", "/cycles?month=2024-05")[0] == 200


def test_finding_5_unknown_account_is_404(stack: dict[str, ServiceProcess]) -> None:
    """Issue 14 finding 5: an account with no ledger entry answered balance 0."""
    target = "/accounts/fund:999999/balance"
    assert refused(*request(stack["clearing"], "GET", target), target) == \
        (404, "unknown_account")


@pytest.mark.parametrize("service", ["registration", "encounter"])
async def test_finding_5_huge_body_is_413_and_dead_lettered(
        stack: dict[str, ServiceProcess], bus: Bus, service: str) -> None:
    """Issue 14 finding 5: a 900 KB `POST /commands` gave 500 MessageSizeTooLargeError and
    no dead letter. Now 413 `body_too_large` before anything is produced; the dead letter
    keeps the first MAX_BODY_BYTES bytes."""
    marker = uuid.uuid4().hex
    data = apply_command() if service == "registration" else hospital(
        admission(W, JN, "BIG1", date(2024, 6, 1)))
    data["padding"] = marker + "x" * 900_000
    raw = orjson.dumps(data)
    if service == "registration":
        got = request(stack[service], "POST", "/commands", raw, staff_headers())
    else:
        got = post_hospital(stack, raw)
    assert refused(*got, f"{service} 900 KB") == (413, "body_too_large")
    topic = REGISTRATION_DEADLETTERS if service == "registration" else ENCOUNTER_DEADLETTERS
    found = [x for x in await letters(bus, topic, "body_too_large")
             if marker.encode() in x.original_value()]
    assert found and found[0].stage == "http"
    assert raw.startswith(found[0].original_value())
    assert len(found[0].original_value()) == MAX_BODY_BYTES


def _far(day: date) -> dict[str, Any]:
    return hospital(admission(W, JN, f"F{day.year}", day))


@pytest.mark.parametrize(("what", "data"), [
    ("admission in 9999", lambda: _far(date(9999, 12, 31))),  # was accepted (reimbursable)
    ("admission in year 1", lambda: _far(date(1, 1, 2))),  # was 422 internal_error
    ("line in 9999", lambda: hospital(charge(W, JN, "F1", line(1, date(9999, 12, 31))))),
    ("discharge in 9999", lambda: hospital(discharge(W, JN, "F1", date(9999, 12, 30)))),
    ("recorded_at in 2150", lambda: hospital(admission(W, JN, "F2150", date(2150, 1, 1)),
                                             recorded_at="2150-01-01T00:00:00Z")),
])
async def test_finding_5_absurd_business_dates_are_refused_and_dead_lettered(
        stack: dict[str, ServiceProcess], bus: Bus, what: str, data: Any) -> None:
    """Issue 14 finding 5: an admission, a line and a discharge in year 9999 were accepted
    (a reimbursable decision dated 9999-12-31); an admission in year 1 answered 422
    `internal_error` (OverflowError). Business times are bounded by the envelope (2000 to a
    day after recorded_at; payload dates to five years after it)."""
    body = data()
    body["event_id"] = str(uuid.uuid4())
    raw = orjson.dumps(body)
    assert refused(*post_hospital(stack, raw), what) == (400, "implausible_date")
    found = await letters(bus, ENCOUNTER_DEADLETTERS, "implausible_date")
    assert any(x.original_value() == raw and x.stage == "http" for x in found), what


async def test_finding_5_encounter_http_400_is_dead_lettered_with_the_bytes(
        stack: dict[str, ServiceProcess], bus: Bus) -> None:
    """Issue 14 finding 5: encounter's HTTP 400s were answered but not dead-lettered."""
    raw = b'{"type": "RecordAdmission", "schema_version": 1, "payload": ' + \
        uuid.uuid4().hex.encode()
    assert refused(*post_hospital(stack, raw), "malformed") == (400, "malformed_json")
    found = await letters(bus, ENCOUNTER_DEADLETTERS, "malformed_json")
    assert any(x.original_value() == raw for x in found)


def test_valid_messages_still_pass(stack: dict[str, ServiceProcess]) -> None:
    """The bounds refuse only the implausible: today's admission and a 2024 registration
    command are accepted (wire bytes unchanged)."""
    today = datetime.now(UTC).date()
    status, raw = post_hospital(stack, orjson.dumps(hospital(admission(W, JN, "OK1", today))))
    assert status == 200, raw
    status, raw = request(stack["registration"], "POST", "/commands",
                          orjson.dumps(apply_command()), staff_headers())
    assert status == 201, raw  # recorded RegistrationApplied


# --- The fuzzer: every operation of every service's OpenAPI document -------------------

NASTY_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(codec="utf-8"), max_size=30).map(lambda s: s + "\x00"),
    st.sampled_from(["", " ", "\x00", "%", "..", "../../etc/passwd", "\u202e", "' OR 1=1 --",
                     "🙂", "\ufeff", "a" * 5000, "null", "-1", "9" * 40, "2024-05",
                     "9999-12-31", "0001-01-01T00:00:00+14:00", "fund:370100",
                     "2024-05:370100|370200\n", W, "370100", JN, "open"]),
)
NASTY_BYTES = st.binary(max_size=20)  # percent-encoded raw: undecodable UTF-8 too
NASTY_INT = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from(
    [0, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**13, 10**13 + 1]))
NASTY_DATE = st.one_of(st.dates().map(str), st.sampled_from(
    ["0001-01-01", "9999-12-31", "2024-02-30", "2024-13-01", "24-05-01", "1999-12-31",
     "2000-01-01", "2199-12-31", "2200-01-01", "２０２４-０５-０１"]))
NASTY_INSTANT = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                     "2024-05-31T23:59:59", "2024-05-31T23:59:59Z", "2024-05-31", "now",
                     "1999-12-31T23:59:59+08:00"]))
JSON_LEAF = st.one_of(st.none(), st.booleans(), NASTY_INT, st.floats(allow_nan=False),
                      NASTY_TEXT, NASTY_DATE, NASTY_INSTANT)
ANY_JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def from_schema(doc: dict[str, Any], schema: dict[str, Any], depth: int = 0
                ) -> st.SearchStrategy[Any]:
    """Values shaped by a JSON Schema, but often wrong: any node may be any JSON, an
    object may lose a required field or gain an unknown one, numbers and dates run wild."""
    schema = resolve(doc, schema)
    wrong = ANY_JSON if depth < 4 else JSON_LEAF
    if "const" in schema:
        right: st.SearchStrategy[Any] = st.just(schema["const"])
    elif "enum" in schema:
        right = st.sampled_from(schema["enum"])
    elif alts := schema.get("oneOf") or schema.get("anyOf"):
        right = st.one_of([from_schema(doc, s, depth + 1) for s in alts])
    elif schema.get("type") == "object" or "properties" in schema:
        right = _object(doc, schema, depth)
    elif schema.get("type") == "array":
        right = st.lists(from_schema(doc, schema.get("items", {}), depth + 1), max_size=3)
    elif schema.get("type") == "integer":
        right = NASTY_INT
    elif schema.get("type") == "number":
        right = st.one_of(NASTY_INT, st.floats(allow_nan=False), st.just("1e400"))
    elif schema.get("type") == "boolean":
        right = st.booleans()
    elif schema.get("format") == "date":
        right = NASTY_DATE
    elif schema.get("format") == "date-time":
        right = NASTY_INSTANT
    elif schema.get("format") == "uuid":
        right = st.uuids().map(str)
    elif schema.get("type") == "string" and "pattern" in schema:
        right = st.one_of(st.from_regex(schema["pattern"], fullmatch=True), NASTY_TEXT)
    elif schema.get("type") == "null":
        right = st.none()
    else:
        right = NASTY_TEXT
    return st.one_of(right, right, right, wrong) if depth else right


def _object(doc: dict[str, Any], schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, sub in props.items():
            if name in required or draw(st.booleans()):
                out[name] = draw(from_schema(doc, sub, depth + 1))
        if out and draw(st.integers(0, 9)) == 0:  # a required field missing
            out.pop(draw(st.sampled_from(sorted(out))))
        if draw(st.integers(0, 9)) == 0:  # an unknown field
            out[draw(st.text(min_size=1, max_size=10))] = draw(JSON_LEAF)
        return out

    return build()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in doc["paths"].items()
            for method, op in item.items() if method in ("get", "post")]


def _value(doc: dict[str, Any], schema: dict[str, Any]) -> st.SearchStrategy[str]:
    right = from_schema(doc, schema).map(lambda v: v if isinstance(v, str) else str(v))
    return st.one_of(right, NASTY_TEXT, NASTY_INT.map(str), NASTY_DATE, NASTY_INSTANT)


def _quote(value: str | bytes) -> str:
    return quote(value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value,
                 safe="")


@st.composite
def targets(draw: st.DrawFn, doc: dict[str, Any], path: str, op: dict[str, Any]) -> str:
    """A request target for `op`: every path parameter and some query parameters nasty,
    sometimes raw bytes, an extra parameter or a parameter given twice."""
    params = op.get("parameters", [])
    out = path
    for p in params:
        if p["in"] == "path":
            raw: str | bytes = draw(st.one_of(_value(doc, p.get("schema", {})), NASTY_BYTES))
            out = out.replace("{" + p["name"] + "}", _quote(raw) or "x")
    pairs: list[tuple[str, str]] = []
    for p in params:
        if p["in"] == "query" and (p.get("required") or draw(st.booleans())):
            value = draw(st.one_of(_value(doc, p.get("schema", {})), NASTY_BYTES))
            pairs.append((p["name"], _quote(value)))
            if draw(st.integers(0, 9)) == 0:
                pairs.append(pairs[-1])
    if draw(st.integers(0, 4)) == 0:
        pairs.append((_quote(draw(NASTY_TEXT)) or "x", _quote(draw(NASTY_TEXT))))
    return out + ("?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else "")


def seeds() -> dict[str, list[dict[str, Any]]]:
    """Valid bodies per POST path, for mutation (deep paths: domain, producer, replies)."""
    day = datetime.now(UTC).date()
    no = f"Z{uuid.uuid4().hex[:6]}"
    return {"/commands": [apply_command()],
            "/hospital/messages": [hospital(admission(W, JN, no, day)),
                                   hospital(charge(W, JN, no, line(1, day))),
                                   hospital(discharge(W, JN, no, day))],
            # the code-mapping doors (3301/3302, issue 18 item 5): plain bodies, no envelope
            "/catalog/mappings": [{"catalog_kind": "medical_item", "local_code": f"L-{no}",
                                   "catalog_code": "MI-004", "effective_from": "2024-06-01"}],
            "/catalog/mappings/revoke": [{"catalog_kind": "medical_item",
                                          "local_code": "JN1-CT01",
                                          "effective_from": "2024-06-01"}],
            # institution reconciliation (3201, issue 18 item 1)
            "/reconciliation": [{"request_id": f"fz-{no}",
                                 "scope": {"cycle_id": "2024-05:370100|370200"},
                                 "totals": {"settlement_count": 0, "medical_fen": 0,
                                            "fund_fen": 0}}]}


def _paths(value: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [where]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*where, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*where, i))
    return out


def _replace(value: Any, where: tuple[Any, ...], new: Any) -> Any:
    if not where:
        return new
    head, rest = where[0], where[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


@st.composite
def bodies(draw: st.DrawFn, doc: dict[str, Any], path: str, op: dict[str, Any]) -> bytes:
    """A request body: from the schema, a valid seed with one node replaced or dropped (a
    fresh event id, so it is not a resend), or bytes that are not JSON at all."""
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    kind = draw(st.sampled_from(["schema", "mutant", "mutant", "mutant", "bytes", "huge"]))
    if kind == "bytes":
        return draw(st.one_of(st.binary(max_size=200), st.sampled_from([
            b"", b"{", b"null", b"[]", b'"x"', b"\xff\xfe{}", b'{"type": "\x00"}',
            b'{"a": 1e999}', b'{"payload": ' * 2000])))
    if kind == "huge":
        return b'{"x": "' + b"y" * draw(st.integers(MAX_BODY_BYTES - 100, MAX_BODY_BYTES + 100)
                                        ) + b'"}'
    if kind == "schema":
        data = draw(from_schema(doc, schema))
    else:
        data = draw(st.sampled_from(seeds()[path]))
        if "type" in data:  # an envelope (the catalog doors take plain bodies)
            data["event_id"] = str(uuid.uuid4())
        where = draw(st.sampled_from(_paths(data)[1:]))
        if draw(st.integers(0, 5)) == 0:  # a field dropped (seeds are fresh copies)
            node = data
            for k in where[:-1]:
                node = node[k]
            if isinstance(node, dict):
                node.pop(where[-1])
        else:  # half the time a value of the same JSON type: deep into the domain
            node = data
            for k in where:
                node = node[k]
            same = (NASTY_INT if isinstance(node, int) and not isinstance(node, bool) else
                    st.one_of(NASTY_TEXT, NASTY_DATE, NASTY_INSTANT) if isinstance(node, str)
                    else ANY_JSON)
            data = _replace(data, where, draw(st.one_of(same, ANY_JSON)))
    try:
        return orjson.dumps(data)
    except TypeError:  # an integer beyond 64 bits: orjson refuses, the text does not
        import json
        return json.dumps(data).encode()


def _fuzz_operation(svc: ServiceProcess, doc: dict[str, Any], path: str, method: str,
                    op: dict[str, Any], headers: dict[str, str]) -> Counter[str]:
    seen: Counter[str] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(target=targets(doc, path, op),
           body=bodies(doc, path, op) if "requestBody" in op else st.none())
    def case(target: str, body: bytes | None) -> None:
        if body is not None:  # a body is sent to the documented path as is
            target = path
        got = request(svc, method, target, body, headers)
        if len(target) > MAX_REQUEST_LINE:  # aiohttp's parser: 400, plain text, no view
            assert got[0] == 400, got
            seen["400 request line too long"] += 1
            return
        error = assert_sane(*got, f"{svc.service} {method} {target} {(body or b'')[:200]!r}")
        seen[f"{got[0]} {error['reason_code']}" if error else str(got[0])] += 1

    case()
    return seen


def _fuzz(stack: dict[str, ServiceProcess], service: str) -> dict[str, Counter[str]]:
    svc = stack[service]
    status, raw = request(svc, "GET", "/openapi.json")
    assert status == 200, raw
    doc = orjson.loads(raw)
    out: dict[str, Counter[str]] = {}
    for path, method, op in operations(doc):
        if path in ("/health", "/openapi.json"):
            continue
        headers = {"Content-Type": "application/json"}
        if path == "/commands":  # agency commands: a member of staff with every role
            headers = staff_headers()
        elif method == "post" and op.get("security"):  # the hospital ingress
            headers["Authorization"] = f"Bearer {TOKEN}"
        elif op.get("security"):  # a query: a reader of everything
            headers.update(read_headers())
        out[f"{method.upper()} {path}"] = _fuzz_operation(svc, doc, path, method.upper(), op,
                                                          headers)
    return out


@pytest.mark.parametrize("service", ["registration", "encounter", "settlement", "clearing",
                                     "benefits"])
def test_fuzz_openapi_operations_never_5xx(stack: dict[str, ServiceProcess],
                                           service: str) -> None:
    """Issue 14 "What to build" 4: generated malformed requests on every documented
    operation: never a 5xx, never a hang, every 4xx an ErrorBody with a specific code."""
    seen = _fuzz(stack, service)
    print(f"\n{service}:", {op: dict(c.most_common(8)) for op, c in seen.items()})
    assert seen and all(sum(c.values()) >= min(EXAMPLES, 10) for c in seen.values()), seen
    for op, counts in seen.items():  # the inputs were refused for what they are, not routing
        assert any(not k.endswith("no_such_route") for k in counts), (op, counts)


@pytest.mark.parametrize("service", ["registration", "encounter", "settlement", "clearing",
                                     "benefits"])
def test_every_documented_read_needs_a_token(stack: dict[str, ServiceProcess],
                                             service: str) -> None:
    """Issue 16 item 6: every query but the open ones (health, metrics, the API document)
    answers 401 without a token and with a forged one — a view that forgot to ask who
    reads would show here, since the documents list every route."""
    svc = stack[service]
    doc = orjson.loads(request(svc, "GET", "/openapi.json")[1])
    reads = [path for path, method, op in operations(doc) if method == "get"
             and op.get("security")]
    assert "/audit" in reads and len(reads) >= 2, reads
    for path in reads:
        target = re.sub(r"\{[^}]+\}", "x", path) + ("?month=2024-05" if path == "/cycles"
                                                     else "")
        for headers in ({}, {"Authorization": "Bearer forged.jwt.token"}):
            status, code = refused(*request(svc, "GET", target, headers=headers), target)
            assert status == 401 and code in ("unauthenticated", "token_malformed"), \
                (path, headers, code)
