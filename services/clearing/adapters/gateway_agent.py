"""Gateway agents: keep our registrations' coverage locally, and check every inbound claim.

An inbound claim is answered on `gateway-outbound` (key: the sender's province): accepted —
the ledger agent then draws it on our prepayment — or refused with reason codes, in which
case the original bytes are also dead-lettered for audit (forged, replayed, tampered,
unknown worker, not covered…). Answers to OUR claims also arrive on gateway-inbound; the
ledger agent verifies and applies them (this agent lets them pass). Claims go through the
shared runner (`contracts.runtime.runner`) to the handler map of `domain/gateway_desk.py`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust

from contracts import coverage, wire
from contracts.coverage import Keep
from contracts.registration import WorkerCoverage
from contracts.runtime import faust_app
from contracts.runtime.batching import (
    BatchedState,
    DeferredSends,
    InputPositions,
    Snapshots,
    as_current,
    batches,
)
from contracts.runtime.rejection import RawRecord, Rejector
from contracts.runtime.runner import Route, Runner
from contracts.settings import Settings
from contracts.topics import GATEWAY_INBOUND, REGISTRATION_COVERAGE
from services.clearing.adapters import config, records
from services.clearing.domain import gateway as rules
from services.clearing.domain.gateway_desk import CLAIMS_KEYED_BY, HANDLERS, DeskContext

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


@dataclass
class GatewayDesk:
    """The gateway's tables and routes. Tables are plain mappings here (faust tables in the
    service, dicts in tests): `replay` province -> replay state (and the input positions),
    `coverage` worker -> WorkerCoverage envelope bytes."""

    gw: config.GatewayConfig
    replay: Any
    coverage: Any
    rejector: Rejector

    def coverage_of(self, worker_id: str) -> WorkerCoverage | None:
        with as_current(None):  # keyed by worker, read for a claim keyed by province
            raw = self.coverage.get(worker_id.encode())
        cov = wire.decode(raw).payload if raw else None
        return cov if isinstance(cov, WorkerCoverage) else None

    def route(self) -> Route[rules.ProvinceReplayState, DeskContext]:
        def context(record: RawRecord) -> DeskContext:
            return DeskContext(self.gw, self.coverage_of, record_time(record))

        return Route("gateway", HANDLERS, self.rejector, context, keyed_by=CLAIMS_KEYED_BY)

    def runner(self, app: Any, positions: InputPositions, deferred: DeferredSends,
               tables: Sequence[Any] | None = None) -> Runner[rules.ProvinceReplayState]:
        """The province's replay state is written only after the answer was delivered
        (issue 15): a crash before delivery leaves it as it was, so the redelivered claim
        is answered as the first time, not as "replayed"."""
        return Runner(app, BatchedState(self.replay, _load, _dump, rules.ProvinceReplayState),
                      positions, deferred,
                      tables=[self.replay] if tables is None else tables)

    def coverage_route(self, rejector: Rejector) -> Route[bytes, Keep]:
        """registration-coverage: a valid snapshot replaces the worker's (the record's
        bytes, as the table always held); anything else is dead-lettered with its original
        bytes and leaves the table as it was (issue 14 finding 6)."""
        def kept_of(record: RawRecord) -> Keep:
            return lambda _env: record.value or b""

        return Route(COVERAGE_STAGE, coverage.HANDLERS, rejector, kept_of,
                     unexpected="unexpected_coverage")

    def coverage_runner(self, app: Any, positions: InputPositions, deferred: DeferredSends,
                        tables: Sequence[Any] | None = None) -> Runner[bytes]:
        return Runner(app, Snapshots(self.coverage, _same, bytes), positions,
                      deferred, tables=[self.coverage] if tables is None else tables)


def _same(raw: bytes) -> bytes:
    return raw


def register(app: faust.App, settings: Settings) -> None:
    p = settings.topic_prefix
    deferred = DeferredSends(app)
    desk = GatewayDesk(gw=config.gateway(),
                       coverage=faust_app.table(app, "workers_to_coverage"),
                       replay=faust_app.table(app, "provinces_to_replay_state"),
                       rejector=records.rejector(app, settings, reply=None,
                                                 send=deferred.send))
    inbound = app.topic(GATEWAY_INBOUND.name(p), key_type=bytes, value_type=bytes)
    cov_topic = app.topic(REGISTRATION_COVERAGE.name(p), key_type=bytes, value_type=bytes)
    runner = desk.runner(app, InputPositions(app, desk.replay).attach(
        app, GATEWAY_INBOUND.name(p)), deferred)
    claims = desk.route()
    absorbed = DeferredSends(app)
    snapshots = desk.coverage_route(records.rejector(app, settings, reply=None,
                                                     send=absorbed.send))
    coverage_runner = desk.coverage_runner(app, InputPositions(app, desk.coverage).attach(
        app, REGISTRATION_COVERAGE.name(p)), absorbed)

    @app.agent(inbound, concurrency=1, name="check_gateway_claims")
    async def check_gateway_claims(stream: faust.StreamT[bytes]) -> None:
        async for events in batches(stream):
            await runner.run(events, claims)

    @app.agent(cov_topic, concurrency=1, name="keep_coverage")
    async def keep_coverage(stream: faust.StreamT[bytes]) -> None:
        async for events in batches(stream):
            await coverage_runner.run(events, snapshots)
