"""The audit trail on the real broker and database (issue 16 part 4).

The test is the writer of the event topics here (no service decides anything): it
publishes events with actors, derived as a service derives them, and refusals. The
registration service (one process) follows them into `audit_trail` and answers `GET
/audit`: each filter, the order (business time, then position), paging and the 4xx
refusals; `wic audit` merges it and names the services that do not answer; `wic verify`
rebuilds the trail and notices a changed row. The other services' trails run in-process.
"""

from __future__ import annotations

import asyncio
import functools
import io
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from contracts import envelope, topics
from contracts.clearing import ClearingCycleClosed, LedgerPosted, PostingKind
from contracts.encounter import ChargeLineRecorded
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import RegistrationApproved
from contracts.runtime.projection import ProjectionRunner
from contracts.settings import Settings
from contracts.settlement import ClaimPaid, Payee, PaymentChannel
from ops import audit as wic_audit
from ops.rebuild import end_offsets
from ops.verify import verify
from services.clearing.adapters.audit import AUDIT as CLEARING_AUDIT
from services.encounter.adapters.audit import AUDIT as ENCOUNTER_AUDIT
from services.settlement.adapters.audit import AUDIT as SETTLEMENT_AUDIT
from tests.integration.registration.helpers import http, http_until
from tests.support.audit import CLERK, HOSPITAL, REVIEWER, WHEN, dead_letter, env
from tests.support.identity import reader_token
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess, free_port, service_fixture
from tests.unit.encounter import samples
from tests.unit.registration import builders as b

pytestmark = pytest.mark.integration

W1, W2 = b.worker_id(), b.worker_id()
HOUR = timedelta(hours=1)


def derived(cause: Envelope[Message], payload: Message, key: str) -> Envelope[Message]:
    [event] = envelope.derive(cause, [payload], key=key, source="test")
    return event


def approved(worker: str, reg_id: str) -> RegistrationApproved:
    return RegistrationApproved(registration_id=reg_id, worker_id=worker,
                                approved_on=date(2024, 6, 3))


service = service_fixture("registration")


@pytest.fixture(scope="module")
async def trail(service: ServiceProcess, bus: Bus) -> list[Envelope[Message]]:
    """Registration's acts in the order the trail must list them (business time first: the
    log order differs), once the service's audit trail holds them all."""
    apply_1 = env(b.apply(W1, "REG-1"), W1, WHEN + 5 * HOUR, CLERK)
    approve_1 = env(b.approve(W1, "REG-1"), W1, WHEN + 6 * HOUR, REVIEWER)
    apply_2 = env(b.apply(W2, "REG-2"), W2, WHEN + HOUR, CLERK)
    events = [derived(apply_1, approved(W1, "REG-1"), W1),  # stands for RegistrationApplied
              derived(approve_1, approved(W1, "REG-1"), W1),
              derived(apply_2, approved(W2, "REG-2"), W2),
              env(approved(W2, "REG-3"), W2, WHEN + 2 * HOUR)]  # no actor: before actors
    refusal = dead_letter(env(b.apply(W1, "REG-4"), W1, WHEN + 3 * HOUR, CLERK),
                          topics.REGISTRATION_COMMANDS.name(bus.prefix), when=WHEN + 3 * HOUR)
    for event in events:
        await bus.send(topics.REGISTRATION_EVENTS, event)
    await bus.send(topics.REGISTRATION_EVENTS, events[0])  # a re-emitted event: one act
    await bus.send(topics.REGISTRATION_DEADLETTERS, refusal)
    await http_until(service.url, "/audit?limit=1000",
                     lambda s, body: s == 200 and len(body["entries"]) == 5, timeout=30)
    return [events[2], events[3], refusal, events[0], events[1]]


def ids(body: dict[str, Any]) -> list[str]:
    return [e["event_id"] for e in body["entries"]]


def expect(events: list[Envelope[Message]]) -> list[str]:
    return [str(e.event_id) for e in events]


async def get(service: ServiceProcess, path: str) -> tuple[int, Any]:
    return await asyncio.to_thread(http, service.url, path)


async def test_entries_come_by_business_time_with_actor_position_and_subjects(
        service: ServiceProcess, trail: list[Envelope[Message]]) -> None:
    status, body = await get(service, "/audit")
    assert status == 200 and body["service"] == "registration"
    assert ids(body) == expect(trail) and body["next_cursor"] is None
    first, unsigned, refusal = body["entries"][:3]
    assert first["actor"] == {"id": CLERK.id, "kind": "staff", "channel": "http", "name": "张伟",
                              "roles": ["registration_clerk"], "regions": ["370100"],
                              "institution": None}
    assert first["topic"] == "registration-events" and first["offset"] >= 0
    assert (first["worker_id"], first["registration_id"]) == (W2, "REG-2")
    assert first["causation_id"] == str(trail[0].causation_id) and first["correlation_id"]
    assert unsigned["actor"] is None
    assert (refusal["event_type"], refusal["refused_type"], refusal["reason_code"]) == (
        "MessageDeadLettered", "ApplyForRegistration", "change_locked")
    assert refusal["actor"]["id"] == CLERK.id and refusal["registration_id"] == "REG-4"
    assert refusal["topic"] == "registration-deadletters"


@pytest.mark.parametrize(("query", "picked"), [
    (f"actor={CLERK.id}", [0, 2, 3]),
    (f"actor={REVIEWER.id}", [4]),
    (f"worker_id={W1}", [2, 3, 4]),
    ("registration_id=REG-3", [1]),
    ("cycle_id=2024-05:370100:370200", []),  # a subject registration never records
    (f"worker_id={W1}&actor={CLERK.id}", [2, 3]),
    # from is inclusive (12:00 is in), until exclusive (15:00 is out)
    ("from=2024-06-03T12:00:00%2B08:00&until=2024-06-03T15:00:00%2B08:00", [1, 2]),
])
async def test_each_filter(service: ServiceProcess, trail: list[Envelope[Message]], query: str,
                           picked: list[int]) -> None:
    status, body = await get(service, f"/audit?{query}")
    assert status == 200, body
    assert ids(body) == expect([trail[i] for i in picked])


async def test_pages_follow_each_other_without_gap_or_overlap(
        service: ServiceProcess, trail: list[Envelope[Message]]) -> None:
    seen: list[str] = []
    path = "/audit?limit=2"
    for _ in range(3):
        status, body = await get(service, path)
        assert status == 200 and len(body["entries"]) <= 2
        seen += ids(body)
        if body["next_cursor"] is None:
            break
        path = f"/audit?limit=2&cursor={body['next_cursor']}"
    assert seen == expect(trail) and body["next_cursor"] is None


@pytest.mark.parametrize(("query", "code"), [
    ("worker=W", "unknown_parameter"),
    ("from=yesterday", "invalid_instant"),
    ("from=2024-06-03T00:00:00Z&until=2024-06-02T00:00:00Z", "invalid_range"),
    ("limit=1001", "out_of_range"),
    ("cursor=abc", "invalid_cursor"),
    ("actor=a&actor=b", "repeated_parameter"),
])
async def test_bad_parameters_are_refused(service: ServiceProcess, query: str, code: str
                                          ) -> None:
    status, body = await get(service, f"/audit?{query}")
    assert (status, body["reason_code"]) == (400, code), body


async def test_the_openapi_document_describes_audit(service: ServiceProcess) -> None:
    _, doc = await get(service, "/openapi.json")
    names = {p["name"] for p in doc["paths"]["/audit"]["get"]["parameters"]}
    assert {"actor", "worker_id", "cycle_id", "from", "until", "limit", "cursor"} <= names


async def test_wic_audit_merges_and_names_the_services_that_do_not_answer(
        service: ServiceProcess, trail: list[Envelope[Message]]) -> None:
    silent = f"http://127.0.0.1:{free_port()}"
    urls = {"registration": service.url, "clearing": silent}
    out, err = io.StringIO(), io.StringIO()
    as_auditor = functools.partial(wic_audit._get, token=reader_token())
    code = await asyncio.to_thread(wic_audit.audit, urls, {"worker_id": W1}, 100, False,
                                   out, err, as_auditor)
    assert code == 1
    assert f"clearing DID NOT ANSWER ({silent}" in err.getvalue()
    lines = out.getvalue().splitlines()
    assert "refused ApplyForRegistration (change_locked)" in lines[1]
    assert lines[-1] == "3 entries from registration"


async def test_verify_rebuilds_the_trail_and_names_a_changed_row(
        trail: list[Envelope[Message]], bootstrap: str, prefix: str, database_url: str) -> None:
    settings = Settings(bootstrap=bootstrap, database_url=database_url, topic_prefix=prefix)
    out = io.StringIO()
    assert await verify(settings, "registration_audit", out=out, err=io.StringIO()) == 0, \
        out.getvalue()
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE registration.audit_trail SET actor_id = 'staff:nobody'"
                           " WHERE event_id = $1", trail[4].event_id)
        out = io.StringIO()
        assert await verify(settings, "registration_audit", out=out, err=io.StringIO()) == 1
        assert "audit_trail" in out.getvalue() and "DIFFERS" in out.getvalue()
    finally:
        await conn.execute("UPDATE registration.audit_trail SET actor_id = $2"
                           " WHERE event_id = $1", trail[4].event_id, REVIEWER.id)
        await conn.close()


async def test_the_other_services_trails_hold_their_actors_and_subjects(
        bus: Bus, bootstrap: str, prefix: str, database_url: str) -> None:
    """Encounter, settlement and clearing, each trail run as its service runs it."""
    settings = Settings(bootstrap=bootstrap, database_url=database_url, topic_prefix=prefix)
    admission = env(samples.admission(W1, "H37020200001", "ZY-1", date(2024, 6, 1)), W1,
                    actor=HOSPITAL)
    line = derived(admission, ChargeLineRecorded(encounter_id="H37020200001:ZY-1",
                                                 line=samples.line(1, date(2024, 6, 1))), W1)
    pay = env(b.approve(W1), W1, actor=REVIEWER)  # stands for PayClaim
    paid = derived(pay, ClaimPaid(claim_id="C-1", worker_id=W1, employer_id=None,
                                  insured_region="370100", payee=Payee.WORKER,
                                  channel=PaymentChannel.BANK_TRANSFER, amount_fen=100,
                                  paid_on=date(2024, 6, 3)), W1)
    posted = derived(paid, LedgerPosted(ledger_seq=0, kind=PostingKind.CLAIM_PAID,
                                        reference="C-1", cause_event_id=paid.event_id,
                                        cause_type="ClaimPaid", business_date=date(2024, 6, 3)),
                     "ledger")
    closed = env(ClearingCycleClosed(ledger_seq=1, cycle_id="CY-1", month="2024-05",
                                     scope="intra_provincial", lines=(), nets=(),
                                     closed_on=date(2024, 6, 3)), "ledger")
    await bus.send(topics.ENCOUNTER_EVENTS, line)
    await bus.send(topics.SETTLEMENT_EVENTS, paid)
    await bus.send_many(topics.CLEARING_EVENTS, [posted, closed])
    for projection, schema, rows in ((ENCOUNTER_AUDIT, "encounter", 1),
                                     (SETTLEMENT_AUDIT, "settlement", 1),
                                     (CLEARING_AUDIT, "clearing", 2)):
        runner = ProjectionRunner(projection, bootstrap, database_url, schema, prefix=prefix,
                                  group=f"{prefix}audit-{uuid.uuid4().hex[:6]}")
        ends = await end_offsets(settings, projection.topics)
        await asyncio.wait_for(runner.run(asyncio.Event(), until=ends), 30)
        assert runner.progress.applied == rows
    conn = await asyncpg.connect(database_url)
    try:
        enc = await conn.fetchrow("SELECT * FROM encounter.audit_trail")
        assert (enc["actor_id"], enc["actor_institution"]) == (HOSPITAL.id, "H37020200001")
        assert (enc["encounter_id"], enc["institution_id"], enc["worker_id"]) == (
            "H37020200001:ZY-1", "H37020200001", W1)
        claim = await conn.fetchrow("SELECT * FROM settlement.audit_trail")
        assert (claim["actor_id"], claim["claim_id"], claim["causation_id"]) == (
            REVIEWER.id, "C-1", pay.event_id)
        ledger = await conn.fetch("SELECT * FROM clearing.audit_trail ORDER BY log_offset")
        assert [(r["event_type"], r["actor_id"], r["claim_id"], r["cycle_id"]) for r in ledger] \
            == [("LedgerPosted", REVIEWER.id, "C-1", None), ("ClearingCycleClosed", None, None,
                                                            "CY-1")]
        assert ledger[0]["correlation_id"] == pay.event_id  # the act that started it all
    finally:
        await conn.close()

