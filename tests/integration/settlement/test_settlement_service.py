"""Settlement service against the real broker and database (one service process).

Covers SD 1(6)/XM-18 direct settlement and correction, SD-ENC-3/4/5/6 line reasons over
HTTP, XM-9/10/11/17/19/20/21 claims, XM-18 clawback, bad input dead-lettered, and
byte-identical replay of the live output.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from contracts import topics, wire
from contracts.encounter import (
    DischargedEncounterCorrected,
    EncounterDischarged,
)
from contracts.envelope import derive
from contracts.reference import CatalogKind
from contracts.settlement import (
    ClaimSituation,
    GrantAdvance,
    LineReason,
    PayClaim,
    PaymentChannel,
    RecordInjuryNotRecognised,
    ReviewClaim,
)
from services.settlement.domain.state import WorkerState
from services.settlement.domain.worker import handle
from tests.integration.settlement.helpers import env, get, poll, ref_env, worker_id
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess
from tests.unit.settlement.factories import (
    JINAN,
    catalog,
    encounter,
    file_claim,
    index,
    line,
    standard_catalogs,
)

pytestmark = pytest.mark.integration

CHANGED = catalog(CatalogKind.SERVICE_STANDARD, JINAN, [("BED", 12000, 0)],
                  effective=date(2024, 5, 10))
CATALOGS = [*standard_catalogs(), CHANGED]


@pytest.fixture(scope="module")
def service(prefix: str, database_url: str, bootstrap: str, log_dir: Path
            ) -> Iterator[ServiceProcess]:
    proc = ServiceProcess("settlement", prefix=prefix, database_url=database_url,
                          bootstrap=bootstrap, log_dir=log_dir).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
async def catalogs(bus: Bus) -> None:
    for c in CATALOGS:
        await bus.send(topics.REFERENCE_DATA, ref_env(c))


def of(events: list, key: str, *types: str) -> list:  # type: ignore[type-arg]
    return [e for e in events if e.key == key and (not types or e.type in types)]


async def test_sd_1_6_direct_settlement_with_line_reasons_and_catalog_change(
        service: ServiceProcess, bus: Bus, catalogs: None) -> None:
    w = worker_id(1)
    enc = encounter([line(1, 15000, on=date(2024, 5, 9)),   # old cap 100 yuan: over standard
                     line(2, 15000, on=date(2024, 5, 10)),  # catalog changed that day: 120
                     line(3, 5000, injury_related=False),   # SD-ENC-5
                     line(4, 1005, code="D1", kind=CatalogKind.DRUG)], worker=w)
    await bus.send(topics.ENCOUNTER_EVENTS, env(EncounterDischarged(encounter=enc), w))
    seen = await bus.read(topics.SETTLEMENT_EVENTS,
                          lambda s: len(of(s, w, "SettlementNoticeIssued")) == 1)
    [settled] = of(seen, w, "EncounterSettled")
    assert settled.payload.fund_fen == 10000 + 12000 + 904
    body = await poll(f"{service.url}/encounters/{enc.encounter_id}/settlement",
                      lambda st, b: st == 200 and b["current"]["answer_due_on"])
    lines = body["current"]["lines"]
    assert [ln["reasons"] for ln in lines] == [
        [LineReason.OVER_STANDARD], [LineReason.OVER_STANDARD],
        [LineReason.NOT_INJURY_RELATED], [LineReason.SELF_PAY_PART]]
    assert lines[1]["catalog_version"] == "service_standard:370100@2024-05-10"
    assert body["current"]["answer_due_on"] == "2024-05-17"  # XM-17: 5 working days
    for ln in lines:
        assert ln["fund_fen"] + ln["self_fen"] + ln["employer_fen"] == ln["submitted_fen"]


async def test_xm_18_correction_reverses_and_resettles_once(
        service: ServiceProcess, bus: Bus, catalogs: None) -> None:
    w = worker_id(2)
    first = encounter([line(1, 10000)], worker=w)
    await bus.send(topics.ENCOUNTER_EVENTS, env(EncounterDischarged(encounter=first), w))
    corrected = encounter([line(1, 8000)], worker=w, revision=1)
    fix = env(DischargedEncounterCorrected(encounter=corrected), w)
    await bus.send(topics.ENCOUNTER_EVENTS, fix)
    await bus.send(topics.ENCOUNTER_EVENTS,  # same revision again, new event id: nothing new
                   env(DischargedEncounterCorrected(encounter=corrected), w))
    marker = encounter([line(1, 1)], worker=w, enc_no="E9")
    await bus.send(topics.ENCOUNTER_EVENTS, env(EncounterDischarged(encounter=marker), w))
    seen = await bus.read(topics.SETTLEMENT_EVENTS,
                          lambda s: any(e.type == "EncounterSettled" and
                                        e.payload.encounter_id == marker.encounter_id for e in s))
    mine = [e for e in of(seen, w) if getattr(e.payload, "encounter_id", "") == first.encounter_id]
    assert [e.type for e in mine] == ["EncounterSettled", "SettlementNoticeIssued",
                                     "SettlementReversed", "EncounterSettled",
                                     "SettlementNoticeIssued"]
    assert mine[2].payload.settlement_id == "S-H37010200001:E1-r0"
    assert mine[3].payload.fund_fen == 8000
    body = await poll(f"{service.url}/encounters/{first.encounter_id}/settlement",
                      lambda st, b: st == 200 and len(b["revisions"]) == 2)
    assert [r["status"] for r in body["revisions"]] == ["reversed", "settled"]


async def test_bad_input_is_dead_lettered_with_specific_reasons(
        service: ServiceProcess, bus: Bus, catalogs: None) -> None:
    w = worker_id(3)
    enc = encounter([line(1, 100)], worker=w)
    await bus.send(topics.ENCOUNTER_EVENTS, env(EncounterDischarged(encounter=enc), w))
    await bus.send(topics.ENCOUNTER_EVENTS, env(EncounterDischarged(encounter=enc), w))
    await bus.send(topics.ENCOUNTER_EVENTS, env(DischargedEncounterCorrected(
        encounter=encounter([line(1, 1)], worker=w, enc_no="NOPE", revision=1)), w))
    bad_claim = env(file_claim("C-bad", worker=w, recognised=False), w)
    await bus.send(topics.CLAIM_COMMANDS, bad_claim)
    good = wire.encode(env(file_claim("C-neg", worker=w), w)).decode()
    await bus.send_raw(topics.CLAIM_COMMANDS, good.replace('"amount_fen":100000',
                                                           '"amount_fen":-1').encode(),
                       key=w.encode())
    letters = await bus.read(topics.SETTLEMENT_DEADLETTERS, lambda s: len(s) >= 4)
    codes = sorted(dl.payload.reason_code for dl in letters)
    assert codes == ["already_settled", "injury_not_recognised", "invalid_payload",
                     "unknown_encounter"]
    neg = next(dl.payload for dl in letters if dl.payload.reason_code == "invalid_payload")
    assert "amount_fen" in neg.reason
    replies = await bus.read(topics.CLAIM_REPLIES,
                             lambda s: any(r.type == "MessageRejected" for r in s))
    rejected = [r for r in replies if r.type == "MessageRejected"]
    assert rejected[0].payload.ref_event_id == bad_claim.event_id
    assert rejected[0].key == "test-client"
    seen = await bus.read(topics.SETTLEMENT_EVENTS, lambda s: bool(of(s, w)))
    assert len(of(seen, w, "EncounterSettled")) == 1  # nothing changed by the refusals


async def test_xm_17_19_20_claims_deadlines_channels_advances(
        service: ServiceProcess, bus: Bus) -> None:
    w = worker_id(4)
    d = date(2024, 2, 5)
    staged = (ClaimSituation.TRANSFER_OUT, ClaimSituation.STAGED_REIMBURSEMENT)
    cmds = [
        file_claim("C-cash", worker=w, amount=200_000, filed_on=d),
        ReviewClaim(worker_id=w, claim_id="C-cash", approved_fen=200_000,
                    reviewed_on=date(2024, 2, 7), requested_channel=PaymentChannel.CASH),
        file_claim("C-over", worker=w, amount=200_001, filed_on=d),
        ReviewClaim(worker_id=w, claim_id="C-over", approved_fen=200_001,
                    reviewed_on=date(2024, 2, 7), requested_channel=PaymentChannel.CASH),
        file_claim("C-adv50", worker=w, amount=5_000_000, situations=staged, filed_on=d),
        GrantAdvance(worker_id=w, advance_id="A0", claim_id="C-adv50", amount_fen=1,
                     granted_on=d),
        file_claim("C-adv", worker=w, amount=5_000_001, situations=staged, filed_on=d),
        GrantAdvance(worker_id=w, advance_id="A1", claim_id="C-adv", amount_fen=2_000_000,
                     granted_on=d),
        ReviewClaim(worker_id=w, claim_id="C-adv", approved_fen=5_000_001,
                    reviewed_on=date(2024, 2, 7)),
        PayClaim(worker_id=w, claim_id="C-adv", paid_on=date(2024, 2, 8)),
        file_claim("C-late", worker=w, amount=1000, filed_on=d, all_docs=False),
    ]
    sent = [env(c, w) for c in cmds]
    for e in sent:
        await bus.send(topics.CLAIM_COMMANDS, e)
    replies = await bus.read(topics.CLAIM_REPLIES, lambda s: len(
        [r for r in s if r.payload.ref_event_id in {x.event_id for x in sent}]) == len(sent))
    by_ref = {r.payload.ref_event_id: r for r in replies}
    verdict = [getattr(by_ref[e.event_id].payload, "reason_code", "ok") for e in sent]
    assert verdict == ["ok", "ok", "ok", "cash_not_allowed", "ok", "advance_threshold_not_met",
                       "ok", "ok", "ok", "ok", "ok"]
    seen = await bus.read(topics.SETTLEMENT_EVENTS,
                          lambda s: len(of(s, w, "AdvanceOffset")) == 1)
    [offset] = of(seen, w, "AdvanceOffset")
    assert offset.payload.remainder_fen == 3_000_001
    claim = await poll(f"{service.url}/claims/C-cash?as_of=2024-03-01",
                       lambda st, b: st == 200 and b["status"] == "reviewed")
    assert (claim["channel"], claim["review_due_on"]) == ("cash", "2024-03-01")
    # 10 working days after Wed Feb 7: 8, 9 · Sun 18 · 19–23 · 26, 27 (holiday Feb 10–17)
    assert claim["payment_due_on"] == "2024-02-27"
    # C-over and C-adv50 were never reviewed: due 2024-03-01 (15 working days over Spring
    # Festival with the shifted Sunday Feb 18); in time on Mar 1, overdue from Mon Mar 4.
    url = f"{service.url}/claims?status=complete&overdue_on="
    late = await poll(url + "2024-03-04", lambda st, b: st == 200 and len(b["claims"]) == 2)
    assert [c["claim_id"] for c in late["claims"]] == ["C-adv50", "C-over"]
    assert all(c["overdue"] and c["review_due_on"] == "2024-03-01" for c in late["claims"])
    assert get(url + "2024-03-01")[1]["claims"] == []
    incomplete = await poll(f"{service.url}/claims?status=incomplete",
                            lambda st, b: st == 200 and b["claims"])
    assert incomplete["claims"][0]["review_due_on"] is None  # the clock has not started
    status, body = get(f"{service.url}/claims?status=bogus")
    assert status == 400 and body["reason_code"] == "invalid_status"


async def test_xm_18_clawback_and_byte_identical_replay(
        service: ServiceProcess, bus: Bus, catalogs: None) -> None:
    w = worker_id(5)
    inputs = [env(EncounterDischarged(encounter=encounter([line(1, 10000)], worker=w)), w),
              env(EncounterDischarged(encounter=encounter([line(1, 3000)], worker=w,
                                                          enc_no="E2")), w)]
    for e in inputs:
        await bus.send(topics.ENCOUNTER_EVENTS, e)
    # Encounter events and claim commands are different topics: wait until both are settled.
    await bus.read(topics.SETTLEMENT_EVENTS, lambda s: len(of(s, w, "EncounterSettled")) == 2)
    clawback = env(RecordInjuryNotRecognised(worker_id=w, employer_id="EMP1",
                                             decided_on=date(2024, 6, 3), reason="misreported"), w)
    await bus.send(topics.CLAIM_COMMANDS, clawback)
    seen = await bus.read(topics.SETTLEMENT_EVENTS,
                          lambda s: len(of(s, w, "EmployerReceivableRaised")) == 1)
    [recv] = of(seen, w, "EmployerReceivableRaised")
    assert recv.payload.amount_fen == 13000
    # Replay: the pure fold over the same inputs yields the live output byte for byte.
    state, replayed = WorkerState(), []
    for e in [*inputs, clawback]:
        events, state = handle(state, e, index(CATALOGS))
        replayed += [wire.encode(x) for x in derive(e, list(events), key=w, source="settlement")]
    assert [wire.encode(e) for e in of(seen, w)] == replayed


async def test_openapi_and_unknown_encounter(service: ServiceProcess) -> None:
    status, doc = get(f"{service.url}/openapi.json")
    assert status == 200 and "/claims" in doc["paths"]
    assert "AdjudicatedLine" in doc["components"]["schemas"]
    status, body = get(f"{service.url}/encounters/H1:none/settlement")
    assert status == 404 and body["reason_code"] == "unknown_encounter"
