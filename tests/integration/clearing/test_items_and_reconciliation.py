"""Issue 18 items 1 and 3 through the real broker and database: settlements cleared into a
closed cycle, then (3260/3261/3262) the cycle's detail paged, items confirmed, disputed and
rolled back with `wic clearing`'s functions, an item dispute holding settlement, abort from
`wic clearing`; and (3201/3202) an institution reconciling a period and the cycle with its
credential over HTTP and over Kafka. Replaying clearing-events from offset 0 rebuilds the
items and marks the API shows."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts import clearing as c
from contracts import envelope, topics
from contracts.actor import Role
from contracts.reconciliation import (
    ReconcileInstitution,
    ReconciliationAnswered,
    ReconciliationScope,
    Totals,
)
from contracts.reference import InstitutionCredentialPublished
from contracts.replies import MessageAccepted, MessageRejected
from contracts.settings import Settings
from ops import clearing as clearing_cli
from services.clearing.domain.ledger import evolve
from services.clearing.domain.state import ClearingState, ItemStatus
from tests.integration.clearing.helpers import env, until
from tests.integration.settlement.helpers import ref_env
from tests.support.identity import bearer
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess
from tests.unit.clearing.factories import settled

pytestmark = pytest.mark.integration

JINAN, QINGDAO = "370100", "370200"
HOSPITAL, OTHER = "H37020200001", "H37020200002"
TOKEN = f"test-token-{HOSPITAL}"
CYCLE = c.cycle_id("2024-07", JINAN, QINGDAO)
NEXT = c.cycle_id("2024-08", JINAN, QINGDAO)
SETTLED = {"S-701": (10_000, 15_000), "S-702": (20_000, 26_000), "S-703": (30_000, 41_000)}
"""settlement id -> (fund, medical total), all of HOSPITAL in July."""


@pytest.fixture(scope="module")
def service(prefix: str, database_url: str, bootstrap: str, log_dir: Path
            ) -> Iterator[ServiceProcess]:
    proc = ServiceProcess("clearing", prefix=prefix, database_url=database_url,
                          bootstrap=bootstrap, log_dir=log_dir).start()
    yield proc
    proc.stop()


@pytest.fixture
def settings(service: ServiceProcess, bootstrap: str, prefix: str, database_url: str,
             monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("WIC_CLEARING_URL", service.url)
    return Settings(bootstrap=bootstrap, database_url=database_url, topic_prefix=prefix)


def officer(name: str, region: str) -> str:
    return bearer(Role.CLEARING_OFFICER, name, (region,))


@pytest.fixture(scope="module")
async def closed(service: ServiceProcess, bus: Bus) -> None:
    """Three July settlements of HOSPITAL and one of OTHER, cleared into a closed cycle;
    the hospital's credential published on reference-data."""
    await bus.send(topics.REFERENCE_DATA, ref_env(InstitutionCredentialPublished(
        institution_id=HOSPITAL, token_sha256=hashlib.sha256(TOKEN.encode()).hexdigest(),
        effective_from=date(2024, 1, 1))))
    for sid, (fund, medical) in SETTLED.items():
        ev = settled(fund, sid=sid, institution=HOSPITAL, on=date(2024, 7, 10),
                     medical=medical)
        await bus.send(topics.SETTLEMENT_EVENTS, env(ev, key=ev.worker_id))
    other = settled(5_000, sid="S-799", institution=OTHER, on=date(2024, 7, 11))
    await bus.send(topics.SETTLEMENT_EVENTS, env(other, key=other.worker_id))
    await until(lambda: _items_or_none(service.url, CYCLE, officer("reader", JINAN)),
                lambda page: page is not None and page["total"] == 4)  # all in July's
    await bus.send(topics.CLEARING_COMMANDS, env(c.CloseCycle(
        cycle_id=CYCLE, closed_on=date(2024, 8, 1)), key=CYCLE))
    await until(lambda: _items_or_none(service.url, CYCLE, officer("reader", JINAN)),
                lambda page: page is not None and page["status"] == "closed"
                and page["total"] == 4)


def post(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(f"{url}/reconciliation", data=json.dumps(body).encode(),
                                 method="POST", headers={"Authorization": f"Bearer {token}",
                                                         "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def july(**totals: int) -> dict[str, Any]:
    return {"request_id": f"R-{uuid.uuid4().hex[:8]}",
            "scope": {"from_date": "2024-07-01", "to_date": "2024-07-31"},
            "totals": totals}


async def test_3260_3261_3262_items_paged_confirmed_disputed_rolled_back_then_settled(
        service: ServiceProcess, settings: Settings, closed: None, bus: Bus) -> None:
    """A disputed item holds settlement (`items_disputed` naming it); a confirmation rolls
    back until the cycle settles; the whole-cycle confirm still settles it; replaying
    clearing-events from offset 0 gives the items and marks the API shows."""
    reader = officer("reader", JINAN)
    first = clearing_cli.cycle_items(CYCLE, token=reader, limit=3)
    second = clearing_cli.cycle_items(CYCLE, token=reader, limit=3, offset=3)
    assert first["next_offset"] == 3 and second["next_offset"] is None
    ids = [i["settlement_id"] for i in first["items"] + second["items"]]
    assert ids == ["S-701", "S-702", "S-703", "S-799"]
    assert sum(i["amount_fen"] for i in first["items"] + second["items"]) == 65_000
    only = clearing_cli.cycle_items(CYCLE, token=reader, institution_id=OTHER)
    assert [i["settlement_id"] for i in only["items"]] == ["S-799"]
    with pytest.raises(clearing_cli.Refused) as refused:
        clearing_cli.cycle_items(CYCLE, token=officer("beijing", "110000"))
    assert refused.value.code == "forbidden_region"

    jn_a, jn_b = officer("jn.a", JINAN), officer("jn.b", JINAN)
    qd, settler = officer("qd.a", QINGDAO), officer("province", "370000")
    on = date(2024, 8, 2)
    disputed = await clearing_cli.dispute_item(settings, CYCLE, "S-702", JINAN, "非本地参保",
                                               on, token=jn_a)
    assert isinstance(disputed, MessageAccepted) and disputed.detail == "ClearingItemDisputed"
    assert isinstance(await clearing_cli.confirm(settings, CYCLE, QINGDAO, on, token=qd),
                      MessageAccepted)
    held = await clearing_cli.confirm(settings, CYCLE, JINAN, on, token=jn_a)
    assert isinstance(held, MessageRejected) and held.reason_code == "items_disputed"
    refused_settle = await clearing_cli.settle(settings, CYCLE, on, token=settler)
    assert isinstance(refused_settle, MessageRejected)
    assert refused_settle.reason_code == "items_disputed" and "S-702" in refused_settle.reason

    ok = await clearing_cli.confirm_item(settings, CYCLE, "S-701", JINAN, on, token=jn_a)
    assert isinstance(ok, MessageAccepted) and ok.detail == "ClearingItemConfirmed"
    back = await clearing_cli.rollback_item(settings, CYCLE, "S-701", JINAN, on, token=jn_a)
    assert isinstance(back, MessageAccepted)
    twice = await clearing_cli.rollback_item(settings, CYCLE, "S-701", JINAN, on, token=jn_a)
    assert isinstance(twice, MessageRejected) and twice.reason_code == "item_not_confirmed"
    for sid in ("S-701", "S-702"):  # S-702's confirmation resolves Jinan's dispute
        assert isinstance(await clearing_cli.confirm_item(settings, CYCLE, sid, JINAN, on,
                                                          token=jn_b), MessageAccepted)
    page = await until(lambda: clearing_cli.cycle_items(CYCLE, token=reader),
                       lambda p: not p["disputed"] and p["items"][1]["marks"])
    assert page["items"][1]["marks"][JINAN]["status"] == "confirmed"
    assert page["items"][1]["marks"][JINAN]["actor"] == "staff:jn.b"
    assert isinstance(await clearing_cli.confirm(settings, CYCLE, JINAN, on, token=jn_a),
                      MessageAccepted)
    four_eyes = await clearing_cli.settle(settings, CYCLE, on, token=jn_b)
    assert isinstance(four_eyes, MessageRejected) and four_eyes.reason_code == "four_eyes"
    assert isinstance(await clearing_cli.settle(settings, CYCLE, on, token=settler),
                      MessageAccepted)
    late = await clearing_cli.rollback_item(settings, CYCLE, "S-701", JINAN, on, token=jn_b)
    assert isinstance(late, MessageRejected) and late.reason_code == "cycle_settled"

    events = await bus.read(topics.CLEARING_EVENTS, lambda s: any(
        isinstance(e.payload, c.ClearingCycleSettled) for e in s))
    state = ClearingState()
    for e in events:
        state = evolve(state, e.payload, e.causation_id)
    cycle = state.cycles[CYCLE]
    assert set(cycle.items) == set(ids)
    assert {k for k, m in cycle.marks.items() if m.status is ItemStatus.CONFIRMED} == {
        ("S-701", JINAN), ("S-702", JINAN)}


async def test_wic_clearing_abort_rolls_a_cycle_and_its_items_into_the_next(
        service: ServiceProcess, settings: Settings, bus: Bus) -> None:
    """SD-FUND-2: `wic clearing abort` (AbortCycle had no command before)."""
    cid = c.cycle_id("2024-07", "370300", "370200")
    ev = settled(7_700, sid="S-750", insured="370300", institution=OTHER,
                 on=date(2024, 7, 12))
    await bus.send(topics.SETTLEMENT_EVENTS, env(ev, key=ev.worker_id))
    staff = officer("zibo", "370300")
    await until(lambda: _items_or_none(service.url, cid, staff), lambda p: p is not None)
    assert isinstance((await clearing_cli.close(settings, "2024-07", date(2024, 8, 1),
                                                ("370300", "370200"), token=staff))[cid],
                      MessageAccepted)
    await until(lambda: _items_or_none(service.url, cid, staff),
                lambda p: p is not None and p["status"] == "closed")
    aborted = await clearing_cli.abort(settings, cid, "S-750 disputed", date(2024, 8, 3),
                                       token=officer("zibo.b", "370300"))
    assert isinstance(aborted, MessageAccepted) and aborted.detail == "ClearingCycleAborted"
    nxt = c.cycle_id("2024-08", "370300", "370200")
    page = await until(lambda: _items_or_none(service.url, nxt, staff), lambda p: p is not None)
    assert [(i["settlement_id"], i["amount_fen"]) for i in page["items"]] == [("S-750", 7_700)]
    again = await clearing_cli.abort(settings, cid, "again", date(2024, 8, 3), token=staff)
    assert isinstance(again, MessageRejected) and again.reason_code == "cycle_not_closed"


def _items_or_none(url: str, cid: str, token: str) -> dict[str, Any] | None:
    try:
        return clearing_cli.cycle_items(cid, token=token, url=url)
    except clearing_cli.Refused:
        return None


async def test_3201_3202_an_institution_reconciles_over_http_with_its_credential(
        service: ServiceProcess, closed: None) -> None:
    """Totals match; a fen off is a mismatch with wic's figures; the detail names each
    differing settlement with its reason; only the institution's own credential."""
    match = july(settlement_count=3, medical_fen=82_000, fund_fen=60_000)
    status, got = await until(lambda: post(service.url, TOKEN, match),
                              lambda r: r[0] == 200)  # once the credential is read
    assert status == 200, got
    assert got["transaction"] == "3201" and got["result"] == "match"
    status, got = post(service.url, TOKEN, july(settlement_count=3, medical_fen=82_000,
                                                fund_fen=60_001))
    assert status == 200 and got["result"] == "mismatch" and got["wic"]["fund_fen"] == 60_000
    detail = {**july(settlement_count=3, medical_fen=82_000, fund_fen=60_000), "items": [
        {"settlement_id": "S-701", "medical_fen": 15_000, "fund_fen": 10_000},
        {"settlement_id": "S-702", "medical_fen": 26_000, "fund_fen": 19_000},
        {"settlement_id": "S-799", "medical_fen": 41_000, "fund_fen": 31_000}]}
    status, got = post(service.url, TOKEN, detail)
    assert status == 200 and got["transaction"] == "3202", got
    assert {d["settlement_id"]: d["reasons"] for d in got["differences"]} == {
        "S-702": ["fund_amount_differs"], "S-703": ["missing_at_institution"],
        "S-799": ["missing_in_wic"]}  # OTHER's settlement is not shown as known
    by_cycle = {**july(settlement_count=3, medical_fen=82_000, fund_fen=60_000),
                "scope": {"cycle_id": CYCLE}}
    status, got = post(service.url, TOKEN, by_cycle)
    assert status == 200 and got["result"] == "match"
    assert post(service.url, TOKEN, {**by_cycle, "scope": {"cycle_id": "2023-01:370100|"
                                                           "370200"}})[0] == 404
    assert post(service.url, "not-a-token", match)[0] == 401
    status, got = post(service.url, TOKEN, {**match, "institution_id": OTHER})
    assert status == 403 and got["reason_code"] == "wrong_institution"
    status, got = post(service.url, TOKEN, {**detail, "totals": {
        "settlement_count": 1, "medical_fen": 0, "fund_fen": 0}})
    assert status == 400 and got["reason_code"] == "invalid_request"
    staff = bearer(Role.CLEARING_OFFICER, "staff.not.hospital", ("370000",))
    assert post(service.url, staff, match)[0] == 401


async def test_3201_over_kafka_the_answer_comes_on_reconciliation_answers(
        service: ServiceProcess, closed: None, bus: Bus) -> None:
    """The request/answer topic pair (as pre-settlement's): answered with the request as
    its cause; another institution's source is refused on the same topic."""
    request = ReconcileInstitution(
        request_id="K-1", institution_id=HOSPITAL,
        scope=ReconciliationScope(from_date=date(2024, 7, 1), to_date=date(2024, 7, 31)),
        totals=Totals(settlement_count=3, medical_fen=82_000, fund_fen=60_000))
    ours = envelope.new(request, key=HOSPITAL, source=f"hospital:{HOSPITAL}",
                        occurred_at=datetime.now(UTC))
    forged = envelope.new(request, key=HOSPITAL, source=f"hospital:{OTHER}",
                          occurred_at=datetime.now(UTC))
    await bus.send(topics.RECONCILIATION_REQUESTS, ours)
    await bus.send(topics.RECONCILIATION_REQUESTS, forged)
    answers = await bus.read(topics.RECONCILIATION_ANSWERS, lambda s: len(
        {e.causation_id for e in s} & {ours.event_id, forged.event_id}) == 2)
    by_cause = {e.causation_id: e.payload for e in answers}
    answer = by_cause[ours.event_id]
    assert isinstance(answer, ReconciliationAnswered) and answer.result == "match"
    refusal = by_cause[forged.event_id]
    assert isinstance(refusal, MessageRejected) and refusal.reason_code == "wrong_institution"
