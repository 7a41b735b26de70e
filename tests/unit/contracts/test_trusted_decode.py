"""The replay's fast decoding (issue 21, target 3; `contracts.trusted`): the same envelopes
as `wire.decode` for every message type the rebuilt projections read, and the validated
way for any record its topic's single writer did not write in the current version.
"""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import topics, trusted, wire
from contracts.message import Message, registered
from contracts.topics import Topic
from ops import projections
from tests.unit.contracts import property_strategies as ps
from tests.unit.contracts.test_properties import FUZZ

# The topics the replay benchmark rebuilds from (registration's read model and the
# clearing ledger, each with its audit trail), and every model that travels on them.
READ: list[Topic] = [topics.by_base(base) for base in sorted(
    {t.base for s in ("registration", "clearing")
     for p in projections.load(s).projections for t in p.topics})]
CASES = [pytest.param(topic, model, id=f"{topic.base}-{model.message_type}")
         for topic in READ for (_, _), model in sorted(registered().items())
         if model.__module__ == topic.values]


def _raw(topic: Topic, model: type[Message], data: st.DataObject,
         source: str | None = None) -> bytes:
    env = data.draw(ps.envelopes(ps.payloads(model)))
    return wire.encode(env.model_copy(update={"source": source or topic.writer.value}))


def test_every_message_type_of_the_replayed_topics_is_covered() -> None:
    """The cases include the ledger's postings, registration's events and dead letters."""
    names = {(p.values[0].base, p.values[1].message_type) for p in CASES}  # type: ignore[union-attr]
    for wanted in [("clearing-events", "LedgerPosted"), ("clearing-events", "ClearingCycleClosed"),
                   ("registration-events", "RegistrationApplied"),
                   ("registration-events", "RegistrationApproved"),
                   ("registration-deadletters", "MessageDeadLettered")]:
        assert wanted in names


@pytest.mark.parametrize(("topic", "model"), CASES)
@given(data=st.data())
@FUZZ
def test_fast_decoding_gives_the_validated_envelope(topic: Topic, model: type[Message],
                                                    data: st.DataObject) -> None:
    """A record of the topic's writer, current version: equal envelope, same classes, same
    values to their repr (offset objects included), byte-identical encoding."""
    raw = _raw(topic, model, data)
    assert trusted.qualifies(orjson.loads(raw), topic.writer.value) is model
    fast, validated = trusted.decoder(topic)(raw), wire.decode(raw)
    assert fast == validated
    assert type(fast.payload) is type(validated.payload)
    assert repr(fast) == repr(validated)
    assert wire.encode(fast) == wire.encode(validated) == raw


def _registration(source: str, worker: str) -> bytes:
    """A `RegistrationApproved` record as the registration service encodes one."""
    return orjson.dumps({
        "event_id": "0d5f3c1e-7b7a-4c4e-9d6a-1f2e3d4c5b6a", "type": "RegistrationApproved",
        "schema_version": 1, "key": worker, "occurred_at": "2024-05-02T02:00:00Z",
        "recorded_at": "2024-05-02T02:00:00Z", "source": source,
        "causation_id": None, "correlation_id": "0d5f3c1e-7b7a-4c4e-9d6a-1f2e3d4c5b6a",
        "payload": {"approved_on": "2024-05-02", "registration_id": "REG-0001",
                    "reviewer": "r", "worker_id": worker}}, option=orjson.OPT_SORT_KEYS)


GOOD = "370102198501010011"
BAD_CHECK_DIGIT = GOOD[:-1] + ("2" if GOOD[-1] != "2" else "3")


def test_a_record_from_another_source_is_validated_and_refused() -> None:
    """Only the topic's single writer is trusted: a record naming another source goes
    through every check (here the worker id's ISO 7064 check digit, SD-REG-1)."""
    decode = trusted.decoder(topics.REGISTRATION_EVENTS)
    assert decode(_registration("someone-else", GOOD)).payload.worker_id == GOOD
    with pytest.raises(wire.WireError) as refused:
        decode(_registration("someone-else", BAD_CHECK_DIGIT))
    assert refused.value.code == "invalid_payload"


def test_the_writers_current_records_skip_only_the_checks() -> None:
    """The writer's own record is not checked again (that is the fast path: a check digit
    it validated is not recomputed), but pydantic still refuses what the writer never
    writes — an unknown key, a missing field, a value of the wrong type — the usual way."""
    decode = trusted.decoder(topics.REGISTRATION_EVENTS)
    with pytest.raises(wire.WireError):
        wire.decode(_registration("registration", BAD_CHECK_DIGIT))  # what the checks say
    fast = decode(_registration("registration", BAD_CHECK_DIGIT))
    assert fast.payload.worker_id == BAD_CHECK_DIGIT
    data = orjson.loads(_registration("registration", GOOD))
    for broken in ({**data, "payload": {**data["payload"], "surprise": 1}},
                   {**data, "payload": {k: v for k, v in data["payload"].items()
                                        if k != "registration_id"}},
                   {**data, "event_id": "not-a-uuid"}):
        with pytest.raises(wire.WireError):
            decode(orjson.dumps(broken))


def test_another_schema_version_is_validated() -> None:
    """A version other than the newest (here one no contract defines) is not trusted: it is
    decoded the validated way, and refused there as an unknown version."""
    data = orjson.loads(_registration("registration", GOOD))
    data["schema_version"] = 99
    assert trusted.qualifies(data, "registration") is None
    with pytest.raises(wire.WireError) as refused:
        trusted.decoder(topics.REGISTRATION_EVENTS)(orjson.dumps(data))
    assert refused.value.code == "unknown_type"
