"""The audit trail's rows, cursor and query parameters (no I/O)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from contracts import wire
from contracts.audit import Cursor
from contracts.registration import RegistrationApproved
from contracts.runtime.audit_trail import COLUMNS, row
from contracts.runtime.audit_view import DEFAULT_LIMIT, MAX_LIMIT, parse, sql
from contracts.runtime.http import BadRequest, http_record
from contracts.runtime.rejection import Rejector
from contracts.topics import Writer
from services.registration.adapters.audit import subjects
from tests.support.audit import CLERK, REVIEWER, WHEN, dead_letter, env
from tests.unit.registration import builders as b


def as_dict(values: tuple[object, ...]) -> dict[str, object]:
    return dict(zip(COLUMNS, values, strict=True))


def test_a_row_holds_the_actor_the_position_and_the_ids() -> None:
    w = b.worker_id()
    event = env(RegistrationApproved(registration_id="REG-1", worker_id=w,
                                     approved_on=date(2024, 6, 3)), w, actor=REVIEWER)
    r = as_dict(row("registration-events", 2, 41, event, subjects))
    assert r["actor_id"] == "staff:li.na" and r["actor_name"] == "李娜"
    assert r["actor_roles"] == ["registration_reviewer", "claims_reviewer"]
    assert r["actor_regions"] == ["370000"] and r["actor_kind"] == "staff"
    assert (r["topic"], r["partition"], r["log_offset"]) == ("registration-events", 2, 41)
    assert (r["worker_id"], r["registration_id"], r["cycle_id"]) == (w, "REG-1", None)
    assert r["correlation_id"] == event.event_id and r["reason_code"] is None


def test_an_event_without_an_actor_has_none() -> None:
    w = b.worker_id()
    r = as_dict(row("registration-events", 0, 0, env(b.approve(w), w), subjects))
    assert [r[c] for c in COLUMNS if c.startswith("actor_")] == [None] * 7


def test_a_refusal_from_the_log_takes_the_refused_commands_actor_and_subjects() -> None:
    w = b.worker_id()
    refused = env(b.apply(w, "REG-5"), w, actor=CLERK)
    r = as_dict(row("registration-deadletters", 0, 3,
                    dead_letter(refused, "registration-commands"), subjects))
    assert (r["event_type"], r["refused_type"], r["reason_code"]) == (
        "MessageDeadLettered", "ApplyForRegistration", "change_locked")
    assert (r["actor_id"], r["worker_id"], r["registration_id"]) == (
        "staff:zhang.wei", w, "REG-5")


def test_a_body_refused_at_an_http_door_is_not_believed_about_its_actor() -> None:
    w = b.worker_id()
    forged = env(b.apply(w), w, actor=CLERK)  # an "actor" any sender could have written
    r = as_dict(row("registration-deadletters", 0, 4,
                    dead_letter(forged, "http:POST /commands"), subjects))
    assert r["actor_id"] is None and r["worker_id"] == w


def test_an_unreadable_refusal_keeps_its_peeked_type_and_no_subjects() -> None:
    good = wire.encode(env(b.apply(b.worker_id()), "k"))
    raw = good.replace(b'"payload":{', b'"payload":{"x":1,')  # an extra field: refused
    r = as_dict(row("registration-deadletters", 0, 5,
                    dead_letter(raw, "registration-commands", "invalid_payload"), subjects))
    assert r["refused_type"] == "ApplyForRegistration" and r["actor_id"] is None
    assert r["worker_id"] is None and r["registration_id"] is None  # not its stage, "decide"


def test_a_cursor_survives_the_round_trip_and_garbage_is_refused() -> None:
    c = Cursor(datetime(2024, 6, 3, 2, 0, 0, 123456, tzinfo=UTC), "clearing-events", 0, 99)
    assert Cursor.decode(c.encode()) == c
    for bad in ("", "!!!", Cursor.encode(c)[:-3], "WyJ4Il0"):
        with pytest.raises(ValueError):
            Cursor.decode(bad)


@pytest.mark.parametrize(("params", "code"), [
    ({"worker": "W"}, "unknown_parameter"),
    ({"from": "2024-06-01"}, "invalid_instant"),
    ({"from": "2024-06-02T00:00:00+08:00", "until": "2024-06-01T00:00:00+08:00"},
     "invalid_range"),
    ({"limit": "0"}, "out_of_range"),
    ({"limit": str(MAX_LIMIT + 1)}, "out_of_range"),
    ({"limit": "ten"}, "invalid_integer"),
    ({"cursor": "nonsense"}, "invalid_cursor"),
    ({"actor": "staff:\x00"}, "invalid_text"),
    ({"cycle_id": "x" * 201}, "parameter_too_long"),
])
def test_bad_parameters_are_refused_with_a_reason_code(params: dict[str, str], code: str
                                                       ) -> None:
    with pytest.raises(BadRequest) as refused:
        parse(params)
    assert refused.value.code == code and refused.value.status == 400


def test_filters_become_one_condition_each_and_the_page_one_row_more() -> None:
    asked = parse({"actor": "staff:li.na", "worker_id": "W", "from": WHEN.isoformat()})
    assert asked.limit == DEFAULT_LIMIT
    statement, args = sql(asked)
    assert "actor_id = $1" in statement and "worker_id = $2" in statement
    assert "occurred_at >= $3" in statement and statement.endswith("LIMIT $4")
    assert args == ["staff:li.na", "W", WHEN, DEFAULT_LIMIT + 1]
    after = Cursor(WHEN, "registration-events", 1, 5)
    statement, args = sql(parse({"cursor": after.encode(), "limit": "2"}))
    assert "(occurred_at, topic, partition, log_offset) > ($1, $2, $3, $4)" in statement
    assert args == [WHEN, "registration-events", 1, 5, 3]


def test_a_body_refused_at_an_http_door_names_who_the_door_authenticated() -> None:
    """Issue 16: the ingress authenticated the sender before refusing the body, so the dead
    letter carries that actor and the trail shows who tried (not what the body claims)."""
    sent: list[bytes] = []

    async def send(_topic: str, _key: bytes | None, value: bytes) -> None:
        sent.append(value)

    rejector = Rejector(Writer.REGISTRATION, None, "t-unit.", send)
    body = b'{"type": "ApproveRegistration", "actor": {"id": "staff:mallory"}}'
    asyncio.run(rejector.reject(http_record("POST /commands", body), "forbidden_role",
                                "needs registration_reviewer", stage="http", actor=CLERK))
    letter = wire.decode(sent[0])
    r = as_dict(row("registration-deadletters", 0, 3, letter, subjects))
    assert (r["actor_id"], r["reason_code"]) == (CLERK.id, "forbidden_role")


def test_a_body_refused_before_anyone_was_authenticated_names_no_one() -> None:
    """Issue 16: an actor written in a refused body is never believed."""
    sent: list[bytes] = []

    async def send(_topic: str, _key: bytes | None, value: bytes) -> None:
        sent.append(value)

    original = env(b.approve("370102198501010011"), "370102198501010011", actor=REVIEWER)
    asyncio.run(Rejector(Writer.REGISTRATION, None, "t-unit.", send).reject(
        http_record("POST /commands", wire.encode(original)), "actor_in_body", "no", stage="http"))
    r = as_dict(row("registration-deadletters", 0, 3, wire.decode(sent[0]), subjects))
    assert r["actor_id"] is None and r["reason_code"] == "actor_in_body"


def test_issue_21_subject_values_follow_subjects_order() -> None:
    """`Subjects.values` is written out (docs/performance.md "Fifth round, second pass"):
    it must still be the fields in SUBJECTS order, the audit_trail's column order."""
    import dataclasses

    from contracts.audit import SUBJECTS, Subjects

    assert tuple(f.name for f in dataclasses.fields(Subjects)) == SUBJECTS
    s = Subjects(*[f"id-{name}" for name in SUBJECTS])
    assert s.values() == tuple(getattr(s, name) for name in SUBJECTS)
    assert COLUMNS[-len(SUBJECTS):] == list(SUBJECTS)
