"""End to end, issue 19: a worker's benefits month by month through the running services.

The five services run as processes against the real broker and database; everything goes
through the public interfaces as the agency's staff use them: a benefit reviewer records
the facts as they become known (`POST /commands` on benefits), finance makes each month's
payment run (`wic benefits run`), clearing posts every payment on the ledger.

The story (tests/unit/benefits/test_story_run.py, the same facts and expectations): injured
2024-03-15 in Jinan; assessed grade 3 (partial care), paid July–September; re-assessed
grade 2, dated two months back (arrears: August and September reversed and paid again);
imprisoned and released, the release known late (March paid in arrears, January and
February never: no back pay, XM-23(5)); retired (XM-24: the top-up and the care fee); died
not at work; the spouse and the son are paid from the next month, the son until he turns
18 (XM-23(2)). Every run's payments are the expected ones; the ledger's fund and payee
accounts agree with them to the fen; a restarted service, its book rebuilt from
`benefits-events`, finds nothing left to pay; `wic verify benefits` rebuilds the read
model from offset zero to the same rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

import pytest

from contracts import envelope, wire
from contracts.actor import Actor, ActorKind, Channel, Role
from contracts.business_time import CHINA
from contracts.message import Message
from infra.services import ServiceProcess
from ops.demo.client import get_json, post_json
from services.benefits.domain.months import Month, months_from
from tests.support.identity import token_for
from tests.support.processes import ROOT, stack_fixture
from tests.unit.benefits import factories as f
from tests.unit.benefits.run_helpers import run_day
from tests.unit.benefits.test_story_run import TIMELINE, expected
from tests.unit.encounter.samples import SAMPLE

pytestmark = pytest.mark.e2e

FIRST, LAST = Month(2024, 4), Month(2026, 6)
RUN = uuid.uuid4().hex[:6]


def person(name: str, role: Role) -> Actor:
    return Actor(id=f"staff:{name}.{RUN}", kind=ActorKind.STAFF, channel=Channel.HTTP,
                 roles=(role,), regions=("370000",))


REVIEWER = person("zhao.min", Role.CLAIMS_REVIEWER)
FINANCE = person("sun.li", Role.FINANCE)
AUDITOR = person("qian.hui", Role.AUDITOR)

stack = stack_fixture(SAMPLE)


def record(stack: dict[str, ServiceProcess], fact: Message, on: date) -> None:
    env = envelope.new(fact, key=f.WORKER, source="benefits-desk",
                       occurred_at=datetime.combine(on, time(9), CHINA))
    status, body = post_json(f"{stack['benefits'].url}/commands",
                             json.loads(wire.encode(env)), token=token_for(REVIEWER),
                             timeout=30)
    assert status == 201 and body["status"] == "accepted" and body["events"], (fact, status, body)


def wic(stack: dict[str, ServiceProcess], *args: str, token: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WIC_BENEFITS_URL": stack["benefits"].url,
           "WIC_TOKEN": token or token_for(FINANCE)}
    return subprocess.run([sys.executable, "-m", "wic", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def read(stack: dict[str, ServiceProcess], service: str, path: str) -> Any:
    status, body = get_json(f"{stack[service].url}{path}", token=token_for(AUDITOR))
    assert status == 200, (path, body)
    return body


@pytest.fixture(scope="module")
def story(stack: dict[str, ServiceProcess]) -> Iterator[dict[str, ServiceProcess]]:
    for fact in (*f.wages_up_to(f.INJURED_ON), f.injury()):
        record(stack, fact, f.INJURED_ON)
    for month in months_from(FIRST, LAST):
        for known in TIMELINE:
            if known.from_month == month:
                record(stack, known.event, month.first_day)
        done = wic(stack, "benefits", "run", "--month", str(month), "--on",
                   run_day(month).isoformat())
        assert done.returncode == 0, done.stdout + done.stderr
    yield stack


def test_xm_21_every_run_pays_what_the_rules_owe_that_month(
        story: dict[str, ServiceProcess]) -> None:
    """XM-21(3), XM-23…24, NR-34/35/39: each month's run, counted and summed by the read
    model, is the story's expected payments and reversals."""
    for month in months_from(FIRST, LAST):
        moves = expected(month)
        body = read(story, "benefits", f"/runs?month={month}")
        [run] = body["runs"]
        pays = [fen for kind, *_, fen in moves if kind == "pay"]
        revs = [fen for kind, *_, fen in moves if kind == "rev"]
        assert (run["payments"], run["paid_fen"]) == (len(pays), sum(pays)), month
        assert (run["reversals"], run["reversed_fen"]) == (len(revs), sum(revs)), month


def test_the_workers_payments_and_the_ledger_agree_to_the_fen(
        story: dict[str, ServiceProcess]) -> None:
    """Every payment is on the ledger: the fund's cost and each payee's account equal what
    was paid and not reversed (12,930.00 yuan in all; no month in prison was ever paid)."""
    body = read(story, "benefits", f"/workers/{f.WORKER}/benefits?as_of=2026-06-30")
    payments = body["payments"]
    every_pay = {m[1:] for run in months_from(FIRST, LAST) for m in expected(run)
                 if m[0] == "pay"}
    assert {(p["person_id"], p["benefit"], p["benefit_month"], p["amount_fen"])
            for p in payments} == every_pay
    assert not [p for p in payments if p["benefit_month"] in ("2025-01", "2025-02")]
    live = [p for p in payments if p["reversed_by"] is None]
    assert body["paid_fen"] == sum(p["amount_fen"] for p in live) == 12_930_000

    def balance(account: str) -> int:
        quoted = urllib.parse.quote(account, safe=":")  # a dependant's: person:<worker>/<id>
        return int(read(story, "clearing", f"/accounts/{quoted}/balance")["balance_fen"])

    assert balance("fund:370100") == 12_930_000
    by_person: dict[str, int] = {}
    for p in live:
        by_person[p["person_id"]] = by_person.get(p["person_id"], 0) + p["amount_fen"]
    for person_id, fen in by_person.items():
        account = (f"person:{f.WORKER}" if person_id == f.WORKER
                   else f"person:{f.WORKER}/{person_id}")
        assert balance(account) == -fen, person_id


def test_a_rebuilt_book_finds_nothing_left_to_pay_and_the_read_model_replays_the_same(
        story: dict[str, ServiceProcess], prefix: str, database_url: str) -> None:
    """Replays are deterministic: restarted, the service rebuilds its book from
    `benefits-events`; a rerun of the last month then pays nothing, and a second fresh run
    of it is refused `payment_run_already_done`. `wic verify benefits` rebuilds the read
    model from offset zero and finds it equal to the live one."""
    story["benefits"].stop()
    story["benefits"].start()
    rerun = wic(story, "benefits", "run", "--month", str(LAST), "--rerun", "--on",
                run_day(LAST).isoformat())
    assert rerun.returncode == 0 and "no change" in rerun.stdout, rerun.stdout + rerun.stderr
    again = wic(story, "benefits", "run", "--month", str(LAST), "--on", "2026-06-21")
    assert again.returncode == 1 and "payment_run_already_done" in again.stdout, again.stdout
    env = {**os.environ, "WIC_TOPIC_PREFIX": prefix, "WIC_DATABASE_URL": database_url}
    verified = subprocess.run([sys.executable, "-m", "wic", "verify", "benefits"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=300,
                              check=False)
    assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-3000:]


def test_bad_facts_are_refused_with_their_reason_and_change_nothing(
        story: dict[str, ServiceProcess]) -> None:
    """Issue 19 "Bad input": a grade outside 1–10 and a fact dated before the injury are
    refused with a reason code (and dead-lettered); `wic benefits show` prints the rest."""
    eleven = f.assessed(date(2026, 5, 1), 3, reassessment=True, assessment_id="A9"
                        ).model_dump(mode="json") | {"grade": 11}
    body = {"event_id": str(uuid.uuid4()), "type": "LabourCapacityAssessed",
            "schema_version": 1, "key": f.WORKER, "occurred_at": "2026-05-01T09:00:00+08:00",
            "recorded_at": "2026-05-01T09:00:00+08:00", "source": "benefits-desk",
            "payload": eleven}
    status, answer = post_json(f"{story['benefits'].url}/commands", body,
                               token=token_for(REVIEWER), timeout=30)
    assert status == 400 and answer["reason_code"] == "invalid_payload", answer
    env = envelope.new(f.retired(date(2024, 1, 2), 350_000), key=f.WORKER,
                       source="benefits-desk", occurred_at=datetime(2026, 5, 1, 9,
                                                                    tzinfo=CHINA))
    status, answer = post_json(f"{story['benefits'].url}/commands",
                               json.loads(wire.encode(env)), token=token_for(REVIEWER),
                               timeout=30)
    assert (status, answer["reason_code"]) == (422, "dated_before_injury"), answer
    shown = wic(story, "benefits", "show", f.WORKER, "--as-of", "2026-03-31",
                token=token_for(AUDITOR))
    assert shown.returncode == 0 and "dependant_pension" in shown.stdout, shown.stderr


async def test_verify_names_a_benefit_payment_missing_from_the_ledger(
        story: dict[str, ServiceProcess], database_url: str) -> None:
    """`wic verify`'s cross-service check: every payment posted once (here one posting is
    removed from the ledger's read model, as a lost posting would look)."""
    import asyncpg

    from ops.reconcile import benefit_payments_posted_once
    conn = await asyncpg.connect(database_url)
    try:
        assert await benefit_payments_posted_once(conn) == []
        gone = await conn.fetchval(
            "DELETE FROM clearing.ledger_events WHERE ledger_seq = (SELECT max(ledger_seq)"
            " FROM clearing.ledger_events WHERE payload->>'kind' = 'benefit_paid')"
            " RETURNING payload->>'reference'")
        problems = await benefit_payments_posted_once(conn)
        assert problems == [f"benefit_paid {gone} is posted 0 times in the ledger, not once"]
    finally:
        await conn.close()
