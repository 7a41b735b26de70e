"""The envelope, the registry and serialization: one place, strict, and deterministic."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import orjson
import pytest
from pydantic import ValidationError

from contracts import envelope, wire
from contracts.encounter import ChargeLine, RecordAdmission
from contracts.export import stale
from contracts.message import UnknownMessage, model_for
from contracts.reference import CatalogKind
from contracts.replies import MessageAccepted

WORKER = "11010519491231002X"
WHEN = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)


def admission(**changes: object) -> RecordAdmission:
    fields: dict[str, object] = dict(
        message_id="m-1", institution_id="H37010200001", encounter_no="V1", worker_id=WORKER,
        social_security_card="SC1234567", insured_region="370200", care_type="inpatient",
        admitted_at=WHEN, diagnosis_code="S72.0",
    )
    fields.update(changes)
    return RecordAdmission.model_validate(fields)


def test_round_trip_keeps_every_field_and_type() -> None:
    env = envelope.new(admission(), key=WORKER, occurred_at=WHEN, source="hospital:H37010200001")
    back = wire.decode(wire.encode(env))
    assert back == env
    assert isinstance(back.payload, RecordAdmission)


def test_encoding_is_canonical() -> None:
    env = envelope.new(admission(), key=WORKER, occurred_at=WHEN, source="s", recorded_at=WHEN)
    assert wire.encode(env) == wire.encode(wire.decode(wire.encode(env)))
    keys = list(orjson.loads(wire.encode(env)))
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "empty"),
        (b"{not json", "malformed_json"),
        (b"[1, 2]", "malformed_envelope"),
        (b'{"type": "Nope", "schema_version": 1}', "unknown_type"),
        (b'{"type": "RecordAdmission", "schema_version": 9}', "unknown_type"),
    ],
)
def test_bad_bytes_get_a_specific_code(raw: bytes, code: str) -> None:
    with pytest.raises(wire.WireError) as err:
        wire.decode(raw)
    assert err.value.code == code


def test_unknown_version_names_the_known_ones() -> None:
    with pytest.raises(UnknownMessage, match=r"known versions: \[1\]"):
        model_for("RecordAdmission", 2)


def test_invalid_payload_names_the_field() -> None:
    env = envelope.new(admission(), key=WORKER, occurred_at=WHEN, source="s")
    data = orjson.loads(wire.encode(env))
    data["payload"]["worker_id"] = "110105194912310021"  # wrong check digit
    with pytest.raises(wire.WireError) as err:
        wire.decode(orjson.dumps(data))
    assert err.value.code == "invalid_payload"
    assert "payload.worker_id" in err.value.detail


def test_extra_fields_are_refused() -> None:
    env = envelope.new(admission(), key=WORKER, occurred_at=WHEN, source="s")
    data = orjson.loads(wire.encode(env))
    data["payload"]["surprise"] = 1
    with pytest.raises(wire.WireError, match="surprise"):
        wire.decode(orjson.dumps(data))


def test_envelope_type_must_match_payload() -> None:
    env = envelope.new(admission(), key=WORKER, occurred_at=WHEN, source="s")
    data = orjson.loads(wire.encode(env))
    data["type"] = "RecordDischarge"
    with pytest.raises(wire.WireError):
        wire.decode(orjson.dumps(data))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError):
        admission(admitted_at=datetime(2024, 5, 6, 9, 30))


def test_money_is_integer_fen_never_float_or_string() -> None:
    line = dict(line_no=1, catalog_kind=CatalogKind.DRUG, item_code="D1", quantity="2",
                unit_price_fen=150, amount_fen=300, service_date=date(2024, 5, 6))
    assert ChargeLine.model_validate(line).amount_fen == 300
    for bad in (300.0, "300", 12.5):
        with pytest.raises(ValidationError):
            ChargeLine.model_validate({**line, "amount_fen": bad})


def test_derived_messages_have_deterministic_ids_and_times() -> None:
    cause = envelope.new(admission(), key=WORKER, occurred_at=WHEN, source="s")
    reply = MessageAccepted(ref_event_id=cause.event_id, ref_type=cause.type)
    first = envelope.derive(cause, [reply, reply], key="k", source="encounter")
    again = envelope.derive(cause, [reply, reply], key="k", source="encounter")
    assert [wire.encode(e) for e in first] == [wire.encode(e) for e in again]
    assert first[0].event_id != first[1].event_id
    assert first[0].causation_id == cause.event_id
    assert first[0].correlation_id == cause.correlation_id
    assert first[0].recorded_at == cause.recorded_at


def test_new_message_correlates_with_itself() -> None:
    env = envelope.new(admission(), key=WORKER, occurred_at=WHEN, source="s")
    assert env.correlation_id == env.event_id
    assert isinstance(env.event_id, uuid.UUID)


def test_committed_json_schemas_are_current() -> None:
    """Outside producers validate against contracts/schemas: they must match the models."""
    assert stale() == [], "run `python -m contracts.export` and commit contracts/schemas"


def test_settlement_contract_refuses_unbalanced_money() -> None:
    """SD-FUND-2 / settlement: every fen of a line is the fund's, the worker's or the
    employer's, and a settlement's totals are its lines' sums — clearing can trust both."""
    from contracts.settlement import AdjudicatedLine

    ok = dict(line_no=1, item_code="MI-001", submitted_fen=1000, eligible_fen=800,
              fund_fen=800, self_fen=200)
    assert AdjudicatedLine.model_validate(ok).fund_fen == 800
    for bad in ({"self_fen": 199}, {"fund_fen": 900, "self_fen": 100}):
        with pytest.raises(ValidationError):
            AdjudicatedLine.model_validate({**ok, **bad})


@pytest.mark.parametrize(("raw", "expected"), [
    (b'{"type": "ChargeLineRecorded", "payload": {}}', "ChargeLineRecorded"),
    (b"not json", None),
    (b"[1, 2]", None),
    (b'{"type": 7}', None),
    (b"", None),
    (None, None),
])
def test_peek_type_reads_only_the_type(raw: bytes | None, expected: str | None) -> None:
    """Agents skip the types they do not decide on without a pydantic decode; anything that
    has no readable type gives None, so it still goes through `decode` (and dead letters)."""
    assert wire.peek_type(raw) == expected


def test_peek_type_agrees_with_decode() -> None:
    env = envelope.new(admission(), key=WORKER, occurred_at=WHEN, source="hospital:H37010200001")
    raw = wire.encode(env)
    assert wire.peek_type(raw) == wire.decode(raw).type == "RecordAdmission"


def test_the_actor_is_kept_on_every_derived_message_and_absent_bytes_stay_absent() -> None:
    """Issue 16: the authenticated actor stamped by an ingress stays on every event derived
    from the message; a message without one encodes exactly as before the field existed."""
    from contracts.actor import Actor, ActorKind, Channel, Role
    plain = envelope.new(admission(), key=WORKER, occurred_at=WHEN, source="s")
    assert b'"actor"' not in wire.encode(plain)
    clerk = Actor(id="staff:li.na", kind=ActorKind.STAFF, channel=Channel.HTTP,
                  roles=(Role.REGISTRATION_CLERK,), regions=("370100",))
    cause = envelope.new(admission(), key=WORKER, occurred_at=WHEN, source="s", actor=clerk)
    reply = MessageAccepted(ref_event_id=cause.event_id, ref_type=cause.type)
    [derived] = envelope.derive(cause, [reply], key="k", source="encounter")
    assert wire.decode(wire.encode(derived)).actor == clerk
    assert clerk.acts_for("370102") and not clerk.acts_for("370200")
    province_wide = clerk.model_copy(update={"regions": ("370000",)})
    assert province_wide.acts_for("371500") and not province_wide.acts_for("320100")
