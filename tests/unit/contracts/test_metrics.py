"""The metrics module's pure parts: lag arithmetic, the health status, the `service` label
added at scrape time, the page in text format 0.0.4, and the hooks counting where things
happen (a refusal, a redelivery, a rewind, a decided batch, a read model restart)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from faust.types import TP
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from contracts.runtime import metrics
from contracts.runtime.batching import InputPositions
from contracts.runtime.projection import Progress
from contracts.runtime.rejection import RawRecord, Rejector
from contracts.topics import Writer


def value(name: str, **labels: str) -> float:
    """A sample of the module's registry (0 if it was never counted)."""
    got = metrics.REGISTRY.get_sample_value(name, labels)
    return 0.0 if got is None else got


def samples(page: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The page parsed as Prometheus parses text format 0.0.4."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(page.decode())
            for s in family.samples}


def test_lag_is_highwater_minus_position_and_unknown_when_either_is() -> None:
    assert metrics.lag(120, 100) == 20
    assert metrics.lag(100, 100) == 0
    assert metrics.lag(100, 105) == 0  # a position read before the highwater moved
    assert metrics.lag(None, 5) is None
    assert metrics.lag(5, None) is None


def test_health_status_is_the_one_health_answers() -> None:
    alive = {"decide": True}
    assert metrics.health_status(True, alive, True, []) == "ok"
    assert metrics.health_status(True, alive, True, ["claims"]) == "degraded"
    assert metrics.health_status(True, {"decide": False}, True, []) == "unavailable"
    assert metrics.health_status(True, alive, False, []) == "unavailable"
    assert metrics.health_status(False, alive, True, ["claims"]) == "unavailable"


def test_every_sample_gets_the_service_label_and_keeps_its_own() -> None:
    source = CollectorRegistry(auto_describe=False)
    Counter("wic_things", "things", ["kind"], registry=source).labels("a").inc(3)
    page = samples(generate_latest(metrics.exposition("encounter", [source])))
    assert page[("wic_things_total", (("kind", "a"), ("service", "encounter")))] == 3
    assert all(dict(labels)["service"] == "encounter" for _, labels in page)


@dataclass
class Outbox:
    sent: list[str] = field(default_factory=list)

    async def send(self, name: str, key: bytes | None, value: bytes) -> None:
        self.sent.append(name)


def test_every_reject_counts_a_refusal_by_code_and_stage_and_a_dead_letter() -> None:
    outbox = Outbox()
    rejector = Rejector(Writer.ENCOUNTER, None, "t-unit.", outbox.send)
    before = value("wic_refusals_total", reason_code="unit_code", stage="unit-stage")
    letters = value("wic_deadletters_total", topic="t-unit.encounter-deadletters")
    record = RawRecord("t-unit.hospital-messages", 0, 7, b"k", b"garbage", 1_700_000_000_000)
    for _ in range(2):
        asyncio.run(rejector.reject(record, "unit_code", "a reason", stage="unit-stage"))
    assert outbox.sent == ["t-unit.encounter-deadletters"] * 2
    assert value("wic_refusals_total", reason_code="unit_code", stage="unit-stage") == before + 2
    assert value("wic_deadletters_total", topic="t-unit.encounter-deadletters") == letters + 2


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    timestamp: float | None = None

    @property
    def tp(self) -> TP:
        return TP(self.topic, self.partition)


@dataclass
class Event:
    message: Message


class Consumer:
    seeks: list[tuple[TP, int]]

    def __init__(self) -> None:
        self.seeks = []

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: 0 for tp in tps}

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))


@dataclass
class App:
    consumer: Consumer = field(default_factory=Consumer)


def test_input_positions_count_redeliveries_rewinds_and_decided_batches() -> None:
    topic = "t-unit.positions"
    async def no_records(tp: Any, start: int, end: int) -> list[Any]:
        return []  # the hole's records, read from the broker (none here)

    positions = InputPositions(App(), None, reader=no_records)  # type: ignore[arg-type]
    latency = value("wic_decision_latency_seconds_count", topic=topic)
    redelivered = value("wic_input_redelivered_total", topic=topic)
    rewinds = value("wic_input_rewinds_total", topic=topic, partition="3")

    def batch(*offsets: int) -> list[Any]:
        return [Event(Message(topic, 3, o, 1_700_000_000.0)) for o in offsets]

    asyncio.run(positions.admit(batch(0, 1, 2)))
    positions.store()
    assert value("wic_decision_latency_seconds_count", topic=topic) == latency + 1
    asyncio.run(positions.admit(batch(1, 2)))  # redelivered: nothing decided
    positions.store()
    assert value("wic_input_redelivered_total", topic=topic) == redelivered + 2
    assert value("wic_decision_latency_seconds_count", topic=topic) == latency + 1
    asyncio.run(positions.admit(batch(9)))  # a hole: 3-8 read from the broker
    positions.store()
    assert value("wic_input_rewinds_total", topic=topic, partition="3") == rewinds + 1
    assert positions.holes == 1 and positions.redelivered == 2


def test_decision_latency_is_the_age_of_the_batch_first_record() -> None:
    topic = "t-unit.latency"
    metrics.decided(topic, 1000.0, now=1000.004)  # 4 ms
    metrics.decided(topic, 1000.0, now=999.0)  # a producer clock ahead: never negative
    metrics.decided(topic, None)  # no broker timestamp: nothing observed
    assert value("wic_decision_latency_seconds_count", topic=topic) == 2
    assert value("wic_decision_latency_seconds_bucket", topic=topic, le="0.005") == 2
    assert value("wic_decision_latency_seconds_bucket", topic=topic, le="0.0025") == 1
    assert abs(value("wic_decision_latency_seconds_sum", topic=topic) - 0.004) < 1e-6


def test_a_read_model_failure_counts_a_restart_until_it_is_healthy() -> None:
    name = "unit_read_model"
    restarts = value("wic_read_model_restarts_total", read_model=name)
    metrics.read_model_failed(name)
    assert value("wic_read_model_restarts_total", read_model=name) == restarts + 1
    assert value("wic_read_model_failing", read_model=name) == 1
    metrics.read_model_healthy(name)
    assert value("wic_read_model_failing", read_model=name) == 0
    assert value("wic_read_model_restarts_total", read_model=name) == restarts + 1


class FaustConsumer:
    """The parts of faust's consumer the lag gauges read."""

    def __init__(self) -> None:
        self.tps = {TP("t.hospital-messages", 0), TP("t.hospital-messages", 1),
                    TP("t.encounter-table-changelog", 0)}
        self._committed_offset: dict[TP, int | None] = {TP("t.hospital-messages", 0): 40}
        self._read_offset: dict[TP, int | None] = {TP("t.hospital-messages", 0): 44}

    def assignment(self) -> set[TP]:
        return self.tps

    def highwater(self, tp: TP) -> int:
        if tp.partition == 1:
            raise AssertionError("Partition is not assigned")  # revoked meanwhile
        return 50


@dataclass
class PartitionState:
    highwater: int | None
    position: int | None

    @property
    def has_valid_position(self) -> bool:
        return self.position is not None


class Assignment:
    def __init__(self, states: dict[Any, PartitionState]) -> None:
        self.states = states

    def state_value(self, tp: Any) -> PartitionState | None:
        return self.states.get(tp)


class AiokafkaConsumer:
    def __init__(self, states: dict[Any, PartitionState]) -> None:
        self.states = states
        self._subscription = type("S", (), {"subscription": type(
            "Sub", (), {"assignment": Assignment(states)})()})()

    def assignment(self) -> set[Any]:
        return set(self.states)


@dataclass
class Runner:
    _consumer: Any
    projection: Any = field(default_factory=lambda: type("P", (), {"name": "unit_claims"})())
    progress: Progress = field(default_factory=Progress)


def test_the_scraped_gauges_from_a_running_app_and_read_model() -> None:
    app = type("FakeApp", (), {"consumer": FaustConsumer()})()
    a, b = TP("t.claims", 0), TP("t.claims", 1)
    runner = Runner(AiokafkaConsumer({a: PartitionState(90, 70), b: PartitionState(12, 12)}))
    runner.progress.positions[("t.claims", 0)] = 80  # applied beyond the consumer's seek
    metrics.projection_started(runner)
    try:
        scraped = metrics.Scraped(app, lambda: (True, {"decide": True}, True))
        page = samples(generate_latest(metrics.exposition("encounter", [scraped])))
    finally:
        metrics.projection_stopped(runner)

    def at(name: str, **labels: str) -> float | None:
        return page.get((name, tuple(sorted({**labels, "service": "encounter"}.items()))))

    hm = {"topic": "t.hospital-messages", "partition": "0"}
    assert at("wic_consumer_highwater", **hm) == 50
    assert at("wic_consumer_committed_offset", **hm) == 40
    assert at("wic_consumer_lag", **hm) == 10
    assert at("wic_consumer_read_lag", **hm) == 5  # read 44: next to hand over is 45
    assert at("wic_consumer_lag", topic="t.hospital-messages", partition="1") is None
    assert not [k for k in page if dict(k[1]).get("topic", "").endswith("-changelog")]
    assert at("wic_projection_position", read_model="unit_claims", topic="t.claims",
              partition="0") == 80
    assert at("wic_projection_lag", read_model="unit_claims", topic="t.claims",
              partition="0") == 10
    assert at("wic_projection_lag", read_model="unit_claims", topic="t.claims",
              partition="1") == 0
    assert at("wic_health", status="ok") == 1 and at("wic_health", status="degraded") == 0
    assert at("wic_ready") == 1 and at("wic_broker_reachable") == 1
    assert at("wic_agent_alive", agent="decide") == 1


def test_faust_sensor_counts_per_record_work_only_in_faust_monitor() -> None:
    """The per-record series of faust's sensor are left out of its registry; the same counts
    come from the monitor's plain counters when scraped."""
    registry = CollectorRegistry(auto_describe=False)
    sensor = metrics.faust_sensor(registry)
    tp = TP("t.hospital-messages", 2)
    records = [type("Record", (), {})() for _ in range(3)]  # faust stamps time_in on them
    for offset, record in enumerate(records):
        sensor.on_message_in(tp, offset, record)
    sensor.on_message_out(tp, 0, records[0])
    sensor.on_tp_commit({tp: 3})  # per commit: still the sensor's own series
    names = {s.name for family in registry.collect() for s in family.samples}
    assert "wic_faust_topic_partition_offset_commited" in names
    assert not names & {"wic_faust_messages_received_total", "wic_faust_table_operations_total",
                        "wic_faust_topic_messages_sent_total"}
    page = samples(generate_latest(metrics.exposition("encounter", [
        registry, metrics.FaustCounts(sensor)])))
    assert page[("wic_faust_messages_received_total", (("service", "encounter"),))] == 3
    assert page[("wic_faust_messages_received_per_topic_total",
                 (("service", "encounter"), ("topic", "t.hospital-messages")))] == 3
    assert page[("wic_faust_active_messages", (("service", "encounter"),))] == 2
    assert page[("wic_faust_topic_partition_offset_commited", (
        ("partition", "2"), ("service", "encounter"), ("topic", "t.hospital-messages")))] == 3
