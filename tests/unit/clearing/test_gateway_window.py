"""The gateway's replay window bounded by the Kafka record's own time (issue 14 finding 7), the
answer delivered before the province's replay state is stored (issue 15), and malformed
registration-coverage records kept out of the gateway's coverage table (issue 14 finding 6)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest

from contracts import envelope, wire
from contracts.gateway import GatewayClaimAnswered, GatewayClaimSubmitted
from contracts.registration import CoverageWindow, RegistrationType, WorkerCoverage
from contracts.runtime.batching import DeferredSends, InputPositions
from contracts.runtime.rejection import RawRecord, Rejector
from contracts.topics import GATEWAY_INBOUND, REGISTRATION_COVERAGE, Writer
from services.clearing.adapters import config
from services.clearing.adapters.gateway_agent import GatewayDesk
from services.clearing.domain import gateway as g
from tests.support.gateway import PUBLIC_KEYS, signed_claim
from tests.support.runner import StandInApp, event

WORKER = "370102198503151002"
WINDOW = timedelta(minutes=10)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the records' (broker) time
FAR = datetime(2099, 1, 1, tzinfo=UTC)
COVER = WorkerCoverage(worker_id=WORKER, social_security_card=None, last_event_id=uuid.uuid4(),
                       windows=(CoverageWindow(
                           registration_id="R", registration_type=RegistrationType.REFERRAL,
                           insured_region="370102", treatment_region="110000",
                           valid_from=date(2024, 4, 1), valid_until=date(2024, 6, 30)),))


def accept(state: g.ProvinceReplayState, msg: GatewayClaimSubmitted, at: datetime
           ) -> g.ProvinceReplayState:
    assert g.replay(msg, state, WINDOW, record_time=at) == []
    return g.remember(state, msg, WINDOW, record_time=at)


def test_finding_7_a_claim_dated_2099_is_from_the_future_and_blocks_nobody() -> None:
    """Finding 7: sent_at far ahead of its record's time is refused `from_the_future`, and
    the next genuine claim of the province is accepted (it used to be `stale_message`)."""
    state = accept(g.ProvinceReplayState(), signed_claim(worker=WORKER, fund_fen=1,
                                                         sent_at=NOW - timedelta(hours=1)),
                   NOW - timedelta(hours=1))
    future = signed_claim(worker=WORKER, fund_fen=1, sent_at=FAR)
    assert g.replay(future, state, WINDOW, record_time=NOW) == ["from_the_future"]
    genuine = signed_claim(worker=WORKER, fund_fen=1, sent_at=NOW)
    assert g.replay(genuine, state, WINDOW, record_time=NOW) == []


def test_finding_7_a_sender_clock_within_the_skew_is_tolerated() -> None:
    """Finding 7: a clock a little ahead (within the skew, default 5 minutes) still passes."""
    ahead = signed_claim(worker=WORKER, fund_fen=1, sent_at=NOW + timedelta(minutes=4))
    assert g.replay(ahead, g.ProvinceReplayState(), WINDOW, record_time=NOW) == []
    beyond = signed_claim(worker=WORKER, fund_fen=1, sent_at=NOW + timedelta(minutes=6))
    assert g.replay(beyond, g.ProvinceReplayState(), WINDOW, record_time=NOW) == [
        "from_the_future"]


def test_finding_7_even_a_2099_record_time_cannot_make_later_claims_stale() -> None:
    """Finding 7: if a sender's producer stamped the record 2099 too, the claim passes, but
    staleness is never measured from later than a record's own time: the next genuine claim
    (its record stamped now) is accepted."""
    state = accept(g.ProvinceReplayState(),
                   signed_claim(worker=WORKER, fund_fen=1, sent_at=FAR), FAR)
    genuine = signed_claim(worker=WORKER, fund_fen=1, sent_at=NOW)
    assert g.replay(genuine, state, WINDOW, record_time=NOW) == []
    state = accept(state, genuine, NOW)
    late = signed_claim(worker=WORKER, fund_fen=1, sent_at=NOW - timedelta(minutes=11))
    assert g.replay(late, state, WINDOW, record_time=NOW) == ["stale_message"]


def test_finding_7_a_forgotten_id_cannot_come_back_in_a_backdated_record() -> None:
    """Finding 7: ids leave the replay state once out of the window; a copy of one sent again
    in a record stamped with its old time is refused as stale (the floor), not accepted."""
    t = NOW - timedelta(hours=2)
    first = signed_claim(worker=WORKER, fund_fen=1, sent_at=t)
    state = accept(g.ProvinceReplayState(), first, t)
    state = accept(state, signed_claim(worker=WORKER, fund_fen=1, sent_at=NOW), NOW)
    assert first.signed.message_id not in state.seen and state.floor == t
    assert g.replay(first, state, WINDOW, record_time=t) == ["stale_message"]
    assert g.replay(first, state, WINDOW, record_time=NOW) == ["stale_message"]


def test_finding_7_claims_dated_in_the_past_keep_the_senders_own_window() -> None:
    """Finding 7: the demo's and tests' claims are dated May 2024 in records stamped now: the
    window stays relative to the province's last accepted sent_at (as before)."""
    t = datetime(2024, 5, 23, 6, tzinfo=UTC)
    state = accept(g.ProvinceReplayState(), signed_claim(worker=WORKER, fund_fen=1, sent_at=t),
                   NOW)
    state = accept(state, signed_claim(worker=WORKER, fund_fen=1,
                                       sent_at=t + timedelta(minutes=5)), NOW)
    old = signed_claim(worker=WORKER, fund_fen=1, sent_at=t - timedelta(minutes=11))
    assert g.replay(old, state, WINDOW, record_time=NOW) == ["stale_message"]


class Outbox:
    """A producer that can fail: `fail_on` a topic raises like a broker that never acked."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.sent: list[tuple[str, bytes]] = []

    async def send(self, name: str, key: bytes | None, value: bytes) -> None:
        if name == self.fail_on:
            raise ConnectionError("crash before the answer was delivered")
        self.sent.append((name, value))

    def answers(self) -> list[GatewayClaimAnswered]:
        return [e.payload for e in (wire.decode(v) for n, v in self.sent
                                    if n.endswith("gateway-outbound"))
                if isinstance(e.payload, GatewayClaimAnswered)]

    def letters(self) -> list[object]:
        return [wire.decode(v).payload for n, v in self.sent if n.endswith("deadletters")]


class Desk:
    """The gateway agent's path for one record at a time: the desk's route through the
    shared runner (a stand-in app: no broker), positions in memory (a new Desk is a
    restart that lost them)."""

    def __init__(self, outbox: Outbox, replay: dict[bytes, bytes],
                 coverage: dict[bytes, bytes]) -> None:
        gw = config.GatewayConfig(home_province="370000", keys=PUBLIC_KEYS, key_id="",
                                  private_key=None, window=WINDOW)
        app = StandInApp(outbox.send)
        deferred = DeferredSends(app)  # type: ignore[arg-type]
        self.outbox = outbox
        self.desk = GatewayDesk(gw=gw, replay=replay, coverage=coverage,
                                rejector=Rejector(Writer.CLEARING, None, "t.", deferred.send))
        self.runner = self.desk.runner(app, InputPositions(app), deferred,  # type: ignore[arg-type]
                                       tables=())
        self.route = self.desk.route()

    async def check(self, record: RawRecord) -> bool:
        """Run one record; True if it was accepted (nothing dead-lettered)."""
        before = len(self.outbox.letters())
        await self.runner.run([event(record)], self.route)
        return len(self.outbox.letters()) == before

    async def keep_coverage(self, record: RawRecord) -> None:
        app = StandInApp(self.outbox.send)
        deferred = DeferredSends(app)  # type: ignore[arg-type]
        route = self.desk.coverage_route(Rejector(Writer.CLEARING, None, "t.", deferred.send))
        runner = self.desk.coverage_runner(app, InputPositions(app), deferred,  # type: ignore[arg-type]
                                           tables=())
        await runner.run([event(record)], route)


def desk(outbox: Outbox, replay: dict[bytes, bytes], coverage: dict[bytes, bytes]) -> Desk:
    return Desk(outbox, replay, coverage)


def record(topic: str, key: bytes | None, value: bytes | None, offset: int = 0,
           at: datetime = NOW) -> RawRecord:
    return RawRecord(topic=topic, partition=0, offset=offset, key=key,
                     value=value, timestamp_ms=int(at.timestamp() * 1000))  # type: ignore[arg-type]


def claim_record(msg: GatewayClaimSubmitted, offset: int = 0, at: datetime = NOW) -> RawRecord:
    # the sender's envelope times follow its own clock (else the envelope's own
    # plausibility bound, relative to recorded_at, would refuse a 2099 claim first)
    sent = msg.signed.sent_at
    env = envelope.new(msg, key="110000", occurred_at=sent, recorded_at=sent,
                       source="gateway-110000")
    return record(GATEWAY_INBOUND.name("t."), b"110000", wire.encode(env), offset, at)


def covered() -> dict[bytes, bytes]:
    env = envelope.new(COVER, key=WORKER, occurred_at=NOW, source="registration")
    return {WORKER.encode(): wire.encode(env)}


async def test_issue_15_a_crash_before_delivery_leaves_the_claim_unanswered_not_replayed(
        ) -> None:
    """Issue 15: the answer fails to be delivered (the process dies there); the province's
    replay state must not have been written, so the redelivered claim is accepted as the
    first time — not refused "replayed" — and the replay state is stored after delivery."""
    replay: dict[bytes, bytes] = {}
    coverage = covered()
    claim = claim_record(signed_claim(worker=WORKER, fund_fen=10, sent_at=NOW))
    crashing = Outbox(fail_on=GATEWAY_INBOUND.name("t.").replace("inbound", "outbound"))
    with pytest.raises(ConnectionError):
        await desk(crashing, replay, coverage).check(claim)
    assert replay == {}
    outbox = Outbox()
    assert await desk(outbox, replay, coverage).check(claim)  # redelivered after restart
    [answer] = outbox.answers()
    assert answer.accepted and answer.reason_codes == ()
    assert list(replay) == [b"110000"]
    assert not await desk(outbox, replay, coverage).check(claim)  # a true replay, now
    assert outbox.answers()[-1].reason_codes == ("replayed",)


async def test_issue_16_an_accepted_claim_names_the_province_whose_signature_verified() -> None:
    """The gateway is the ingress of other provinces: once a claim's signature verified,
    its answer (and the ledger posting derived from it) names that province as the actor;
    a refused claim names no one (its sender is not established)."""
    outbox = Outbox()
    d = desk(outbox, {}, covered())
    assert await d.check(claim_record(signed_claim(worker=WORKER, fund_fen=10, sent_at=NOW)))
    assert not await d.check(claim_record(signed_claim(worker=WORKER, fund_fen=10,
                                                       sent_at=NOW + timedelta(hours=12)), 1))
    accepted, refused = (wire.decode(v) for n, v in outbox.sent
                         if n.endswith("gateway-outbound"))
    assert accepted.actor is not None and accepted.actor.id == "province:110000"
    assert accepted.actor.kind == "province" and accepted.actor.channel == "gateway"
    assert refused.actor is None


async def test_finding_7_through_the_desk_a_2099_claim_then_a_genuine_one() -> None:
    """Finding 7 through the agent's code: the record's timestamp bounds the window."""
    replay: dict[bytes, bytes] = {}
    outbox = Outbox()
    d = desk(outbox, replay, covered())
    # 12 hours ahead: within the envelope's own bounds (recorded_at at most 1 day after the
    # record's time, else intake refuses it `implausible_date` before the desk sees it)
    ahead = NOW + timedelta(hours=12)
    assert not await d.check(claim_record(signed_claim(worker=WORKER, fund_fen=1, sent_at=ahead)))
    assert await d.check(claim_record(signed_claim(worker=WORKER, fund_fen=1, sent_at=NOW), 1))
    assert [a.reason_codes for a in outbox.answers()] == [("from_the_future",), ()]
    assert [lt.reason_code for lt in outbox.letters()] == ["from_the_future"]  # type: ignore[attr-defined]


async def test_finding_6_malformed_coverage_is_dead_lettered_and_the_table_unchanged() -> None:
    """Finding 6: schema_version 2, a wrong payload shape and a tombstone on
    registration-coverage are dead-lettered with their original bytes; the worker's
    coverage stays as registration last wrote it."""
    coverage = covered()
    before = dict(coverage)
    good = wire.decode(coverage[WORKER.encode()])
    data = orjson.loads(coverage[WORKER.encode()])
    v2 = orjson.dumps({**data, "schema_version": 2})
    shape = orjson.dumps({**data, "payload": {"worker_id": WORKER, "windows": "all"}})
    topic = REGISTRATION_COVERAGE.name("t.")
    outbox = Outbox()
    d = desk(outbox, {}, coverage)
    for i, value in enumerate((v2, shape, None)):
        await d.keep_coverage(record(topic, WORKER.encode(), value, offset=i))
    assert coverage == before
    letters = outbox.letters()
    assert [lt.reason_code for lt in letters] == [  # type: ignore[attr-defined]
        "unknown_type", "invalid_payload", "unexpected_tombstone"]
    assert [lt.value_b64 for lt in letters] == [  # type: ignore[attr-defined]
        base64.b64encode(v2).decode(), base64.b64encode(shape).decode(), ""]
    assert good.payload == COVER


async def test_finding_5_a_claim_recorded_in_2099_is_refused_before_the_window() -> None:
    """Finding 5 (intake): an envelope recorded_at more than a day after its record's broker
    time is refused `implausible_date` and dead-lettered; the replay state is untouched."""
    replay: dict[bytes, bytes] = {}
    outbox = Outbox()
    d = desk(outbox, replay, covered())
    assert not await d.check(claim_record(signed_claim(worker=WORKER, fund_fen=1, sent_at=FAR)))
    assert [lt.reason_code for lt in outbox.letters()] == ["implausible_date"]  # type: ignore[attr-defined]
    assert not [k for k in replay if not k.startswith(b"\x00")]
