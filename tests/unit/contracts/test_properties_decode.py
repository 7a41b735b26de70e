"""Fuzzing every decoding entry point (issue 14, "What to build" item 4; finding 6: malformed
records must be refused with a specific reason, so they can be dead-lettered).

`wire.decode` on anything — random bytes, non-UTF-8, truncated or mutated valid messages,
JSON of the wrong shape, unknown types and versions, huge numbers, NaN/Infinity, deep
nesting, NUL bytes — returns an envelope or raises `wire.WireError` with a specific code,
never any other exception. Likewise `wire.decode_obj`, `wire.peek_type`, the coverage
snapshot reading of encounter, the gateway's signature check, dead letters and reference
data. Pure: no Kafka, no database.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from contracts import gateway, reference, wire
from contracts.deadletter import MessageDeadLettered
from contracts.message import Message, registered
from tests.unit.contracts import property_strategies as ps
from tests.unit.contracts.test_properties import EXAMPLES, FUZZ

FUZZ_BYTES = settings(FUZZ, max_examples=EXAMPLES * 15)  # cheap examples: many of them
FUZZ_MSGS = settings(FUZZ, max_examples=EXAMPLES * 6)
CODE = re.compile(r"^[a-z][a-z_]*[a-z]$")
MODELS = [model for _, model in sorted(registered().items())]
TYPES = sorted({t for t, _ in registered()})


def decoded_or_refused(raw: bytes | None) -> Message | None:
    """The property itself: an envelope, or a WireError with a specific code and detail;
    an accepted message re-encodes canonically (decoding its encoding gives its encoding)."""
    try:
        env = wire.decode(raw)
    except wire.WireError as exc:
        assert CODE.match(exc.code), exc.code
        assert exc.detail.strip(), exc
        return None
    again = wire.encode(env)
    assert wire.encode(wire.decode(again)) == again
    return env.payload


JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.floats(allow_nan=False),
    st.text(max_size=20), st.sampled_from(["", "\x00", "1", "2024-05-01", "NaN", "Infinity"]),
)
JSON = st.recursive(JSON_LEAVES, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=10), kids, max_size=4)),
    max_leaves=15)
VERSIONS = st.one_of(st.integers(-3, 4), st.sampled_from([0, 2**31, 2**63 - 1, 2**64 - 1]),
                     st.booleans(), st.floats(allow_nan=False), st.text(max_size=3), st.none())


@FUZZ_BYTES
@given(raw=st.one_of(st.binary(max_size=200), st.none(),
                     st.text(max_size=100).map(str.encode)))
def test_random_bytes_are_refused_with_a_code(raw: bytes | None) -> None:
    """Issue 14 item 4, finding 6: raw garbage (random and non-UTF-8 bytes, NUL bytes, no
    body at all) gets a WireError with a specific code — it is dead-lettered, never a crash.
    `peek_type` never raises either (its caller sends what it cannot read to `decode`)."""
    assert decoded_or_refused(raw) is None or raw
    peeked = wire.peek_type(raw)
    assert peeked is None or isinstance(peeked, str)


@FUZZ_BYTES
@given(doc=JSON, mtype=st.one_of(st.sampled_from(TYPES), st.text(max_size=12)),
       version=VERSIONS, shape=st.integers(0, 3))
def test_json_of_any_shape_is_decoded_or_refused(doc: Any, mtype: str, version: Any,
                                                 shape: int) -> None:
    """Issue 14 item 4: valid JSON of the wrong shape (arrays, scalars, objects with wrong
    or missing fields), known and unknown types, versions of every JSON type (0, negative,
    2^64-1, bool, float, string) with any payload: a value or a specific WireError."""
    if shape == 0:
        obj: Any = doc
    elif shape == 1:
        obj = {"type": mtype, "schema_version": version, "payload": doc}
    else:
        obj = {"type": mtype, "schema_version": version, "payload": doc,
               "event_id": "00000000-0000-0000-0000-000000000001", "key": "k", "source": "s",
               "occurred_at": "2024-05-01T00:00:00Z", "recorded_at": "2024-05-01T00:00:00Z"}
        if shape == 3 and isinstance(doc, dict):
            obj.update(doc)
    raw = orjson.dumps(obj)
    decoded_or_refused(raw)
    if isinstance(obj, dict):
        try:
            wire.decode_obj(obj)
        except wire.WireError as exc:
            assert CODE.match(exc.code)


@settings(FUZZ, max_examples=3)
@given(env=ps.envelopes(ps.payloads(MessageDeadLettered)))
def test_schema_version_must_be_a_json_integer(env: Any) -> None:
    """Regression (found by the fuzzing of issue 14 item 4): `"schema_version": true` was
    read as version 1 (a bool is a Python int), so the record re-encoded to other bytes
    (`1`); like `1.0` or `"1"` it is now refused `malformed_envelope`."""
    for bad in (True, False, 1.0, "1", None, [1]):
        obj = orjson.loads(wire.encode(env))
        obj["schema_version"] = bad
        with pytest.raises(wire.WireError) as err:
            wire.decode(orjson.dumps(obj))
        assert err.value.code == "malformed_envelope", bad


@pytest.mark.parametrize("raw", [
    b"NaN", b"Infinity", b"-Infinity", b'{"type": NaN}', b"1e400", b"-1e400",
    b"123456789012345678901234567890", b'{"schema_version": 1e400}',
    b'{"type": "RecordAdmission", "schema_version": 123456789012345678901234567890}',
    b'{"type": "RecordAdmission", "schema_version": 1, "payload": {"line_no": 1e308}}',
    b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b"\x00", b'{"type": "\x00"}', b'{"type": "\\u0000", "schema_version": 1}',
    b"\xff\xfe{}", b"\xef\xbb\xbf{}", b'{"type": "\xc0\xaf"}', b'"\\ud800"',
    b"   ", b"null", b"true", b"0", b'""', b"{}", b"[]", b'{"type": null}',
    b'{"type": "WorkerCoverage", "schema_version": 1, "payload": null}',
    b'{"type": "WorkerCoverage", "schema_version": 1, "payload": []}',
    b'{"type": "WorkerCoverage", "schema_version": 2, "payload": {}}',
    b'{"type": "__class__", "schema_version": 1}', b'{"type": "Message", "schema_version": 1}',
    b'{"type": "Event", "schema_version": 1}', b'{"type": "_Balanced", "schema_version": 1}',
], ids=lambda r: repr(r[:40]))
def test_hostile_json_texts(raw: bytes) -> None:
    """Issue 14 item 4: NaN/Infinity, numbers beyond 64 bits, deep nesting, NUL bytes, byte
    order marks, overlong UTF-8, lone surrogates, base classes named as types: WireError."""
    assert decoded_or_refused(raw) is None
    wire.peek_type(raw)


@FUZZ_MSGS
@given(model=st.sampled_from(MODELS), data=st.data())
def test_truncated_messages_are_malformed_json(model: type[Message], data: st.DataObject
                                               ) -> None:
    """Issue 14 item 4: a valid message cut anywhere (a short read, a torn write) is refused
    `malformed_json` (or `empty`), never half-applied."""
    raw = wire.encode(data.draw(ps.envelopes(ps.payloads(model))))
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(wire.WireError) as err:
        wire.decode(raw[:cut])
    assert err.value.code in {"empty", "malformed_json"}


def _paths(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position in a JSON document (keys of objects, indexes of arrays)."""
    out: list[tuple[Any, ...]] = []
    items = obj.items() if isinstance(obj, dict) else (
        enumerate(obj) if isinstance(obj, list) else ())
    for k, v in items:
        out.append((*path, k))
        out.extend(_paths(v, (*path, k)))
    return out


def _at(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        obj = obj[step]
    return obj


@FUZZ_MSGS
@given(model=st.sampled_from(MODELS), data=st.data(), how=st.sampled_from(
    ["drop", "add", "retype", "retype", "type", "version", "swap_payload"]))
def test_mutated_messages_are_decoded_or_refused(model: type[Message], data: st.DataObject,
                                                 how: str) -> None:
    """Issue 14 item 4: a valid message with a field dropped, a field added (anywhere), a
    value of another JSON type, another or an unknown type, another version, or another
    message's payload: a value (re-encoded canonically) or a specific WireError. Every
    model forbids extra fields, so an added field is always refused."""
    obj = orjson.loads(wire.encode(data.draw(ps.envelopes(ps.payloads(model)))))
    paths = _paths(obj)
    if how == "drop":
        path = data.draw(st.sampled_from([p for p in paths if isinstance(p[-1], str)]))
        del _at(obj, path[:-1])[path[-1]]
    elif how == "add":
        dicts = [()] + [p for p in paths if isinstance(_at(obj, p), dict)]
        where = _at(obj, data.draw(st.sampled_from(dicts)))
        name = data.draw(st.text(min_size=1, max_size=10))
        assume(name not in where)
        where[name] = data.draw(JSON)
    elif how == "retype":
        path = data.draw(st.sampled_from(paths))
        _at(obj, path[:-1])[path[-1]] = data.draw(JSON)
    elif how == "type":
        obj["type"] = data.draw(st.one_of(st.sampled_from(TYPES), st.text(max_size=12)))
    elif how == "version":
        obj["schema_version"] = data.draw(VERSIONS)
    else:
        other = data.draw(st.sampled_from(MODELS))
        obj["payload"] = orjson.loads(wire.encode(data.draw(ps.envelopes(ps.payloads(other)))))[
            "payload"]
    got = decoded_or_refused(orjson.dumps(obj))
    if how == "add":
        assert got is None, "an extra field was accepted"


# --- absurd dates (issue 14, finding 5) ---------------------------------------------------

ABSURD = st.one_of(
    st.sampled_from([datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
                     datetime(9999, 12, 31, 23, 59, 59, 999999,
                              tzinfo=timezone(timedelta(hours=-14))),
                     datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)]),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),
                 timezones=ps.OFFSETS),
)


@FUZZ_MSGS
@given(model=st.sampled_from(MODELS), data=st.data(), when=ABSURD,
       field=st.sampled_from(["occurred_at", "recorded_at", "payload"]))
def test_absurd_dates_are_refused_or_usable(model: type[Message], data: st.DataObject,
                                            when: datetime, field: str) -> None:
    """Issue 14 finding 5 and item 4: a message with an absurd instant or date (year 1 or
    9999, extreme offsets) anywhere is refused with a specific WireError, or decodes to a
    value that re-encodes canonically and that a service can compare and sort without an
    OverflowError."""
    obj = orjson.loads(wire.encode(data.draw(ps.envelopes(ps.payloads(model)))))
    if field == "payload":
        dated = [p for p in _paths(obj["payload"]) if isinstance(_at(obj["payload"], p), str)
                 and re.match(r"^\d{4}-\d{2}-\d{2}", _at(obj["payload"], p))]
        assume(dated)
        path = data.draw(st.sampled_from(dated))
        old = _at(obj["payload"], path)
        new = when.date().isoformat() if len(old) == 10 else when.isoformat()
        _at(obj["payload"], path[:-1])[path[-1]] = new
    else:
        obj[field] = when.isoformat()
    got = decoded_or_refused(orjson.dumps(obj))
    if got is not None:
        env = wire.decode(orjson.dumps(obj))
        sorted([env.occurred_at, env.recorded_at, datetime(2024, 1, 1, tzinfo=UTC)])
        assert env == wire.decode(wire.encode(env))


# --- other entry points ------------------------------------------------------------------


@FUZZ_BYTES
@given(raw=st.binary(max_size=120) | JSON.map(orjson.dumps))
def test_coverage_snapshot_reading(raw: bytes) -> None:
    """Issue 14 item 4, finding 6: reading a `registration-coverage` record (decoding, then
    `contracts.coverage`'s handler with encounter's `kept_of`; tombstones and missing keys
    are the runner's, tested there) gives the snapshot's JSON or a refusal with a reason
    code (`Rejected` or `WireError`, both dead-lettered), and encounter's validation of
    what it keeps (`coverage_from`) a WorkerCoverage or a WireError."""
    from contracts import coverage
    from contracts.decision import Rejected
    from contracts.runtime.rejection import RawRecord
    from services.encounter.adapters.agents import coverage_from, kept_of

    snapshot = None
    try:
        env = wire.decode(raw)
        handler = coverage.HANDLERS.get(type(env.payload))
        if handler is not None:
            record = RawRecord("t.registration-coverage", 0, 0, env.key.encode(), raw)
            snapshot = handler(b"", env, kept_of(record)).state
    except wire.WireError as exc:
        assert CODE.match(exc.code)
    except Rejected as exc:
        assert CODE.match(exc.code) and exc.reason
    assert snapshot is None or isinstance(snapshot, bytes)
    for candidate in (raw, snapshot):
        if not candidate:
            continue
        try:
            coverage_from(candidate)
        except wire.WireError as exc:
            assert CODE.match(exc.code)


_KEY = Ed25519PrivateKey.generate()
_PUBLIC = _KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@FUZZ_MSGS
@given(data=st.data(), forge=st.sampled_from(["none", "signature", "key_id", "claim"]))
def test_gateway_signature_check_never_crashes(data: st.DataObject, forge: str) -> None:
    """Issue 14 item 4 (gateway parsing): any decoded `GatewayClaimSubmitted`, signed or
    with a garbage signature (not base64, wrong length, another key id, a tampered claim),
    gets a list of reason codes from the authenticity check — [] only when the signature
    over `gateway.canonical_bytes(signed)` is genuine — and never an exception."""
    from services.clearing.domain import gateway as rules

    msg = data.draw(ps.payloads(gateway.GatewayClaimSubmitted))
    origin = msg.signed.origin_province
    genuine = base64.b64encode(_KEY.sign(gateway.canonical_bytes(msg.signed))).decode()
    msg = msg.model_copy(update={"key_id": "k1", "signature": genuine})
    if forge == "signature":
        msg = msg.model_copy(update={"signature": data.draw(st.one_of(
            st.text(min_size=1, max_size=100),
            st.binary(max_size=80).map(lambda b: base64.b64encode(b).decode() or "A")))})
    elif forge == "key_id":
        msg = msg.model_copy(update={"key_id": data.draw(st.text(min_size=1, max_size=8))})
    elif forge == "claim":
        claim = msg.signed.claim.model_copy(update={"fund_fen": msg.signed.claim.fund_fen + 1})
        msg = msg.model_copy(update={"signed": msg.signed.model_copy(update={"claim": claim})})
    env = data.draw(ps.envelopes(st.just(msg))) if forge == "none" else None
    if env is not None:  # the message survives the wire unchanged: the signature holds
        msg = wire.decode(wire.encode(env)).payload
    codes = rules.authenticity(msg, {origin: {"k1": _PUBLIC}})
    assert isinstance(codes, list)
    if forge == "none" or (forge == "key_id" and msg.key_id == "k1") or (
            forge == "signature" and msg.signature == genuine):
        assert codes == []
    else:
        assert codes and all(CODE.match(c) for c in codes)
    answer = data.draw(ps.payloads(gateway.GatewayClaimAnswered))
    assert gateway.answer_signed_bytes(answer) == gateway.answer_signed_bytes(
        answer.model_copy(update={"signature": "x"}))


@FUZZ_MSGS
@given(letter=ps.payloads(MessageDeadLettered), data=st.data(), value=st.binary(max_size=80),
       key=st.none() | st.binary(max_size=20))
def test_dead_letter_keeps_the_original_bytes(letter: MessageDeadLettered, data: st.DataObject,
                                              value: bytes, key: bytes | None) -> None:
    """Issue 14 item 4 (every refused message a dead letter with the original bytes): any
    bytes survive a dead letter's trip over the wire exactly (`wic dlq redrive` resends
    them)."""
    from contracts.deadletter import b64

    letter = letter.model_copy(update={"value_b64": b64(value), "key_b64": b64(key)})
    got = decoded_or_refused(wire.encode(data.draw(ps.envelopes(st.just(letter)))))
    assert isinstance(got, MessageDeadLettered)
    assert got.original_value() == value and got.original_key() == key


@pytest.mark.parametrize("garbage", ["\x80", "Q", "abc", "é=="])
@pytest.mark.xfail(strict=False, raises=ValueError, reason=(
    "finding (issue 14 item 4 fuzzing): MessageDeadLettered accepts any string as value_b64 "
    "/ key_b64, and original_value() / original_key() raise binascii.Error (a ValueError) "
    "on one that is not base64, so `wic dlq show` / `redrive` crash on such a record; it "
    "needs a base64 check in contracts/deadletter.py"))
def test_dead_letter_with_garbage_base64_is_refused(garbage: str) -> None:
    """Issue 14 item 4: a dead letter whose `value_b64` is not base64 is refused when it is
    decoded (WireError), not accepted and left to crash its reader."""
    letter = MessageDeadLettered(
        stage="intake", reason_code="invalid_payload", reason="r", topic="t", partition=0,
        offset=0, key_b64=garbage, value_b64=garbage,
        failed_at=datetime(2024, 5, 1, tzinfo=UTC))
    raw = orjson.dumps({
        "event_id": "00000000-0000-0000-0000-000000000001", "type": "MessageDeadLettered",
        "schema_version": 1, "key": "k", "source": "s", "occurred_at": "2024-05-01T00:00:00Z",
        "recorded_at": "2024-05-01T00:00:00Z", "payload": letter.model_dump(mode="json")})
    got = decoded_or_refused(raw)
    if isinstance(got, MessageDeadLettered):
        assert isinstance(got.original_value(), bytes)
        assert isinstance(got.original_key(), bytes)


@FUZZ_MSGS
@given(model=st.sampled_from([m for m in MODELS if m.message_kind == "reference"]),
       data=st.data())
def test_reference_data_keys_and_versions(model: type[Message], data: st.DataObject) -> None:
    """Issue 14 item 4 (reference data): every decodable reference message has a dataset
    key and takes part in `in_force` without an error."""
    env = data.draw(ps.envelopes(ps.payloads(model)))
    msg = wire.decode(wire.encode(env)).payload
    assert isinstance(msg, reference.ReferenceData)
    assert reference.dataset_key(msg).split(":", 1)[0] in {
        "institution", "catalog", "pilot", "wage", "credential", "policy",
        "benefit-levels", "income", "minimum-wage", "calendar", "code-mapping"}
    day = data.draw(ps.DAYS)
    dated: Any = msg  # every dataset has an effective_from (reference.py `_Dated`)
    found = reference.in_force([dated], day)
    assert found is (dated if dated.effective_from <= day else None)


REFERENCE_FILES = [
    ("bad-version.json", b'{"type": "WageAveragePublished", "schema_version": "x", '
                         b'"records": []}'),
    ("list-version.json", b'{"type": "WageAveragePublished", "schema_version": [1], '
                          b'"records": []}'),
    ("not-utf8.yaml", b"\xff\xfe type: x"),
    ("year-one.yaml", b"type: PolicyParameterPublished\nrecords:\n- {name: a, value: 1, "
                      b"unit: fen, effective_from: 0001-01-01, source: s}\n"),
]


@pytest.mark.parametrize(("name", "content"), REFERENCE_FILES, ids=[n for n, _ in REFERENCE_FILES])
@pytest.mark.xfail(strict=False, reason=(
    "finding (issue 14 item 4 fuzzing): ops/reference.py read_envelopes lets ValueError / "
    "TypeError (int(schema_version)), UnicodeDecodeError (read_text) and the envelope's "
    "ValidationError (implausible effective_from) escape instead of ReferenceFileError"))
def test_reference_files_are_refused_clearly(tmp_path: Path, name: str, content: bytes) -> None:
    """Issue 14 item 4 (reference data loading, `wic reference load`): a malformed file is
    refused with ReferenceFileError naming it, never a traceback."""
    from ops import reference as loader

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(loader.ReferenceFileError):
        loader.read_envelopes([path], now=datetime(2024, 5, 1, tzinfo=UTC))


REFERENCE_TYPES = sorted(m.message_type for m in MODELS if m.message_kind == "reference")


@FUZZ_MSGS
@given(mtype=st.one_of(st.sampled_from(REFERENCE_TYPES), st.sampled_from(TYPES),
                       st.text(max_size=8)),
       records=st.one_of(st.lists(JSON, max_size=3), JSON), suffix=st.sampled_from([".json",
                                                                                   ".yaml"]))
def test_reference_files_of_any_content(tmp_path_factory: pytest.TempPathFactory, mtype: str,
                                        records: Any, suffix: str) -> None:
    """Issue 14 item 4 (reference data loading, `wic reference load`): a file of any type
    name and any records (JSON, which YAML reads too) gives envelopes or ReferenceFileError.
    The crashes of `test_reference_files_are_refused_clearly` (a non-integer schema_version,
    non-UTF-8, absurd dates) are left to that test."""
    from ops import reference as loader

    path = tmp_path_factory.mktemp("ref") / f"data{suffix}"
    path.write_bytes(orjson.dumps({"type": mtype, "records": records}))
    try:
        out = loader.read_envelopes([path], now=datetime(2024, 5, 1, tzinfo=UTC))
    except loader.ReferenceFileError as exc:
        assert str(exc)
    else:
        assert all(wire.decode(wire.encode(e)) == e for e in out)
