"""Clearing against the real stack: a month cleared to the fen, refusals, late settlements
while closing, the gateway refusing forged/replayed/tampered claims, balances as of a past
ledger position equal to a replay cut there. One service process for the module."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts import clearing as c
from contracts import wire
from contracts.actor import Role
from contracts.deadletter import MessageDeadLettered
from contracts.gateway import GatewayClaimAnswered, GatewayClaimSubmitted, canonical_bytes
from contracts.registration import CoverageWindow, RegistrationType, WorkerCoverage
from contracts.replies import MessageAccepted, MessageRejected
from contracts.settings import Settings
from contracts.topics import (
    CLEARING_COMMANDS,
    CLEARING_DEADLETTERS,
    CLEARING_EVENTS,
    GATEWAY_INBOUND,
    GATEWAY_OUTBOUND,
    REGISTRATION_COVERAGE,
    SETTLEMENT_EVENTS,
)
from ops import clearing as clearing_cli
from services.clearing.domain.ledger import evolve
from services.clearing.domain.state import ClearingState
from tests.integration.clearing.helpers import T0, env, get, signed_answer, signed_claim, until
from tests.support.gateway import PUBLIC_KEYS
from tests.support.identity import bearer
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess
from tests.unit.clearing.factories import settled

pytestmark = pytest.mark.integration

OURS = "370102198503151002"  # insured in Jinan, registered for Beijing
JINAN_H, QINGDAO_H = "H37010200001", "H37020200001"


@pytest.fixture(scope="module")
def service(prefix: str, database_url: str, bootstrap: str, log_dir: Path
            ) -> Iterator[ServiceProcess]:
    proc = ServiceProcess("clearing", prefix=prefix, database_url=database_url,
                          bootstrap=bootstrap, log_dir=log_dir)
    proc.start()
    yield proc
    proc.stop()


async def _command(bus: Bus, cmd: Any) -> None:
    await bus.send(CLEARING_COMMANDS, env(cmd, key="clearing"))


async def _settle(bus: Bus, ev: Any) -> None:
    await bus.send(SETTLEMENT_EVENTS, env(ev, key=ev.worker_id))


def _statement(svc: ServiceProcess, cid: str) -> Any:
    return get(f"{svc.url}/cycles/{cid}/statement")


async def test_a_full_month_intra_and_cross_provincial_is_cleared_to_the_fen(
        service: ServiceProcess, bus: Bus) -> None:
    """SD-FUND-1/2: Jinan⇄Qingdao settlements net per city; Beijing draws our prepayment."""
    may = date(2024, 5, 10)
    await _command(bus, c.FundPrepayment(prepayment_id="PP-BJ-1", insured_province="370000",
                                         treatment_province="110000", amount_fen=1_000_000,
                                         funded_on=date(2024, 5, 1)))
    for fen in (123_456, 78_901):  # Jinan workers treated in Qingdao
        await _settle(bus, settled(fen, insured="370100", treatment="370202",
                                   institution=QINGDAO_H, on=may))
    await _settle(bus, settled(50_007, insured="370200", treatment="370102",
                               institution=JINAN_H, on=may))
    await _settle(bus, settled(42, insured="110105", treatment="370102",  # Beijing worker here
                               institution=JINAN_H, on=may))
    cov = WorkerCoverage(worker_id=OURS, social_security_card="A12345678", windows=(
        CoverageWindow(registration_id="R1", registration_type=RegistrationType.STATIONED_WORK,
                       insured_region="370102", treatment_region="110000",
                       valid_from=date(2024, 4, 1), valid_until=date(2025, 3, 31)),),
        last_event_id=uuid.uuid4())
    await bus.send(REGISTRATION_COVERAGE, env(cov, key=OURS, source="registration"))
    await asyncio.sleep(1.0)  # the coverage snapshot is a table fed by its own agent
    claim = signed_claim(worker=OURS, fund_fen=900_000)
    await bus.send(GATEWAY_INBOUND, env(claim, key="110000", source="gateway-110000"))
    answers = await bus.read(GATEWAY_OUTBOUND, lambda s: any(
        isinstance(e.payload, GatewayClaimAnswered) for e in s))
    answer = next(e.payload for e in answers if isinstance(e.payload, GatewayClaimAnswered))
    assert isinstance(answer, GatewayClaimAnswered)
    assert answer.accepted, answer.reason_codes

    intra, cross = c.cycle_id("2024-05", "370100", "370200"), c.cycle_id("2024-05", "370000",
                                                                          "110000")
    await until(lambda: _statement(service, cross), lambda r: r[0] == 200)
    await until(lambda: get(f"{service.url}/prepayments"), lambda r: len(r[1]) == 2)
    for cid in (intra, cross):
        await _command(bus, c.CloseCycle(cycle_id=cid, closed_on=date(2024, 6, 1)))
    _, st = await until(lambda: _statement(service, intra), lambda r: r[1]["status"] == "closed")
    assert {n["party"]: n["net_fen"] for n in st["nets"]} == {
        "370100": -(123_456 + 78_901) + 50_007, "370200": 123_456 + 78_901 - 50_007}
    assert st["institutions"] == {QINGDAO_H: 202_357, JINAN_H: 50_007}
    _, xs = await until(lambda: _statement(service, cross), lambda r: r[1]["status"] == "closed")
    assert {n["party"]: n["net_fen"] for n in xs["nets"]} == {"370000": -900_000 + 42,
                                                              "110000": 900_000 - 42}
    for region in ("370100", "370200"):
        await _command(bus, c.ConfirmCycle(cycle_id=intra, region=region,
                                           confirmed_on=date(2024, 6, 3)))
    await _command(bus, c.SettleCycle(cycle_id=intra, settled_on=date(2024, 6, 5)))
    await until(lambda: _statement(service, intra), lambda r: r[1]["status"] == "settled")
    balance = get(f"{service.url}/accounts/institution:{QINGDAO_H}/balance")[1]
    assert balance["balance_fen"] == 0  # paid in full at clearing
    assert get(f"{service.url}/accounts/fund:370100/balance")[1]["balance_fen"] == \
        123_456 + 78_901 + 900_000
    _, pre = get(f"{service.url}/prepayments")
    ours = next(p for p in pre if p["account"] == "prepayment:370000@110000")
    assert (ours["balance_fen"], ours["status"]) == (100_000, "warning")  # under 30 % of 1e6
    assert ours["top_up_requested_fen"] == 900_000
    theirs = next(p for p in pre if p["account"] == "prepayment:110000@370000")
    assert (theirs["balance_fen"], theirs["status"]) == (-42, "overdrawn")  # recorded, flagged


async def test_sd_fund_3_a_refusal_flows_into_the_next_cycle(service: ServiceProcess,
                                                             bus: Bus) -> None:
    intra = c.cycle_id("2024-05", "370100", "370200")
    await until(lambda: _statement(service, intra), lambda r: r[1]["status"] == "settled")
    events = await bus.read(CLEARING_EVENTS, lambda s: len(s) > 3)
    sid = next(e.payload.settlement_id for e in events if isinstance(e.payload, c.LedgerPosted)
               and e.payload.institution_id == QINGDAO_H)
    await _command(bus, c.RefuseItems(refusal_id="RF-1", settlement_id=sid, amount_fen=1_000,
                                      reason_code="not_injury_related", reason="SD-ENC-5",
                                      refused_on=date(2024, 6, 12)))
    june = c.cycle_id("2024-06", "370100", "370200")
    _, st = await until(lambda: _statement(service, june), lambda r: r[0] == 200)
    assert st["lines"][0]["refused_fen"] == 1_000 and st["nets"][0]["net_fen"] == 1_000
    _, old = _statement(service, intra)
    assert all(line["refused_fen"] == 0 for line in old["lines"])  # never edited in place


async def test_forged_replayed_and_tampered_gateway_messages_are_refused(
        service: ServiceProcess, bus: Bus) -> None:
    sent_at = T0 + timedelta(minutes=5)
    good = signed_claim(worker=OURS, fund_fen=10, sent_at=sent_at)
    good_env = env(good, key="110000", source="gateway-110000")
    forged = signed_claim(worker=OURS, fund_fen=10, signer="320000", sent_at=sent_at)
    tampered_claim = good.signed.claim.model_copy(update={"fund_fen": 10_000_000})
    tampered = good.model_copy(update={"signed": good.signed.model_copy(
        update={"claim": tampered_claim, "message_id": "tampered-1"})})
    uncovered = signed_claim(worker=OURS, fund_fen=10, treatment_date=date(2024, 3, 1),
                             sent_at=sent_at)
    await bus.send(GATEWAY_INBOUND, good_env)
    await bus.send(GATEWAY_INBOUND, good_env)  # the very same bytes again: a replay
    for msg in (forged, tampered, uncovered):
        await bus.send(GATEWAY_INBOUND, env(msg, key="110000", source="gateway-110000"))
    refused = lambda s: [e.payload for e in s if isinstance(e.payload, GatewayClaimAnswered)  # noqa: E731
                         and not e.payload.accepted]
    seen = await bus.read(GATEWAY_OUTBOUND, lambda s: len(refused(s)) >= 4)
    codes = {a.in_reply_to: a.reason_codes for a in refused(seen)}
    assert codes[good.signed.message_id] == ("replayed",)
    assert codes[forged.signed.message_id] == ("bad_signature",)
    assert codes["tampered-1"] == ("bad_signature",)
    assert codes[uncovered.signed.message_id] == ("not_covered_on_treatment_date",)
    letters = await bus.read(CLEARING_DEADLETTERS, lambda s: len(s) >= 4)
    kept = {wire.decode(base64.b64decode(d.payload.value_b64)).event_id for d in letters}  # type: ignore[attr-defined]
    assert good_env.event_id in kept  # the replayed copy is kept for audit


async def test_closing_a_cycle_while_settlements_keep_arriving(service: ServiceProcess,
                                                              bus: Bus) -> None:
    """SD-FUND-2: each settlement is counted exactly once, in July or (late) in August."""
    july = c.cycle_id("2024-07", "370300", "370500")
    amounts = list(range(1_001, 1_201))

    async def publish() -> None:
        for fen in amounts:
            await _settle(bus, settled(fen, insured="370300", treatment="370500",
                                       institution="H37050000001", on=date(2024, 7, 15)))

    async def close() -> None:
        await asyncio.sleep(0.15)
        await _command(bus, c.CloseCycle(cycle_id=july, closed_on=date(2024, 7, 31)))
        await _command(bus, c.CloseCycle(cycle_id=july, closed_on=date(2024, 7, 31)))

    await asyncio.gather(publish(), close())
    august = c.cycle_id("2024-08", "370300", "370500")

    def counted() -> int:
        total = 0
        for cid in (july, august):
            status, st = _statement(service, cid)
            if status == 200:
                total += sum(line["settled_fen"] for line in st["lines"])
        return total

    def july_status() -> object:
        return _statement(service, july)[1].get("status")

    # Two facts of an eventually consistent read model: wait for both (the close may be
    # projected after the last settlement when it reached the ledger after all of them).
    await until(lambda: (counted(), july_status()),
                lambda seen: seen == (sum(amounts), "closed"), timeout=40)
    _, st = _statement(service, july)
    frozen = -sum(n["net_fen"] for n in st["nets"] if n["party"] == "370300")
    assert frozen == sum(line["amount_fen"] for line in st["lines"])  # close froze July


async def test_balances_as_of_a_past_position_equal_a_replay_cut_there(
        service: ServiceProcess, bus: Bus) -> None:
    events = await bus.read(CLEARING_EVENTS, lambda s: len(s) > 200)
    cut = len(events) // 2
    state = ClearingState()
    for e in events[:cut]:
        state = evolve(state, e.payload, e.causation_id)
    for account in ("fund:370300", "institution:H37050000001", "prepayment:370000@110000",
                    "fund:370100"):
        _, got = get(f"{service.url}/accounts/{account}/balance?offset={cut}")
        assert got["balance_fen"] == state.balances.get(account, 0), account
    instant = events[cut - 1].occurred_at
    by_time = sum(en.amount_fen for e in events if e.occurred_at <= instant
                  for en in getattr(e.payload, "entries", ()) if en.account == "fund:370300")
    _, got = get(f"{service.url}/accounts/fund:370300/balance?as_of="
                 f"{instant.isoformat().replace('+00:00', 'Z')}")
    assert got["balance_fen"] == by_time
    assert get(f"{service.url}/accounts/x/balance?as_of=yesterday")[0] == 400


async def test_issue_6_we_claim_from_the_insured_province_and_apply_its_answer_once(
        service: ServiceProcess, bus: Bus) -> None:
    """A Beijing-insured worker settled in Jinan: our signed claim goes to Beijing (a
    redelivery re-sends identical bytes); Beijing's acceptance is applied once, a forged
    answer is dead-lettered, a refusal flows back as SD-FUND-3 refusal."""
    first = settled(77_777, insured="110105", treatment="370102", institution=JINAN_H,
                    on=date(2024, 5, 12))
    second = settled(5_000, insured="110105", treatment="370102", institution=JINAN_H,
                     on=date(2024, 5, 13))
    first_env = env(first, key=first.worker_id, source="settlement")
    await bus.send(SETTLEMENT_EVENTS, first_env)
    await bus.send(SETTLEMENT_EVENTS, first_env)  # redelivered
    await _settle(bus, second)

    def ours(seen: list[Any], sid: str) -> list[Any]:
        return [e for e in seen if isinstance(e.payload, GatewayClaimSubmitted)
                and e.payload.signed.claim.settlement_id == sid]

    out = await bus.read(GATEWAY_OUTBOUND, lambda s: len(ours(s, first.settlement_id)) >= 2
                         and len(ours(s, second.settlement_id)) >= 1)
    a, b = ours(out, first.settlement_id)[:2]
    assert wire.encode(a) == wire.encode(b) and a.key == "110000"  # identical, to Beijing
    claim = a.payload
    public = Ed25519PublicKey.from_public_bytes(PUBLIC_KEYS["370000"][claim.key_id])
    public.verify(base64.b64decode(claim.signature), canonical_bytes(claim.signed))
    assert (claim.signed.origin_province, claim.signed.destination_province) == ("370000",
                                                                                 "110000")
    other = ours(out, second.settlement_id)[0].payload

    forged = signed_answer(claim, accepted=False, reason_codes=("unknown_worker",),
                           signer="320000")
    accepted = signed_answer(claim, accepted=True)
    refused = signed_answer(other, accepted=False, reason_codes=("not_covered",))
    for answer in (forged, accepted, accepted, refused):  # one partition: processed in order
        await bus.send(GATEWAY_INBOUND, env(answer, key="110000", source="gateway-110000"))

    def posted(seen: list[Any], kind: str) -> list[Any]:
        return [e.payload for e in seen if isinstance(e.payload, c.LedgerPosted)
                and e.payload.kind == kind and e.payload.cause_type == "GatewayClaimAnswered"]

    events = await bus.read(CLEARING_EVENTS, lambda s: len(posted(s, "refusal")) >= 1)
    [applied] = posted(events, "claim_accepted")  # sent twice, applied once; forged: nothing
    assert applied.settlement_id == first.settlement_id
    [refusal] = posted(events, "refusal")
    assert refusal.settlement_id == second.settlement_id
    assert sum(e.amount_fen for e in refusal.entries if e.account == "fund:110100") == -5_000

    def forged_letters(seen: list[Any]) -> list[MessageDeadLettered]:
        return [d.payload for d in seen if isinstance(d.payload, MessageDeadLettered)
                and d.payload.stage == "gateway" and d.payload.reason_code == "bad_signature"
                and forged.message_id in d.payload.reason]

    await bus.read(CLEARING_DEADLETTERS, lambda s: len(forged_letters(s)) == 1)


async def test_wic_clearing_functions_publish_commands_and_read_statements(
        service: ServiceProcess, bus: Bus, bootstrap: str, prefix: str,
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The functions behind `wic clearing`, sent through POST /commands as the staff their
    token names (issue 16): the service's answers (accepted, no change, rejected with the
    reason; refused for the wrong person), statements read from the read model in yuan."""
    monkeypatch.setenv("WIC_CLEARING_URL", service.url)
    settings = Settings(bootstrap=bootstrap, database_url=database_url, topic_prefix=prefix)
    on = date(2024, 9, 1)
    finance = bearer(Role.FINANCE, "sun.li", ("370000",))
    officer = bearer(Role.CLEARING_OFFICER, "zhou.yu", ("370000",))
    beijing_finance = bearer(Role.FINANCE, "bj.finance", ("110000",))
    wrong_side = await clearing_cli.prepay(settings, "370000", "320000", 50_000_000, on,
                                           token=beijing_finance)
    assert isinstance(wrong_side, MessageRejected)
    assert wrong_side.reason_code == "forbidden_region"
    first = await clearing_cli.prepay(settings, "370000", "320000", 50_000_000, on,
                                      token=finance)
    assert isinstance(first, MessageAccepted) and first.detail == "LedgerPosted"
    again = await clearing_cli.prepay(settings, "370000", "320000", 50_000_000, on,
                                      token=finance)
    assert isinstance(again, MessageAccepted) and again.detail.startswith("no change")
    auditor = bearer(Role.AUDITOR, "qian.hui", ("370000",))
    refused = await clearing_cli.refuse(settings, "S-does-not-exist", 100, "audit", on,
                                        token=auditor)
    assert isinstance(refused, MessageRejected) and refused.reason_code == "unknown_settlement"
    await _settle(bus, settled(12_345, insured="370600", treatment="371402",
                               institution="H37140200001", on=date(2024, 9, 3)))
    cid = c.cycle_id("2024-09", "370600", "371400")
    await until(lambda: _statement(service, cid), lambda r: r[0] == 200)
    closed = await clearing_cli.close(settings, "2024-09", date(2024, 10, 1),
                                      pair=("371400", "370600"), token=officer)
    assert isinstance(closed[cid], MessageAccepted)
    await until(lambda: _statement(service, cid), lambda r: r[1]["status"] == "closed")
    [st] = await clearing_cli.statement_rows(database_url, cycle_id=cid)
    assert st.nets == {"370600": -12_345, "371400": 12_345}
    text = clearing_cli.format_statement(await clearing_cli.statement_rows(database_url,
                                                                           month="2024-09"))
    assert "H37140200001" in text and "-123.45" in text and "(intra_provincial, closed" in text
    wrong = await clearing_cli.settle(settings, cid, date(2024, 10, 2), token=officer)
    assert isinstance(wrong, MessageRejected) and wrong.reason_code == "cycle_not_confirmed"
