"""Registration service against the real broker and database (one service process).

Covers every SD-REG rule by id, the duplicate command, the offline import with duplicates,
the 3-month boundary, the 12-month expiry boundary, bad input and the rebuild digest.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import topics, wire
from contracts.actor import Role
from contracts.registration import RegistrationImported, WorkerCoverage
from contracts.runtime.projection import ProjectionRunner
from contracts.settings import kafka_security
from infra.migrate import migrate
from services.registration.adapters.projection import PROJECTIONS, SCHEMA, digest
from tests.integration.registration.helpers import accepted, http, http_until, rejected
from tests.support.database import create_database, drop_database
from tests.support.identity import bearer
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess, service_fixture
from tests.unit.registration import builders as b

pytestmark = pytest.mark.integration

D0 = date(2024, 1, 15)


service = service_fixture("registration")


def coverage(svc: ServiceProcess, worker: str, place: str, day: date) -> str:
    return f"/workers/{worker}/coverage?place={place}&date={day.isoformat()}"


async def test_sd_reg_1_3_4_7_apply_approve_and_query(service: ServiceProcess, bus: Bus) -> None:
    w = b.worker_id()
    await accepted(bus, b.env(b.apply(w), b.at(D0)))
    # SD-REG-3: pending covers nothing
    body = await http_until(service.url, f"/registrations/REG-0001?as_of={D0}",
                            lambda s, body: s == 200 and body["worker_id"] == w)
    assert body["status"] == "pending"
    await accepted(bus, b.env(b.approve(w), b.at(date(2024, 1, 16))))
    body = await http_until(service.url, coverage(service, w, "370202", date(2025, 1, 14)),
                            lambda s, body: body.get("covered"))
    assert body["registration_id"] == "REG-0001"
    assert body["window"]["valid_from"] == "2024-01-16"  # SD-REG-3: from the approval day
    # SD-REG-4: the 12-month validity ends the day before the same date next year
    assert body["window"]["valid_until"] == "2025-01-14"
    _, after = http(service.url, coverage(service, w, "370202", date(2025, 1, 15)))
    # issue 18 item 6.3: the precise reasons, never the vague no_valid_registration
    assert after == {**after, "covered": False, "reason": "registration_expired"}
    _, before = http(service.url, coverage(service, w, "370200", date(2024, 1, 15)))
    assert before["covered"] is False and before["reason"] == "registration_not_yet_valid"
    _, elsewhere = http(service.url, coverage(service, w, "370300", date(2024, 6, 1)))
    assert elsewhere["reason"] == "registered_for_other_place"
    _, nobody = http(service.url, coverage(service, b.worker_id(), "370200", date(2024, 6, 1)))
    assert nobody["reason"] == "no_valid_registration"
    # SD-REG-8: treatment at the insured place is never off-site coverage
    _, home = http(service.url, coverage(service, w, "370102", date(2024, 3, 1)))
    assert home["covered"] is False and home["reason"] == "treated_at_insured_place"
    _, status = http(service.url, "/registrations/REG-0001?as_of=2025-01-15")
    assert status["status"] == "approved" and status["status_as_of"] == "expired"
    # the compacted snapshot carries the same window for encounter and clearing
    snaps = await bus.read(topics.REGISTRATION_COVERAGE, lambda seen: any(
        isinstance(e.payload, WorkerCoverage) and e.key == w and e.payload.windows
        for e in seen))
    snap = [e.payload for e in snaps if e.key == w][-1]
    assert isinstance(snap, WorkerCoverage)
    assert snap.covering("370200", date(2024, 6, 1)) is not None
    assert snap.social_security_card == "SSC370100001"  # SD-REG-7 credential carried along


async def test_sd_reg_1_2_7_refusals_reach_sender_and_deadletters(service: ServiceProcess,
                                                                  bus: Bus) -> None:
    w = b.worker_id()
    cases = {
        "not_insured": b.apply(w, "REG-N1", insured_for_work_injury=False),  # SD-REG-1
        "no_completed_confirmation": b.apply(w, "REG-N2", confirmation=None),  # SD-REG-1
        "treatment_at_insured_place": b.apply(w, "REG-N3", treatment_region="370103"),  # -2
        "no_social_security_card": b.apply(w, "REG-N4", social_security_card=None),  # -7
    }
    for code, command in cases.items():
        reply = await rejected(bus, b.env(command, b.at(D0)))
        assert reply.reason_code == code
    letters = await bus.read(topics.REGISTRATION_DEADLETTERS, lambda seen: {
        e.payload.reason_code for e in seen} >= set(cases))  # type: ignore[attr-defined]
    assert all(e.payload.value_b64 for e in letters)  # type: ignore[attr-defined]
    status, _ = http(service.url, f"/workers/{w}/history")
    assert status == 404  # nothing was recorded for this worker


async def test_duplicate_command_yields_one_event(service: ServiceProcess, bus: Bus) -> None:
    w = b.worker_id()
    cmd = b.env(b.apply(w, "REG-DUP", registration_type="referral"), b.at(D0))
    await accepted(bus, cmd)
    await bus.send(topics.REGISTRATION_COMMANDS, cmd)  # resent: same command id
    replies = await bus.read(topics.REGISTRATION_REPLIES, lambda seen: sum(
        getattr(e.payload, "ref_event_id", None) == cmd.event_id for e in seen) >= 2)
    again = [e for e in replies if getattr(e.payload, "ref_event_id", None) == cmd.event_id]
    # the same reply id (consumers deduplicate it); it says nothing new was recorded
    assert again[0].event_id == again[1].event_id
    assert "duplicate" in again[1].payload.detail  # type: ignore[attr-defined]
    await accepted(bus, b.env(b.approve(w, "REG-DUP"), b.at(D0)))
    body = await http_until(service.url, f"/workers/{w}/history",
                            lambda s, body: s == 200 and len(body["events"]) >= 2)
    assert [e["event_type"] for e in body["events"]] == ["RegistrationApplied",
                                                         "RegistrationApproved"]


async def test_sd_reg_6_offline_import_deduplicated(service: ServiceProcess, bus: Bus) -> None:
    w = b.worker_id()
    upload = b.offline(w, "OFF-370100-1", b.at(date(2024, 2, 1)), b.at(date(2024, 2, 3)))
    first = await accepted(bus, b.env(upload, b.at(date(2024, 4, 2)), source="offline-channel"))
    assert "RegistrationImported" in first.detail
    second = await accepted(bus, b.env(upload, b.at(date(2024, 4, 3)), source="offline-channel"))
    assert "RegistrationImported" not in second.detail
    modified = b.offline(w, "OFF-370100-1", b.at(date(2024, 2, 1)), b.at(date(2024, 2, 3)),
                         treatment_region="370300")
    reply = await rejected(bus, b.env(modified, b.at(date(2024, 4, 3))))
    assert reply.reason_code == "modified_request"
    events = await bus.read(topics.REGISTRATION_EVENTS, lambda seen: any(
        isinstance(e.payload, RegistrationImported) and e.key == w for e in seen))
    imported = [e for e in events if e.key == w]
    assert len(imported) == 1 and imported[0].payload.approved_on == date(2024, 2, 3)  # type: ignore[attr-defined]
    body = await http_until(service.url, coverage(service, w, "370200", date(2024, 2, 3)),
                            lambda s, body: body.get("covered"))
    assert body["registration_id"] == "OFF-370100-1"
    _, early = http(service.url, coverage(service, w, "370200", date(2024, 2, 2)))
    assert early["covered"] is False  # original approval time, not upload time


async def test_sd_reg_5_three_month_boundary(service: ServiceProcess, bus: Bus) -> None:
    w = b.worker_id()
    await accepted(bus, b.env(b.apply(w, "REG-LOCK"), b.at(D0)))
    await accepted(bus, b.env(b.approve(w, "REG-LOCK"), b.at(D0)))
    locked = await rejected(bus, b.env(b.change(w, "370300", "REG-LOCK"), b.at(date(2024, 4, 14))))
    assert locked.reason_code == "change_locked" and "2024-04-15" in locked.reason
    await accepted(bus, b.env(b.change(w, "370300", "REG-LOCK"), b.at(date(2024, 4, 15))))
    body = await http_until(service.url, coverage(service, w, "370300", date(2024, 4, 15)),
                            lambda s, body: body.get("covered"))
    assert body["window"]["valid_from"] == "2024-04-15"
    _, old = http(service.url, coverage(service, w, "370200", date(2024, 4, 14)))
    assert old["covered"] is True and old["window"]["valid_until"] == "2024-04-14"
    _, moved = http(service.url, coverage(service, w, "370200", date(2024, 4, 15)))
    assert moved["covered"] is False


async def test_bad_input_is_refused_and_changes_nothing(service: ServiceProcess, bus: Bus,
                                                        bootstrap: str, prefix: str,
                                                        database_url: str) -> None:
    w = b.worker_id()
    await accepted(bus, b.env(b.apply(w, "REG-BAD"), b.at(D0)))
    await accepted(bus, b.env(b.reject(w, "REG-BAD"), b.at(D0)))
    reply = await rejected(bus, b.env(b.approve(w, "REG-BAD"), b.at(D0)))  # SD-REG-3
    assert reply.reason_code == "registration_rejected"
    reply = await rejected(bus, b.env(b.approve(w, "REG-NOPE"), b.at(D0)))
    assert reply.reason_code == "unknown_registration"
    good = wire.encode(b.env(b.apply(w, "REG-X"), b.at(D0))).decode()
    bad_id = good.replace(w, w[:-1] + ("0" if w[-1] != "0" else "1"))
    bad_region = good.replace('"treatment_region":"370200"', '"treatment_region":"990100"')
    raws = {"malformed_json": b"{not json", "unknown_type": good.replace(
        "ApplyForRegistration", "ApplyForSomething").encode(),
        "invalid_payload": bad_id.encode(), "invalid_payload ": bad_region.encode()}
    for raw in raws.values():
        await bus.send_raw(topics.REGISTRATION_COMMANDS, raw, key=w.encode())
    letters = await bus.read(topics.REGISTRATION_DEADLETTERS, lambda seen: sum(
        e.payload.reason_code in {"malformed_json", "unknown_type", "invalid_payload"}  # type: ignore[attr-defined]
        for e in seen) >= 4)
    reasons = " ".join(e.payload.reason for e in letters)  # type: ignore[attr-defined]
    assert "resident id" in reasons and "region code" in reasons
    # the read model trails the log: read it once it has applied every registration event
    await wait_caught_up(database_url, await end_offsets(
        bootstrap, topics.REGISTRATION_EVENTS.name(prefix)))
    status, body = http(service.url, "/registrations/REG-BAD")
    assert status == 200 and body["status"] == "rejected"
    status, _ = http(service.url, "/registrations/REG-X")
    assert status == 404


async def test_http_api_validation_and_openapi(service: ServiceProcess, bus: Bus) -> None:
    status, body = http(service.url, "/workers/123/coverage?place=370100&date=2024-05-01")
    assert status == 400 and body["reason_code"] == "invalid_worker_id"
    w = b.worker_id()
    status, body = http(service.url, f"/workers/{w}/coverage?place=99&date=2024-05-01")
    assert status == 400 and body["reason_code"] == "invalid_region_code"
    status, body = http(service.url, f"/workers/{w}/coverage?place=370200&date=May")
    assert status == 400 and body["reason_code"] == "invalid_date"
    clerk = bearer(Role.REGISTRATION_CLERK, "li.na")
    status, body = http(service.url, "/commands", b"[1, 2", clerk)
    assert status == 400 and body["reason_code"] == "malformed_json"
    env = b.env(b.apply(w, "REG-HTTP"), b.at(D0), source="online-channel", actor=None)
    status, body = http(service.url, "/commands", wire.encode(env), clerk)
    assert status == 201 and body["event_id"] == str(env.event_id), body
    assert body["actor"] == "staff:li.na" and body["reply"]["ref_event_id"] == str(env.event_id)
    await http_until(service.url, "/registrations/REG-HTTP", lambda s, body: s == 200)
    status, doc = http(service.url, "/openapi.json")
    assert status == 200 and "/workers/{worker_id}/coverage" in doc["paths"]
    assert "ApplyForRegistration" in doc["components"]["schemas"]


async def test_rebuild_from_offset_zero_gives_identical_rows(service: ServiceProcess,
                                                            bootstrap: str, prefix: str,
                                                            database_url: str) -> None:
    """Registration status is a pure function of its events: replaying registration-events
    from offset zero into an empty database reproduces the live read model exactly."""
    ends = await end_offsets(bootstrap, topics.REGISTRATION_EVENTS.name(prefix))
    assert sum(ends.values()) > 10  # the earlier tests of this module wrote the history
    refusals = await end_offsets(bootstrap, topics.REGISTRATION_DEADLETTERS.name(prefix), 1)
    await wait_caught_up(database_url, {**ends, **refusals})
    live = await digest_of(database_url)
    fresh = await create_database("regrebuild")
    try:
        await migrate(fresh)
        for projection in PROJECTIONS:  # the read model and the audit trail
            until = {k: v for k, v in {**ends, **refusals}.items()
                     if k[0] in {t.name(prefix) for t in projection.topics}}
            runner = ProjectionRunner(projection, bootstrap, fresh, SCHEMA, prefix=prefix,
                                      group=f"{prefix}rebuild-{uuid.uuid4().hex[:6]}")
            progress = await asyncio.wait_for(runner.run(asyncio.Event(), until=until), 30)
            assert progress.applied == sum(until.values())
        assert await digest_of(fresh) == live
    finally:
        await drop_database(fresh)


async def end_offsets(bootstrap: str, topic: str, partitions: int | None = None
                      ) -> dict[tuple[str, int], int]:
    """End offsets of `topic`'s partitions (default: the worker-keyed count, issue 17)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_security())
    await consumer.start()
    try:
        count = partitions or topics.REGISTRATION_EVENTS.partitions
        parts = [TopicPartition(topic, p) for p in range(count)]
        consumer.assign(parts)  # an idle consumer without assignment fails to stop (aiokafka)
        return {(tp.topic, tp.partition): off
                for tp, off in (await consumer.end_offsets(parts)).items()}
    finally:
        await consumer.stop()


async def wait_caught_up(url: str, ends: dict[tuple[str, int], int]) -> None:
    conn = await asyncpg.connect(url, server_settings={"search_path": SCHEMA})
    try:
        for _ in range(100):
            rows = await conn.fetch("SELECT topic, partition, min(next_offset) AS next_offset"
                                    " FROM checkpoints GROUP BY topic, partition")
            done = {(r["topic"], r["partition"]): r["next_offset"] for r in rows}  # slowest
            if all(done.get(k, 0) >= v for k, v in ends.items()):
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"live projection stuck at {done}, log ends at {ends}")
    finally:
        await conn.close()


async def digest_of(url: str) -> str:
    conn = await asyncpg.connect(url, server_settings={"search_path": SCHEMA})
    try:
        return await digest(conn)
    finally:
        await conn.close()
