"""Gateway agents: keep our registrations' coverage locally, and check every inbound claim.

An inbound claim is answered on `gateway-outbound` (key: the sender's province): accepted —
the ledger agent then draws it on our prepayment — or refused with reason codes, in which
case the original bytes are also dead-lettered for audit (forged, replayed, tampered,
unknown worker, not covered…). Answers to OUR claims also arrive on gateway-inbound; the
ledger agent verifies and applies them (this agent lets them pass).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust

from contracts import envelope, wire
from contracts.envelope import Envelope
from contracts.gateway import GatewayClaimAnswered, GatewayClaimSubmitted, answer_signed_bytes
from contracts.message import Message
from contracts.registration import WorkerCoverage
from contracts.runtime import faust_app, intake
from contracts.runtime.batching import InputPositions, as_current
from contracts.runtime.intake import Outgoing
from contracts.runtime.rejection import RawRecord, Rejected, Rejector, raw_record
from contracts.settings import Settings
from contracts.topics import GATEWAY_INBOUND, GATEWAY_OUTBOUND, REGISTRATION_COVERAGE
from services.clearing.adapters import config, records
from services.clearing.domain import gateway as rules

SOURCE = "clearing-gateway"
COVERAGE_STAGE = "registration-coverage"


def _dump(state: rules.ProvinceReplayState) -> bytes:
    last = state.last_sent_at.isoformat() if state.last_sent_at else None
    data: dict[str, Any] = {"last": last,
                            "seen": {k: v.isoformat() for k, v in state.seen.items()}}
    if state.floor is not None:  # absent in states written before the floor existed
        data["floor"] = state.floor.isoformat()
    return json.dumps(data).encode()


def _load(raw: bytes | None) -> rules.ProvinceReplayState:
    if not raw:
        return rules.ProvinceReplayState()
    d = json.loads(raw)
    floor = d.get("floor")
    return rules.ProvinceReplayState(
        last_sent_at=datetime.fromisoformat(d["last"]) if d["last"] else None,
        seen={k: datetime.fromisoformat(v) for k, v in d["seen"].items()},
        floor=datetime.fromisoformat(floor) if floor else None)


def record_time(record: RawRecord) -> datetime | None:
    """The Kafka timestamp of the record (stored in the log: a replay sees the same one)."""
    if record.timestamp_ms is None or record.timestamp_ms < 0:
        return None
    return datetime.fromtimestamp(record.timestamp_ms / 1000, UTC)


def coverage_snapshot(record: RawRecord) -> tuple[bytes, bytes]:
    """(key, value) to keep in the coverage table, if the record is a `WorkerCoverage` v1 for
    the worker it is keyed by; else `Rejected` or `wire.WireError` with the reason code (issue
    14 finding 6). Registration never writes tombstones, so a tombstone is refused too: it
    must not erase a worker's coverage."""
    key, value = record.key, record.value
    if key is None:
        raise Rejected("missing_key", "registration-coverage records are keyed by worker id")
    if value is None:
        raise Rejected("unexpected_tombstone",
                       "registration never deletes a coverage snapshot; a tombstone is refused")
    env = wire.decode(value)
    if not isinstance(env.payload, WorkerCoverage) or env.schema_version != 1:
        raise Rejected("unexpected_coverage", f"{env.type} v{env.schema_version} is not a "
                       "WorkerCoverage v1 snapshot")
    if env.payload.worker_id.encode() != key or env.key.encode() != key:
        raise Rejected("unexpected_coverage", "not a WorkerCoverage snapshot for its key")
    return key, value


@dataclass
class GatewayDesk:
    """Checks one inbound record at a time. Tables are plain mappings here (faust tables in
    the service, dicts in tests): `replay` province -> replay state, `coverage` worker ->
    WorkerCoverage envelope bytes."""

    gw: config.GatewayConfig
    replay: Any
    coverage: Any
    rejector: Rejector

    def answer(self, env: Envelope[Message], msg: GatewayClaimSubmitted | None,
               codes: list[str], reason: str) -> Envelope[Message]:
        gw = self.gw
        salt = "refusal" if codes else "answer"  # a replayed copy must not reuse the id
        ans = GatewayClaimAnswered(
            message_id=str(envelope.derived_id(env.event_id, 0, salt)),
            in_reply_to=msg.signed.message_id if msg else None,
            origin_province=gw.home_province,
            destination_province=msg.signed.origin_province if msg else None,
            accepted=not codes, reason_codes=tuple(codes), reason=reason,
            claim=msg.signed.claim if msg and not codes else None,
            answered_at=env.occurred_at, key_id=gw.key_id)
        if gw.private_key is not None:
            sig = gw.private_key.sign(answer_signed_bytes(ans))
            ans = ans.model_copy(update={"signature": base64.b64encode(sig).decode()})
        key = msg.signed.origin_province if msg else env.key
        [out] = envelope.derive(env, [ans], key=key, source=SOURCE, salt=salt)
        return out

    def decide(self, msg: GatewayClaimSubmitted, state: rules.ProvinceReplayState,
               at: datetime | None) -> list[str]:
        """The reason codes of a refusal (empty: accepted). Pure but for the coverage read."""
        gw = self.gw
        codes = rules.authenticity(msg, gw.keys)
        if not codes:  # only an authentic message may touch the replay state
            codes = rules.replay(msg, state, gw.window, record_time=at, skew=gw.skew)
        if not codes:
            with as_current(None):  # keyed by worker, read for a claim keyed by province
                cov_raw = self.coverage.get(msg.signed.claim.worker_id.encode())
            cov = wire.decode(cov_raw).payload if cov_raw else None
            codes = rules.validity(msg, cov if isinstance(cov, WorkerCoverage) else None,
                                   gw.home_province)
        return codes

    async def check(self, record: RawRecord) -> bool:
        """Answer one gateway-inbound record. The province's replay state is written only
        after the answer was delivered (issue 15): a crash before delivery leaves it as it
        was, so the redelivered claim is answered as the first time, not as "replayed"."""
        at = record_time(record)
        decided: dict[bytes, rules.ProvinceReplayState] = {}
        rejector, prefix = self.rejector, self.rejector.prefix

        async def handle(env: Envelope[Message]) -> Sequence[Outgoing]:
            msg = env.payload
            if isinstance(msg, GatewayClaimAnswered):
                return []  # an answer to one of OUR claims: the ledger agent applies it
            if not isinstance(msg, GatewayClaimSubmitted):
                raise Rejected("unexpected_type", f"{env.type} does not belong on gateway-inbound")
            origin = msg.signed.origin_province.encode()
            state = _load(self.replay.get(origin))
            codes = self.decide(msg, state, at)
            if codes:  # the refusal goes out (delivered) before the dead letter
                reason = f"claim {msg.signed.message_id} refused: {', '.join(codes)}"
                out = self.answer(env, msg, codes, reason)
                await rejector.send(GATEWAY_OUTBOUND.name(prefix), out.key.encode(),
                                    wire.encode(out))
                raise Rejected(codes[0], reason)
            decided[origin] = rules.remember(state, msg, self.gw.window, record_time=at)
            return [Outgoing(GATEWAY_OUTBOUND, self.answer(env, msg, [], "accepted"))]

        accepted = await intake.process(record, handle, rejector, stage="gateway")
        for origin, state in decided.items():  # the answer is delivered: now remember it
            self.replay[origin] = _dump(state)
        return accepted

    async def keep_coverage(self, record: RawRecord) -> None:
        """A valid snapshot replaces the worker's; anything else is dead-lettered with its
        original bytes and leaves the table as it was (issue 14 finding 6)."""
        try:
            key, value = coverage_snapshot(record)
        except (Rejected, wire.WireError) as exc:
            code, reason = ((exc.code, exc.reason) if isinstance(exc, Rejected)
                            else (exc.code, exc.detail))
            cause = _decoded_or_none(record.value)
            await self.rejector.reject(record, code, reason, stage=COVERAGE_STAGE, cause=cause)
            return
        self.coverage[key] = value


def _decoded_or_none(value: bytes | None) -> Envelope[Message] | None:
    try:
        return wire.decode(value)
    except wire.WireError:
        return None


def register(app: faust.App, settings: Settings) -> None:
    p = settings.topic_prefix
    desk = GatewayDesk(gw=config.gateway(),
                       coverage=faust_app.table(app, "workers_to_coverage"),
                       replay=faust_app.table(app, "provinces_to_replay_state"),
                       rejector=records.rejector(app, settings, reply=None))
    inbound = app.topic(GATEWAY_INBOUND.name(p), key_type=bytes, value_type=bytes)
    cov_topic = app.topic(REGISTRATION_COVERAGE.name(p), key_type=bytes, value_type=bytes)

    positions = InputPositions(app, desk.replay).attach(app, GATEWAY_INBOUND.name(p))

    @app.agent(inbound, concurrency=1, name="check_gateway_claims")
    async def check_gateway_claims(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            for admitted in await positions.admit([event]):
                await desk.check(raw_record(admitted))
            positions.store()  # after the answer and the replay state

    @app.agent(cov_topic, concurrency=1, name="keep_coverage")
    async def keep_coverage(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            await desk.keep_coverage(raw_record(event))
