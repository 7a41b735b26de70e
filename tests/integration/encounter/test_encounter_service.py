"""The encounter service against the real broker and database: every SD-ENC rule by id, the
pilot boundaries, a catalog change mid-encounter, resends, other institutions, replay."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from contracts import envelope, topics, wire
from contracts.deadletter import MessageDeadLettered
from contracts.decision import Rejected
from contracts.encounter import (
    AdmissionAnswered,
    CareType,
    RecordAdmission,
    hospital_source,
)
from contracts.reference import CatalogKind
from contracts.replies import MessageRejected
from contracts.runtime.projection import ProjectionRunner
from contracts.settings import Settings, kafka_security
from infra.migrate import sql_text
from ops.reference import files_under, publish, read_envelopes
from services.encounter.adapters.projection import PROJECTIONS, SCHEMA, TABLES
from services.encounter.domain.handlers import HANDLERS, Context
from services.encounter.domain.state import WorkerState
from tests.integration.encounter.helpers import body, get, post, wait_for
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess
from tests.unit.encounter.samples import (
    SAMPLE,
    admission,
    at,
    charge,
    coverage,
    discharge,
    line,
    sample_book,
    worker_id,
)

pytestmark = pytest.mark.integration

N = uuid.uuid4().int % 9000
W1, W2, W3, W4, W5 = (worker_id(N + i) for i in range(5))
JN, D0 = "H370100001", date(2024, 6, 25)
COVERAGES = [
    coverage(W1, "370100", insured="370700"),  # Weifang worker treated in Jinan
    coverage(W3, "320100", insured="370100"),  # Jinan worker treated in Nanjing (pilot)
    coverage(W4, "370000", insured="370100"),  # whole province, insured Jinan
    coverage(W5, "320100", insured="370100"),
]


@pytest.fixture(scope="module")
async def service(prefix: str, database_url: str, bootstrap: str, bus: Bus, log_dir: Path
                  ) -> AsyncIterator[ServiceProcess]:
    await publish(read_envelopes(files_under(SAMPLE)), Settings(bootstrap, database_url, prefix))
    for cov in COVERAGES:
        await bus.send(topics.REGISTRATION_COVERAGE, envelope.new(
            cov, key=cov.worker_id, occurred_at=at(date(2024, 1, 1)), source="registration"))
    proc = ServiceProcess("encounter", prefix=prefix, database_url=database_url,
                          bootstrap=bootstrap, log_dir=log_dir).start()
    try:
        await wait_for(proc.url, "/reference/status", lambda r: r["ready"])
        for cov in COVERAGES:
            await wait_for(proc.url, f"/workers/{cov.worker_id}/coverage", lambda _: True)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def url(service: ServiceProcess) -> Iterator[str]:
    yield service.url


async def admit(url: str, cmd: RecordAdmission) -> dict[str, object]:
    status, got = await post(url, cmd.institution_id, body(cmd))
    assert status == 200, got
    assert got["type"] == "AdmissionAnswered"
    return got["reply"]


@pytest.mark.parametrize(("worker", "inst", "care", "reasons"), [
    (W1, JN, CareType.INPATIENT, []),  # SD-ENC-1 valid registration
    (W2, JN, CareType.INPATIENT, ["no_valid_registration"]),  # SD-ENC-1
    (W1, JN, CareType.OUTPATIENT, []),  # SD-ENC-2 outpatient inside the province
    (W4, JN, CareType.INPATIENT, ["treated_at_insured_place"]),  # SD-REG-8
    (W4, "H370700002", CareType.INPATIENT, ["institution_not_enabled"]),  # SD-ENC-7
    (W5, "H320100001", CareType.OUTPATIENT, ["cross_provincial_outpatient"]),  # SD-ENC-3
    (W5, "H320100001", CareType.ASSISTIVE_DEVICE, []),  # SD-ENC-3
    (W5, "H320100002", CareType.INPATIENT, ["institution_not_cross_provincial"]),
])
async def test_sd_enc_1_2_3_7_admission_answers_over_http(
        url: str, worker: str, inst: str, care: CareType, reasons: list[str]) -> None:
    no = f"A{uuid.uuid4().hex[:8]}"
    insured = "370700" if worker in (W1, W2) else "370100"
    reply = await admit(url, admission(worker, inst, no, D0, insured=insured, care=care))
    assert reply["not_direct_reasons"] == reasons
    assert reply["direct_settlement"] is (not reasons)


async def test_sd_enc_4_third_party_liability_not_direct(url: str) -> None:
    reply = await admit(url, admission(W1, JN, "TP1", D0, third_party=True))
    assert reply["not_direct_reasons"] == ["third_party_liability"]


async def test_sd_reg_7_card_mismatch_refused_and_dead_lettered(url: str, bus: Bus) -> None:
    status, got = await post(url, JN, body(admission(W1, JN, "CM1", D0, card="SSC999999999")))
    assert status == 422 and got["reason_code"] == "card_mismatch"
    letters = await bus.read(topics.ENCOUNTER_DEADLETTERS, lambda seen: any(
        e.payload.reason_code == "card_mismatch" for e in seen))  # type: ignore[attr-defined]
    assert any(b"SSC999999999" in e.payload.original_value()  # type: ignore[attr-defined]
               for e in letters)


async def test_sd_pilot_boundaries_over_kafka(url: str, bus: Bus) -> None:
    """SD-PILOT: 2024-03-31 no, 2024-04-01 yes, 2025-03-31 yes, 2025-04-01 no."""
    days = [date(2024, 3, 31), date(2024, 4, 1), date(2025, 3, 31), date(2025, 4, 1)]
    sent = {}
    for day in days:
        cmd = admission(W3, "H320100001", f"P{day:%Y%m%d}", day, insured="370100")
        env = envelope.new(cmd, key=W3, occurred_at=cmd.admitted_at,
                           source=hospital_source("H320100001"))
        await bus.send(topics.HOSPITAL_MESSAGES, env)
        sent[env.event_id] = day
    replies = await bus.read(topics.HOSPITAL_REPLIES, lambda seen: sum(
        e.causation_id in sent for e in seen) == 4)
    answers = {sent[e.causation_id]: e.payload for e in replies if e.causation_id in sent}
    assert all(isinstance(a, AdmissionAnswered) for a in answers.values())
    assert [answers[d].direct_settlement for d in days] == [False, True, True, False]  # type: ignore[attr-defined]
    assert answers[days[0]].not_direct_reasons == ("not_in_pilot",)  # type: ignore[attr-defined]


async def test_catalog_change_mid_encounter_lines_and_read_model(url: str) -> None:
    """SD-ENC-6: Jinan medical_item v2 from 2024-07-01 withdraws MI-002, adds MI-006."""
    await admit(url, admission(W1, JN, "CAT1", D0))
    ok = [line(1, date(2024, 6, 30), "MI-002", price=15000),
          line(2, date(2024, 7, 1), "MI-006", price=90000),
          line(3, date(2024, 7, 2), "SS-BED", price=6000, qty="2",
               kind=CatalogKind.SERVICE_STANDARD)]
    for ln in ok:
        status, got = await post(url, JN, body(charge(W1, JN, "CAT1", ln)))
        assert status == 200, got
    status, got = await post(url, JN, body(charge(W1, JN, "CAT1",
                                                  line(4, date(2024, 7, 1), "MI-002"))))
    assert status == 422 and got["reason_code"] == "unknown_catalog_code"
    status, got = await post(url, JN, body(discharge(W1, JN, "CAT1", date(2024, 7, 3))))
    assert status == 200 and "EncounterDischarged" in got["reply"]["detail"]
    enc = await wait_for(url, f"/encounters/{JN}:CAT1", lambda e: e["status"] == "discharged")
    assert enc["submitted_fen"] == 15000 + 90000 + 12000 and enc["line_count"] == 3
    assert [ln["item_code"] for ln in enc["lines"]] == ["MI-002", "MI-006", "SS-BED"]


async def test_events_after_discharge_refused_unless_post_discharge_correction(url: str) -> None:
    await admit(url, admission(W1, JN, "PD1", D0))
    await post(url, JN, body(charge(W1, JN, "PD1", line(1, D0))))
    await post(url, JN, body(discharge(W1, JN, "PD1", date(2024, 6, 27))))
    status, got = await post(url, JN, body(charge(W1, JN, "PD1", line(2, D0))))
    assert status == 422 and got["reason_code"] == "encounter_discharged"
    status, got = await post(url, JN, body(charge(W1, JN, "PD1", line(2, D0), post=True,
                                                  message_id="pd-fix")))
    assert status == 200 and "DischargedEncounterCorrected" in got["reply"]["detail"]
    enc = await wait_for(url, f"/encounters/{JN}:PD1", lambda e: e["revision"] == 1)
    assert enc["line_count"] == 2


async def test_duplicate_and_modified_resends(url: str) -> None:
    await admit(url, admission(W1, JN, "DUP1", D0))
    cmd = charge(W1, JN, "DUP1", line(1, D0), message_id="dup-line-1")
    first = await post(url, JN, body(cmd))
    again = await post(url, JN, body(cmd))
    assert first[0] == again[0] == 200 and "duplicate" in again[1]["reply"]["detail"]
    modified = charge(W1, JN, "DUP1", line(1, D0, qty="4"), message_id="dup-line-1")
    status, got = await post(url, JN, body(modified))
    assert status == 422 and got["reason_code"] == "modified_request"
    enc = await wait_for(url, f"/encounters/{JN}:DUP1", lambda e: e["line_count"] == 1)
    assert enc["submitted_fen"] == 2500 and enc["lines"][0]["quantity"] in ("1", 1, "1.0")


async def test_sd_enc_5_messages_sent_back_to_back_decided_in_log_order(url: str, bus: Bus
                                                                        ) -> None:
    """SD-ENC-5 (lines add up, discharge closes) when the agent takes the whole encounter in
    one batch: every message sees the state its predecessors left, the two resends of a line
    are recognised inside the same batch, and the events come out in the hospital's order."""
    no = f"BB{uuid.uuid4().hex[:6]}"
    lines = [line(n, D0, price=1000 * n) for n in (1, 2, 3)]
    cmds = [admission(W1, JN, no, D0), *(charge(W1, JN, no, ln) for ln in lines),
            charge(W1, JN, no, lines[1]), discharge(W1, JN, no, date(2024, 6, 27))]
    envs = [envelope.new(c, key=W1, occurred_at=at(D0), source=hospital_source(JN))
            for c in cmds]
    await bus.send_many(topics.HOSPITAL_MESSAGES, envs)
    ids = {e.event_id for e in envs}
    replies = await bus.read(topics.HOSPITAL_REPLIES, lambda seen: sum(
        e.causation_id in ids for e in seen) == len(envs))
    by_cause = {e.causation_id: e.payload for e in replies if e.causation_id in ids}
    assert not [r for r in by_cause.values() if isinstance(r, MessageRejected)], by_cause
    assert "duplicate" in by_cause[envs[4].event_id].detail  # type: ignore[attr-defined]
    recorded = await bus.read(topics.ENCOUNTER_EVENTS, lambda seen: any(
        e.type == "EncounterDischarged" and e.causation_id == envs[-1].event_id for e in seen))
    ours = [e for e in recorded if e.causation_id in ids]
    assert [e.type for e in ours] == ["EncounterAdmitted", *["ChargeLineRecorded"] * 3,
                                      "EncounterDischarged"]
    closed = ours[-1].payload.encounter  # type: ignore[attr-defined]
    assert [ln.line_no for ln in closed.lines] == [1, 2, 3]
    assert sum(ln.amount_fen for ln in closed.lines) == 6000


async def test_coverage_snapshot_for_another_key_is_dead_lettered(bus: Bus, url: str) -> None:
    """A registration-coverage record whose snapshot is not the key's worker is not kept
    (the table is looked up by key): dead-lettered `key_mismatch` by the shared runner (its
    Kafka key is not its envelope's key; issue 15: the key check exists once)."""
    snap = coverage(W2, "370100")
    env = envelope.new(snap, key=W2, occurred_at=at(D0), source="registration")
    await bus.send_raw(topics.REGISTRATION_COVERAGE, wire.encode(env), key=W3.encode())
    letters = await bus.read(topics.ENCOUNTER_DEADLETTERS, lambda seen: any(
        e.payload.original_event_id == env.event_id for e in seen))  # type: ignore[attr-defined]
    [letter] = [e.payload for e in letters
                if e.payload.original_event_id == env.event_id]  # type: ignore[attr-defined]
    assert letter.reason_code == "key_mismatch"  # type: ignore[attr-defined]
    status, kept = await get(url, f"/workers/{W3}/coverage")
    assert status == 200 and kept["worker_id"] == W3  # W3's own snapshot, not overwritten


async def test_issue_16_the_authenticated_hospital_is_the_actor_of_what_it_caused(
        url: str, bus: Bus) -> None:
    """The HTTP ingress stamps the institution its credential belongs to on the message;
    every encounter event derived from it names that hospital. An actor in the body is
    refused: who sent it comes from the credential."""
    cmd = admission(W1, JN, "ACT1", D0)
    status, got = await post(url, JN, body(cmd))
    assert status == 200, got
    recorded = await bus.read(topics.ENCOUNTER_EVENTS, lambda seen: any(
        getattr(e.payload, "encounter_id", "").endswith("ACT1") for e in seen))
    [admitted] = [e for e in recorded if getattr(e.payload, "encounter_id", "").endswith("ACT1")]
    assert admitted.actor is not None
    assert (admitted.actor.id, admitted.actor.kind, admitted.actor.institution) == (
        hospital_source(JN), "hospital", JN)
    forged = body(admission(W1, JN, "ACT2", D0), actor={
        "id": "staff:mallory", "kind": "staff", "channel": "http"})
    status, got = await post(url, JN, forged)
    assert (status, got["reason_code"]) == (400, "actor_in_body")


async def test_another_institution_cannot_write_someone_elses_encounter(url: str, bus: Bus
                                                                        ) -> None:
    await admit(url, admission(W1, JN, "OWN1", D0))
    cmd = charge(W1, JN, "OWN1", line(1, D0), message_id="intruder")
    status, got = await post(url, JN, body(cmd), token="sample-token-H370200001")
    assert status == 403 and got["reason_code"] == "wrong_institution"
    status, got = await post(url, JN, body(cmd), token="not-a-token")
    assert status == 401
    env = envelope.new(cmd, key=W1, occurred_at=at(D0), source=hospital_source("H370200001"))
    await bus.send(topics.HOSPITAL_MESSAGES, env)
    replies = await bus.read(topics.HOSPITAL_REPLIES, lambda seen: any(
        e.causation_id == env.event_id for e in seen))
    [reply] = [e.payload for e in replies if e.causation_id == env.event_id]
    assert isinstance(reply, MessageRejected) and reply.reason_code == "wrong_institution"
    letters = await bus.read(topics.ENCOUNTER_DEADLETTERS, lambda seen: any(
        e.payload.original_event_id == env.event_id for e in seen))  # type: ignore[attr-defined]
    [letter] = [e.payload for e in letters
                if e.payload.original_event_id == env.event_id]  # type: ignore[attr-defined]
    assert isinstance(letter, MessageDeadLettered)
    assert letter.original_value() == wire.encode(env)
    enc = await wait_for(url, f"/encounters/{JN}:OWN1", lambda e: True)  # read model lags
    assert enc["line_count"] == 0


async def test_bad_input_refused_with_reason_nothing_recorded(url: str) -> None:
    status, got = await post(url, JN, body(charge(W1, JN, "NEVER", line(1, D0))))
    assert status == 422 and got["reason_code"] == "encounter_not_admitted"
    assert "resend" in got["reason"]
    await admit(url, admission(W1, JN, "BAD1", D0))
    for ln, code in [(line(1, D0, "XX-404"), "unknown_catalog_code"),
                     (line(1, D0, amount=1), "amount_mismatch"),
                     (line(1, D0, qty="20000"), "implausible_quantity")]:
        status, got = await post(url, JN, body(charge(W1, JN, "BAD1", ln,
                                                      message_id=uuid.uuid4().hex)))
        assert (status, got["reason_code"]) == (422, code)
    neg = body(charge(W1, JN, "BAD1", line(1, D0)))
    neg["payload"]["line"]["unit_price_fen"] = -5
    status, got = await post(url, JN, neg)
    assert status == 400 and got["reason_code"] == "invalid_payload"
    enc = await wait_for(url, f"/encounters/{JN}:BAD1", lambda e: True)  # read model lags
    assert enc["line_count"] == 0 and enc["submitted_fen"] == 0


async def test_openapi_document(url: str) -> None:
    status, doc = await get(url, "/openapi.json")
    assert status == 200 and "/hospital/messages" in doc["paths"]
    assert "RecordChargeLine" in doc["components"]["schemas"]


async def _ends(bootstrap: str, prefix: str, topic: topics.Topic) -> dict[tuple[str, int], int]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_security())
    await consumer.start()
    try:
        tps = [TopicPartition(topic.name(prefix), p) for p in range(topic.partitions)]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): off for tp, off in ends.items()}


async def test_replay_reproduces_encounter_states(url: str, prefix: str, database_url: str,
                                                  bootstrap: str, bus: Bus) -> None:
    """Rebuild the read model from offset zero into a fresh schema: identical rows. And
    re-deciding every hospital message from the log derives the very same events."""
    await wait_for(url, f"/encounters/{JN}:PD1", lambda e: e["revision"] == 1)
    ends = await _ends(bootstrap, prefix, topics.ENCOUNTER_EVENTS)
    live = await bus.read(topics.ENCOUNTER_EVENTS, lambda seen: len(seen) >= sum(ends.values()))
    runner = ProjectionRunner(PROJECTIONS[0], bootstrap, database_url, "replay_encounter",
                              prefix=prefix, group=f"{prefix}replay-{uuid.uuid4().hex[:6]}")
    conn = await asyncpg.connect(database_url)
    try:
        sql_dir = Path(__file__).resolve().parents[3] / "services/encounter/adapters/sql"
        sql = "".join(sql_text(f) for f in sorted(sql_dir.glob("*.sql")))  # every migration
        await conn.execute("CREATE SCHEMA replay_encounter; SET search_path TO replay_encounter;"
                           + sql)
        await asyncio.wait_for(runner.run(asyncio.Event(), until=ends), 30)
        for table in TABLES[:2]:  # the audit trail is another projection, not rebuilt here
            order = "encounter_id, line_no" if table == "charge_lines" else "encounter_id"
            rows = {schema: [dict(r) for r in await conn.fetch(
                f"SELECT * FROM {schema}.{table} ORDER BY {order}")]
                for schema in (SCHEMA, "replay_encounter")}
            assert rows[SCHEMA] == rows["replay_encounter"] and rows[SCHEMA]
    finally:
        await conn.execute("DROP SCHEMA IF EXISTS replay_encounter CASCADE")
        await conn.close()
    # Re-decide: the hospital messages through the same pure code derive the same events.
    m_ends = await _ends(bootstrap, prefix, topics.HOSPITAL_MESSAGES)
    messages = await bus.read(topics.HOSPITAL_MESSAGES,
                              lambda seen: len(seen) >= sum(m_ends.values()))
    book, states = sample_book(), dict[str, WorkerState]()
    covs = {c.worker_id: c for c in COVERAGES}
    rederived = set()
    for env in messages:
        if type(env.payload) not in HANDLERS:
            continue  # refused unexpected_type by the runner
        try:
            out = HANDLERS[type(env.payload)](states.get(env.key, WorkerState()), env,
                                              Context(covs.get(env.key), book))
        except Rejected:
            continue
        if out.state is not None:
            states[env.key] = out.state
        rederived |= {o.envelope.event_id for o in out.events}
    assert rederived == {e.event_id for e in live}
