"""End to end, issue 16: every act names the person or system that did it, in order.

The four services run as processes against the real broker and database. Everything
goes through the public interfaces, as the agency's staff and a hospital would use them:
staff send `POST /commands` with tokens of the local identity provider, the hospital
posts `POST /hospital/messages` with its institution's credential, and `wic audit` (the
operator's CLI) reads the trail back from the four services' `GET /audit`.

The story: clerk 1 registers a Qingdao worker for a residence in Zibo, a reviewer
approves (the clerk, who also holds the reviewer role, may not approve her own
application: four-eyes), clerk 2 moves the registration to Jinan after the lock
(SD-REG-5); a Jinan hospital admits, charges and discharges the worker (settled directly,
SD-ENC-1); another hospital's credential cannot write for it; the May cycle between Jinan
and Qingdao is closed, each side's clearing officer confirms, neither may settle, and a
third officer settles it (SD-FUND-2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from contracts import clearing as cl
from contracts import encounter as enc
from contracts import envelope, wire
from contracts import registration as reg
from contracts.actor import Actor, ActorKind, Channel, Role
from contracts.message import Command
from infra.services import ServiceProcess
from ops.demo import world as w
from ops.demo.client import get_json, post_json
from ops.demo.registrations import application
from tests.support.identity import token_for
from tests.support.processes import ROOT, stack_fixture
from tests.unit.encounter.samples import SAMPLE

pytestmark = pytest.mark.e2e

JINAN_HOSPITAL = w.HOSPITAL[w.JINAN]
QINGDAO_HOSPITAL = w.HOSPITAL[w.QINGDAO]
CYCLE = cl.cycle_id("2024-05", w.JINAN, w.QINGDAO)
RUN = uuid.uuid4().hex[:6]  # people and ids unique per run (the tests share the broker)


def person(name: str, shown: str, roles: tuple[Role, ...], region: str) -> Actor:
    return Actor(id=f"staff:{name}.{RUN}", kind=ActorKind.STAFF, channel=Channel.HTTP,
                 name=shown, roles=roles, regions=(region,))


CLERK_1 = person("clerk1", "张伟", (Role.REGISTRATION_CLERK, Role.REGISTRATION_REVIEWER),
                 w.QINGDAO)
CLERK_2 = person("clerk2", "刘洋", (Role.REGISTRATION_CLERK,), w.QINGDAO)
REVIEWER = person("reviewer", "王强", (Role.REGISTRATION_REVIEWER,), w.QINGDAO)
OFFICER_JINAN = person("officer.jn", "陈静", (Role.CLEARING_OFFICER,), w.JINAN)
OFFICER_QINGDAO = person("officer.qd", "杨帆", (Role.CLEARING_OFFICER,), w.QINGDAO)
SETTLER = person("settler", "周宇", (Role.CLEARING_OFFICER,), w.SHANDONG)
AUDITOR = person("auditor", "钱慧", (Role.AUDITOR,), w.SHANDONG)
HOSPITAL = f"hospital:{JINAN_HOSPITAL}"


@pytest.fixture(scope="module")
def worker() -> w.Worker:
    return w.Cast(seed=uuid.uuid4().int % 10_000).worker(w.QINGDAO, "audited")


stack = stack_fixture(SAMPLE)


def command(stack: dict[str, ServiceProcess], service: str, actor: Actor, cmd: Command,
            key: str, when: datetime) -> tuple[int, dict[str, Any]]:
    """What a member of staff's desk sends: the envelope, and the token; never the actor."""
    env = envelope.new(cmd, key=key, source=f"desk-{service}", occurred_at=when)
    return post_json(f"{stack[service].url}/commands", json.loads(wire.encode(env)),
                     token=token_for(actor), timeout=30)


def accepted(answer: tuple[int, dict[str, Any]]) -> None:
    status, body = answer
    assert status in (200, 201) and body.get("status") == "accepted", (status, body)


def refused(answer: tuple[int, dict[str, Any]], status: int, code: str) -> None:
    assert (answer[0], answer[1].get("reason_code")) == (status, code), answer


def hospital(stack: dict[str, ServiceProcess], cmd: enc.Command, when: datetime,
             credential: str) -> tuple[int, dict[str, Any]]:
    body = {"type": cmd.message_type, "schema_version": cmd.version, "occurred_at":
            when.isoformat(), "payload": cmd.model_dump(mode="json")}
    return post_json(f"{stack['encounter'].url}/hospital/messages", body,
                     token=f"sample-token-{credential}", timeout=30)


def until(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if got := check():
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def wic_audit(stack: dict[str, ServiceProcess], *filters: str) -> list[dict[str, Any]]:
    urls = [f"--url={name}={proc.url}" for name, proc in stack.items()]
    proc = subprocess.run([sys.executable, "-m", "wic", "audit", "--json", "--limit", "1000",
                           *urls, *filters], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False,
                          env={**os.environ, "WIC_TOKEN": token_for(AUDITOR)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout)["entries"]


def audit_until(stack: dict[str, ServiceProcess], done: Callable[[list[dict[str, Any]]], bool],
                *filters: str) -> list[dict[str, Any]]:
    """`wic audit` with `filters`, asked again until `done` holds (the trails are read
    models: they catch up with the log)."""
    def ask() -> list[dict[str, Any]] | None:
        entries = wic_audit(stack, *filters)
        return entries if done(entries) else None
    return until("the audit trails to catch up", ask)


def acts(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["actor"]["id"] if e.get("actor") else "-", e["event_type"]) for e in entries]


@pytest.fixture(scope="module")
def story(stack: dict[str, ServiceProcess], worker: w.Worker) -> dict[str, ServiceProcess]:
    """Everything the people do, checking each answer on the way."""
    wid, rid = worker.worker_id, f"BA20240110{RUN.upper()}"
    apply = application(worker, rid, reg.RegistrationType.LONG_TERM_RESIDENCE, w.ZIBO,
                        date(2024, 1, 10))
    accepted(command(stack, "registration", CLERK_1, apply, wid, w.at(date(2024, 1, 10))))
    approve = reg.ApproveRegistration(registration_id=rid, worker_id=wid)
    refused(command(stack, "registration", CLERK_1, approve, wid, w.at(date(2024, 1, 11))),
            403, "four_eyes")
    refused(command(stack, "registration", CLERK_2, approve, wid, w.at(date(2024, 1, 11))),
            403, "forbidden_role")
    accepted(command(stack, "registration", REVIEWER, approve, wid, w.at(date(2024, 1, 11))))
    move = reg.ChangeRegistration(registration_id=rid, worker_id=wid, treatment_region=w.JINAN,
                                  reason="moved to Jinan")
    accepted(command(stack, "registration", CLERK_2, move, wid, w.at(date(2024, 4, 10))))
    until("encounter to know the registration", lambda: get_json(
        f"{stack['encounter'].url}/workers/{wid}/coverage",
        token=f"sample-token-{JINAN_HOSPITAL}")[0] == 200)

    no = f"ZY20240506{RUN.upper()}"
    common = dict(institution_id=JINAN_HOSPITAL, encounter_no=no, worker_id=wid)
    admitted = w.at(date(2024, 5, 6), 8)
    admission = enc.RecordAdmission(
        message_id=f"{no}-1", **common, social_security_card=worker.card,
        insured_region=worker.insured_region, care_type=enc.CareType.INPATIENT,
        admitted_at=admitted, diagnosis_code="S82.201")
    status, body = hospital(stack, admission, admitted, JINAN_HOSPITAL)
    assert status == 200 and body["reply"]["direct_settlement"], (status, body)

    line = enc.ChargeLine(line_no=1, catalog_kind=enc.CatalogKind.MEDICAL_ITEM,
                          item_code="MI-002", quantity=Decimal(1), unit_price_fen=12000,
                          amount_fen=12000, service_date=date(2024, 5, 7), injury_related=True)
    charged = w.at(date(2024, 5, 7), 10)
    status, body = hospital(stack, enc.RecordChargeLine(message_id=f"{no}-2", **common,
                                                        line=line), charged, JINAN_HOSPITAL)
    assert status == 200, body
    forged = enc.RecordChargeLine(message_id=f"{no}-X", **common, line=line.model_copy(
        update={"line_no": 2, "quantity": Decimal(9), "amount_fen": 108000}))
    refused(hospital(stack, forged, charged, QINGDAO_HOSPITAL), 403, "wrong_institution")
    out = w.at(date(2024, 5, 15), 16)
    status, body = hospital(stack, enc.RecordDischarge(message_id=f"{no}-3", **common,
                                                       discharged_at=out), out, JINAN_HOSPITAL)
    assert status == 200, body

    until(f"cycle {CYCLE} to hold the settlement", lambda: any(
        c["cycle_id"] == CYCLE for c in get_json(
            f"{stack['clearing'].url}/cycles?month=2024-05", token=token_for(SETTLER))[1]))
    key = CYCLE
    accepted(command(stack, "clearing", SETTLER, cl.CloseCycle(
        cycle_id=CYCLE, closed_on=date(2024, 6, 3)), key, w.at(date(2024, 6, 3), 15)))
    for officer, region in ((OFFICER_JINAN, w.JINAN), (OFFICER_QINGDAO, w.QINGDAO)):
        accepted(command(stack, "clearing", officer, cl.ConfirmCycle(
            cycle_id=CYCLE, region=region, confirmed_on=date(2024, 6, 5)), key,
            w.at(date(2024, 6, 5), 15)))
    settle = cl.SettleCycle(cycle_id=CYCLE, settled_on=date(2024, 6, 7))
    for officer in (OFFICER_JINAN, OFFICER_QINGDAO):
        refused(command(stack, "clearing", officer, settle, key, w.at(date(2024, 6, 7), 15)),
                403, "four_eyes")
    accepted(command(stack, "clearing", SETTLER, settle, key, w.at(date(2024, 6, 7), 16)))
    return stack


@pytest.fixture(scope="module")
def trail(story: dict[str, ServiceProcess], worker: w.Worker) -> Iterator[list[dict[str, Any]]]:
    yield audit_until(story, lambda got: any(
        e["event_type"] == "EncounterSettled" for e in got),
        f"--worker-id={worker.worker_id}")


def test_the_worker_s_trail_names_each_person_in_order(trail: list[dict[str, Any]]) -> None:
    """Issue 16: the clerks, the reviewer and the hospital, in business-time order; the
    refused approvals are recorded with who tried."""
    registration = [(a, t) for a, t in acts(trail) if t.startswith("Registration")]
    assert registration == [(CLERK_1.id, "RegistrationApplied"),
                            (REVIEWER.id, "RegistrationApproved"),
                            (CLERK_2.id, "RegistrationChanged")]
    hospital_acts = [(a, t) for a, t in acts(trail) if t.startswith(("Encounter", "ChargeLine"))]
    # the direct settlement (SD-ENC-1) follows from the hospital's discharge: its act
    assert hospital_acts == [(HOSPITAL, "EncounterAdmitted"), (HOSPITAL, "ChargeLineRecorded"),
                             (HOSPITAL, "EncounterDischarged"), (HOSPITAL, "EncounterSettled")]
    refusals = [(e["actor"]["id"], e["reason_code"]) for e in trail if e.get("reason_code")]
    assert (CLERK_1.id, "four_eyes") in refusals and (CLERK_2.id, "forbidden_role") in refusals
    times = [e["occurred_at"] for e in trail]
    assert [datetime.fromisoformat(t) for t in times] == sorted(
        datetime.fromisoformat(t) for t in times)


def test_the_approval_names_the_reviewer_not_the_body(trail: list[dict[str, Any]]) -> None:
    """Issue 16: who approved is the authenticated reviewer, with name, role and region."""
    [approval] = [e for e in trail if e["event_type"] == "RegistrationApproved"]
    assert approval["actor"]["name"] == "王强"
    assert approval["actor"]["roles"] == ["registration_reviewer"]
    assert approval["actor"]["channel"] == "http"


def test_the_cycle_s_trail_names_the_closer_both_confirmers_and_the_settler(
        story: dict[str, ServiceProcess]) -> None:
    """Issue 16 / SD-FUND-2: each side confirms through its own officer, a third settles;
    the officers' refused settlements are on the trail too (four-eyes)."""
    entries = audit_until(story, lambda got: any(
        e["event_type"] == "ClearingCycleSettled" for e in got),
        f"--cycle-id={CYCLE}", "--service=clearing")
    done = [(a, t) for a, t in acts(entries) if t.startswith("ClearingCycle")]
    assert done == [(SETTLER.id, "ClearingCycleClosed"),
                    (OFFICER_JINAN.id, "ClearingCycleConfirmed"),
                    (OFFICER_QINGDAO.id, "ClearingCycleConfirmed"),
                    (SETTLER.id, "ClearingCycleSettled")]
    refusals = {(e["actor"]["id"], e["reason_code"]) for e in entries if e.get("reason_code")}
    assert refusals == {(OFFICER_JINAN.id, "four_eyes"), (OFFICER_QINGDAO.id, "four_eyes")}


def test_a_hospital_cannot_write_for_another_institution(
        story: dict[str, ServiceProcess], trail: list[dict[str, Any]]) -> None:
    """Issue 16: the Qingdao hospital's credential posting a line for the Jinan encounter is
    refused 403 and nothing is recorded: the encounter has only its own one line; the
    refusal is on encounter's trail under the hospital that tried."""
    lines = [e for e in trail if e["event_type"] == "ChargeLineRecorded"]
    assert len(lines) == 1 and lines[0]["actor"]["id"] == HOSPITAL
    tried = audit_until(story, bool, f"--actor=hospital:{QINGDAO_HOSPITAL}",
                        "--service=encounter")
    assert [(e["event_type"], e["reason_code"]) for e in tried] == [
        ("MessageDeadLettered", "wrong_institution")]
    assert tried[0]["actor"]["institution"] == QINGDAO_HOSPITAL


def read(story: dict[str, ServiceProcess], service: str, path: str,
         token: str | None) -> tuple[int, Any]:
    return get_json(f"{story[service].url}{path}", token=token)


def code(answer: tuple[int, Any]) -> tuple[int, str | None]:
    status, body = answer
    return status, body.get("reason_code") if isinstance(body, dict) else None


def test_reads_are_authorized_by_role_region_and_institution(
        story: dict[str, ServiceProcess], worker: w.Worker) -> None:
    """Issue 16 item 6: personal data and balances only for the roles and regions that may
    see them, hospitals only their own encounters; no token is 401 on every service."""
    wid, rid = worker.worker_id, f"BA20240110{RUN.upper()}"
    eid = enc.encounter_id(JINAN_HOSPITAL, f"ZY20240506{RUN.upper()}")
    beijing_clerk = person("clerk.bj", "北京", (Role.REGISTRATION_CLERK,), "110100")
    beijing_finance = person("finance.bj", "北京", (Role.FINANCE,), "110100")
    jinan, qingdao = f"sample-token-{JINAN_HOSPITAL}", f"sample-token-{QINGDAO_HOSPITAL}"
    for service, path in (("registration", f"/registrations/{rid}"),
                          ("encounter", f"/encounters/{eid}"),
                          ("settlement", f"/encounters/{eid}/settlement"),
                          ("clearing", f"/cycles/{CYCLE}/statement"),
                          ("clearing", "/audit")):
        assert code(read(story, service, path, None)) == (401, "unauthenticated"), path

    # registrations: the clerks of the worker's places, not another region nor another job
    assert read(story, "registration", f"/registrations/{rid}", token_for(CLERK_2))[0] == 200
    assert code(read(story, "registration", f"/workers/{wid}/history",
                     token_for(beijing_clerk))) == (403, "forbidden_region")
    assert code(read(story, "registration", f"/registrations/{rid}",
                     token_for(OFFICER_JINAN))) == (403, "forbidden_role")

    # encounters: the hospital that treated, not another one; lists only its own
    status, body = read(story, "encounter", f"/encounters/{eid}", jinan)
    assert status == 200 and body["institution_id"] == JINAN_HOSPITAL, body
    assert code(read(story, "encounter", f"/encounters/{eid}", qingdao)) == (
        403, "forbidden_institution")
    assert read(story, "encounter", f"/encounters?worker_id={wid}", qingdao) == (
        200, {"encounters": []})
    assert [e["encounter_id"] for e in read(story, "encounter", f"/encounters?worker_id={wid}",
                                            jinan)[1]["encounters"]] == [eid]
    assert code(read(story, "settlement", f"/encounters/{eid}/settlement", jinan))[0] == 401

    # money: each side's officer reads its cycle; Beijing's finance neither sees nor lists it
    status, body = read(story, "clearing", f"/cycles/{CYCLE}/statement",
                        token_for(OFFICER_QINGDAO))
    assert status == 200 and body["cycle_id"] == CYCLE, body
    assert code(read(story, "clearing", f"/cycles/{CYCLE}/statement",
                     token_for(beijing_finance))) == (403, "forbidden_region")
    assert CYCLE not in [c["cycle_id"] for c in read(
        story, "clearing", "/cycles?month=2024-05", token_for(beijing_finance))[1]]
    assert code(read(story, "clearing", f"/accounts/fund:{w.QINGDAO}/balance",
                     token_for(beijing_finance))) == (403, "forbidden_region")

    # the audit trail: auditors, not the clerks whose acts it records
    assert code(read(story, "registration", "/audit", token_for(CLERK_1))) == (
        403, "forbidden_role")
    assert read(story, "registration", f"/audit?worker_id={wid}", token_for(AUDITOR))[0] == 200
