"""Issue 18 item 6 (finding 1) against the running service and broker: an HTTP-only agency
client learns the decision on a registration command from the HTTP answer itself — 201 with
the recorded events, 200 for a resent command (nothing new), 409/422 with the reason code
and the rule id — never only from registration-replies; the refusal is still dead-lettered."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts import topics, wire
from contracts.actor import Role
from contracts.deadletter import MessageDeadLettered
from tests.integration.registration.helpers import http, http_until
from tests.support.identity import bearer
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess, service_fixture
from tests.unit.registration import builders as b

service = service_fixture("registration")
CLERK = bearer(Role.REGISTRATION_CLERK, "li.na")
REVIEWER = bearer(Role.REGISTRATION_REVIEWER, "wang.qiang")


def post(svc: ServiceProcess, env: Any, token: str) -> tuple[int, Any]:
    return http(svc.url, "/commands", wire.encode(env), token)


async def test_sd_reg_3_4_accepted_command_answers_201_with_the_event(
        service: ServiceProcess) -> None:
    """SD-REG-3/4: the answer carries RegistrationApplied with its 12-month validity; the
    same command again is 200 with no event (nothing new recorded)."""
    w = b.worker_id()
    env = b.env(b.apply(w, "REG-H1"), b.at(date(2024, 5, 1)), actor=None)
    status, body = post(service, env, CLERK)
    assert status == 201, body
    [event] = body["events"]
    assert event["type"] == "RegistrationApplied"
    assert event["payload"]["registration_id"] == "REG-H1"
    assert (event["payload"]["valid_from"], event["payload"]["valid_until"]) == \
        ("2024-05-01", "2025-04-30")
    status, again = post(service, env, CLERK)
    assert (status, again["events"]) == (200, []), again
    approve = b.env(b.approve(w, "REG-H1"), b.at(date(2024, 5, 2)), actor=None)
    status, body = post(service, approve, REVIEWER)
    assert status == 201 and [e["type"] for e in body["events"]] == ["RegistrationApproved"]
    assert body["events"][0]["payload"]["reviewer"] == "staff:wang.qiang"


async def test_sd_reg_5_refusal_answers_422_with_reason_and_rule(
        service: ServiceProcess, bus: Bus) -> None:
    """SD-REG-5: a change before the three-month lock is over answers 422 `change_locked`
    with rule_id SD-REG-5 and the earliest date, over HTTP; the body is dead-lettered."""
    w = b.worker_id()
    assert post(service, b.env(b.apply(w, "REG-H2"), b.at(date(2024, 5, 1)), actor=None),
                CLERK)[0] == 201
    assert post(service, b.env(b.approve(w, "REG-H2"), b.at(date(2024, 5, 2)), actor=None),
                REVIEWER)[0] == 201
    change = b.env(b.change(w, b.ZIBO, "REG-H2"), b.at(date(2024, 6, 1)), actor=None)
    status, body = post(service, change, CLERK)
    assert (status, body["reason_code"], body["rule_id"]) == (422, "change_locked", "SD-REG-5")
    assert "2024-08-01" in body["reason"] and body["event_id"] == str(change.event_id)
    letters = await bus.read(topics.REGISTRATION_DEADLETTERS, lambda seen: any(
        isinstance(e.payload, MessageDeadLettered) and e.payload.original_event_id
        == change.event_id for e in seen))
    assert any(getattr(e.payload, "reason_code", None) == "change_locked" for e in letters)


async def test_sd_reg_3_4_conflicts_answer_409_with_the_rule(service: ServiceProcess) -> None:
    """A second registration over days already covered (SD-REG-4) and an approval of an
    approved registration (SD-REG-3) conflict with what is recorded: 409 with the rule id;
    an ineligible application (SD-REG-1) is 422."""
    w = b.worker_id()
    assert post(service, b.env(b.apply(w, "REG-H3"), b.at(date(2024, 5, 1)), actor=None),
                CLERK)[0] == 201
    status, body = post(service, b.env(b.apply(w, "REG-H4"), b.at(date(2024, 5, 3)),
                                       actor=None), CLERK)
    assert (status, body["reason_code"], body["rule_id"]) == \
        (409, "overlapping_registration", "SD-REG-4"), body
    assert post(service, b.env(b.approve(w, "REG-H3"), b.at(date(2024, 5, 2)), actor=None),
                REVIEWER)[0] == 201
    status, body = post(service, b.env(b.approve(w, "REG-H3"), b.at(date(2024, 5, 3)),
                                       actor=None), REVIEWER)
    assert (status, body["reason_code"], body["rule_id"]) == \
        (409, "already_approved", "SD-REG-3"), body
    other = b.worker_id()
    status, body = post(service, b.env(b.apply(other, "REG-H5", insured_for_work_injury=False),
                                       b.at(date(2024, 5, 1)), actor=None), CLERK)
    assert (status, body["reason_code"], body["rule_id"]) == (422, "not_insured", "SD-REG-1")


async def test_sd_reg_6_offline_upload_of_an_online_registration_is_acknowledged(
        service: ServiceProcess, bus: Bus) -> None:
    """SD-REG-6 dynamic management: the offline system uploads, under its own id and with
    its original times, the registration the online channel already recorded: 200, no
    event, the worker's history unchanged; the same upload with another treatment place is
    409 `modified_request` (under the online id) or an overlap (under its own)."""
    w = b.worker_id()
    assert post(service, b.env(b.apply(w, "REG-ON-9"), b.at(date(2024, 3, 1)), actor=None),
                CLERK)[0] == 201
    assert post(service, b.env(b.approve(w, "REG-ON-9"), b.at(date(2024, 3, 2)), actor=None),
                REVIEWER)[0] == 201
    upload = b.offline(w, "OFF-370100-9", b.at(date(2024, 3, 1), 15), b.at(date(2024, 3, 2)))
    env = b.env(upload, b.at(date(2024, 4, 2)), source="offline-channel", actor=None)
    status, body = post(service, env, CLERK)
    assert (status, body["events"]) == (200, []), body
    status, body = post(service, b.env(upload.model_copy(update={
        "registration_id": "REG-ON-9", "treatment_region": b.ZIBO}), b.at(date(2024, 4, 2)),
        source="offline-channel", actor=None), CLERK)
    assert (status, body["reason_code"], body["rule_id"]) == \
        (409, "modified_request", "SD-REG-6"), body
    history = await http_until(service.url, f"/workers/{w}/history",
                               lambda s, body: s == 200 and len(body["events"]) >= 2)
    assert [e["event_type"] for e in history["events"]] == \
        ["RegistrationApplied", "RegistrationApproved"]
    assert [r["registration_id"] for r in history["registrations"]] == ["REG-ON-9"]
