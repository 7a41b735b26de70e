"""`GET /metrics`: Prometheus text exposition (format 0.0.4) on every service.

Two sources, one page (docs/operations.md, "Metrics", lists every metric):

- faust's own Prometheus sensor (`faust.sensors.prometheus.PrometheusMonitor`, which works
  with faust-streaming 0.15.3), named `wic_faust_*`: rebalances, assignments, commits, send
  errors, HTTP, offsets — and, read when scraped from faust's monitor instead of updated
  per record by the sensor (`FaustSensor`: ~30 us a record saved), records in, events,
  table keys and records sent;
- what it lacks, named `wic_*`: refusals by reason code and stage, dead letters, decision
  latency, input rewinds and redeliveries, read model restarts and failures — counters
  incremented at the place they happen (`rejection.Rejector.reject`,
  `batching.InputPositions`, `projection.LiveReadModels`) — and, computed only when
  scraped, consumer lag of the agents, projection lag of the read models and health.

Every sample carries a `service` label, added at scrape time (one service per process), so
the hot path pays one `labels(...).inc()` of prometheus_client and builds nothing else.
Counters are module-level: they survive an agent's restart inside the process (a new
`InputPositions` or `ProjectionRunner`), and reset only when the process does, as
Prometheus expects of a counter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from aiohttp.web import Response
from faust.sensors.monitor import Monitor
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

disable_created_metrics()  # no `*_created` series beside every counter (process-wide)

REGISTRY = CollectorRegistry(auto_describe=False)
"""The `wic_*` counters of this process (without the `service` label: added when scraped)."""

REFUSALS = Counter(
    "wic_refusals", "Records refused (every Rejector.reject call), by reason code and stage",
    ["reason_code", "stage"], registry=REGISTRY)
DEADLETTERS = Counter(
    "wic_deadletters", "Dead letters handed to the producer, by dead-letter topic",
    ["topic"], registry=REGISTRY)
INPUT_REWINDS = Counter(
    "wic_input_rewinds", "Holes filled: faust handed over a record past a hole, whose records "
    "were read from the broker (InputPositions.holes; should stay 0)", ["topic", "partition"],
    registry=REGISTRY)
INPUT_REDELIVERED = Counter(
    "wic_input_redelivered", "Input records passed by as already decided "
    "(InputPositions.redelivered)", ["topic"], registry=REGISTRY)
READ_MODEL_RESTARTS = Counter(
    "wic_read_model_restarts", "Read model runs that failed and were restarted after a wait "
    "(LiveReadModels.restarts)", ["read_model"], registry=REGISTRY)
READ_MODEL_FAILING = Gauge(
    "wic_read_model_failing", "1 while a read model waits to restart after a failure",
    ["read_model"], registry=REGISTRY)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0, 30.0, 60.0, 300.0)
DECISION_LATENCY = Histogram(
    "wic_decision_latency_seconds", "Per batch of an agent: from the broker timestamp of "
    "the batch's first decided record to the batch's outputs delivered and its state "
    "stored", ["topic"], buckets=LATENCY_BUCKETS, registry=REGISTRY)

HEALTH_STATES = ("ok", "degraded", "unavailable")
BROKER_TIMEOUT = 0.5  # seconds a scrape waits for the broker's TCP accept

_failing: set[str] = set()  # read models waiting to restart (for wic_health)
_projections: dict[int, Any] = {}  # running ProjectionRunners by id (dataclasses: unhashable)


# --- hooks: called where the thing happens; each is a counter increment -------------------

def refused(code: str, stage: str) -> None:
    REFUSALS.labels(code, stage).inc()


def dead_lettered(topic: str) -> None:
    DEADLETTERS.labels(topic).inc()


def rewound(topic: str, partition: int) -> None:
    INPUT_REWINDS.labels(topic, str(partition)).inc()


def redelivered(topic: str) -> None:
    INPUT_REDELIVERED.labels(topic).inc()


def decided(topic: str, broker_timestamp: float | None, now: float | None = None) -> None:
    """A batch whose first decided record has `broker_timestamp` (seconds since the epoch,
    faust's `Message.timestamp`) has its outputs delivered and its state stored."""
    if not broker_timestamp:
        return
    delay = (time.time() if now is None else now) - broker_timestamp
    DECISION_LATENCY.labels(topic).observe(max(delay, 0.0))


def read_model_failed(name: str) -> None:
    READ_MODEL_RESTARTS.labels(name).inc()
    READ_MODEL_FAILING.labels(name).set(1)
    _failing.add(name)


def read_model_healthy(name: str) -> None:
    READ_MODEL_FAILING.labels(name).set(0)
    _failing.discard(name)


def projection_started(runner: Any) -> None:
    """A ProjectionRunner's consumer is up: its lag is reported until `projection_stopped`."""
    _projections[id(runner)] = runner


def projection_stopped(runner: Any) -> None:
    _projections.pop(id(runner), None)


# --- faust's sensor, without its per-record work ------------------------------------------

PER_RECORD_SERIES = (
    "messages_received", "active_messages", "messages_received_per_topics",
    "messages_received_per_topics_partition", "events_runtime_latency", "total_events",
    "total_active_events", "total_events_per_stream", "table_operations",
    "topic_messages_sent", "total_sent_messages", "producer_send_latency")
"""faust's series that its sensor updates on every record, table key or send: left out, the
same counts are read from faust's plain `Monitor` when scraped (`FaustCounts`)."""


class FaustSensor(PrometheusMonitor):
    """faust's Prometheus sensor for what happens per commit, rebalance, assignment, send
    error and HTTP request; per record it does only what faust's default `Monitor` does.

    Why: the shipped sensor costs ~30 us more per record than the default monitor (a
    message in, an event, a table get and set, a send: 32.5-37.8 us against 4.7-7.9 us,
    measured on this machine), for each record at every service: prometheus_client's
    `labels()` and an f-string per table operation and per send. The `Monitor` it extends
    already counts those in plain ints."""

    on_message_in = Monitor.on_message_in
    on_stream_event_in = Monitor.on_stream_event_in
    on_stream_event_out = Monitor.on_stream_event_out
    on_message_out = Monitor.on_message_out
    on_table_get = Monitor.on_table_get
    on_table_set = Monitor.on_table_set
    on_table_del = Monitor.on_table_del
    on_send_initiated = Monitor.on_send_initiated
    on_send_completed = Monitor.on_send_completed


def faust_sensor(registry: CollectorRegistry) -> FaustSensor:
    """The sensor, its series `wic_faust_*` in `registry` (the per-record ones left out)."""
    series = FaustMetrics.create(registry, "wic_faust")
    for name in PER_RECORD_SERIES:
        registry.unregister(getattr(series, name))
    return FaustSensor(metrics=series)


class FaustCounts(Collector):
    """faust's per-record counts, read from its monitor when scraped."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterable[Metric]:
        m = self.monitor
        received = CounterMetricFamily("wic_faust_messages_received", "Records faust "
                                       "handed to the agents' streams")
        received.add_metric([], m.messages_received_total)
        by_topic = CounterMetricFamily("wic_faust_messages_received_per_topic", "Records "
                                       "handed to the agents, per topic", labels=["topic"])
        for topic, n in sorted(m.messages_received_by_topic.items()):
            by_topic.add_metric([topic], n)
        active = GaugeMetricFamily("wic_faust_active_messages", "Records handed over and "
                                   "not yet acknowledged")
        active.add_metric([], m.messages_active)
        events = CounterMetricFamily("wic_faust_events", "Stream events the agents took")
        events.add_metric([], m.events_total)
        sent = CounterMetricFamily("wic_faust_messages_sent", "Records handed to faust's "
                                   "producer, per topic", labels=["topic"])
        for topic, n in sorted(m.messages_sent_by_topic.items()):
            sent.add_metric([topic], n)
        keys = CounterMetricFamily("wic_faust_table_keys", "Table keys read, written and "
                                   "deleted", labels=["table", "operation"])
        for name, table in sorted(m.tables.items()):
            keys.add_metric([name, "retrieved"], table.keys_retrieved)
            keys.add_metric([name, "updated"], table.keys_updated)
            keys.add_metric([name, "deleted"], table.keys_deleted)
        return [received, by_topic, active, events, sent, keys]


# --- computed when scraped ----------------------------------------------------------------

def lag(highwater: int | None, position: int | None) -> int | None:
    """Records not yet consumed: highwater (next offset to be written) minus position (next
    offset to be read). None if either is unknown (a partition not fetched yet)."""
    if highwater is None or position is None:
        return None
    return max(highwater - position, 0)


def agent_partitions(app: Any) -> Iterator[tuple[str, int, int | None, int | None,
                                                 int | None]]:
    """(topic, partition, highwater, committed, read) of each partition the agents consume.

    Tables' changelog partitions are left out (recovery reads them, no agent). faust's
    committed offset is the next offset to read (as Kafka's); its read offset is the offset
    of the last record handed to the agents, so the next is one more."""
    consumer = app.consumer
    committed_offsets = consumer._committed_offset  # defaultdicts: .get does not insert
    read_offsets = consumer._read_offset
    for tp in sorted(consumer.assignment()):
        if tp.topic.endswith("-changelog"):
            continue
        try:
            highwater = consumer.highwater(tp)
        except Exception:  # not assigned any more (a rebalance), or not fetched yet
            highwater = None
        read = read_offsets.get(tp)
        yield (tp.topic, tp.partition, highwater, committed_offsets.get(tp),
               None if read is None else read + 1)


def projection_partitions(runner: Any) -> Iterator[tuple[str, int, int | None, int | None]]:
    """(topic, partition, highwater, position) of a running ProjectionRunner: the position
    is the next offset its last applied batch stored, else (nothing applied since it
    started) the consumer's position, where it was sought to the stored checkpoint."""
    consumer = runner._consumer
    if consumer is None:
        return
    applied = runner.progress.positions
    assignment = consumer._subscription.subscription
    states = None if assignment is None else assignment.assignment
    for tp in sorted(consumer.assignment()):
        position = applied.get((tp.topic, tp.partition))
        highwater = None
        state = None if states is None else states.state_value(tp)
        if state is not None:
            highwater = state.highwater
            if position is None and state.has_valid_position:
                position = state.position
        yield tp.topic, tp.partition, highwater, position


def health_status(ready: bool, agents: dict[str, bool], broker: bool,
                  failing: Iterable[str]) -> str:
    """The status `GET /health` answers (faust_app.add_health)."""
    ok = ready and broker and all(agents.values())
    return "degraded" if ok and any(True for _ in failing) else ("ok" if ok else "unavailable")


class Scraped(Collector):
    """Gauges computed from the running app when `/metrics` is asked for."""

    def __init__(self, app: Any, health: Callable[[], tuple[bool, dict[str, bool], bool]]
                 ) -> None:
        self.app = app
        self.health = health  # (ready, agents alive, broker reachable) as last measured

    def collect(self) -> Iterable[Metric]:
        families: list[Metric] = []
        try:
            families += self._agents()
        except Exception:  # never fail a scrape: the other families still answer
            log.exception("metrics: consumer lag")
        try:
            families += self._read_models()
        except Exception:
            log.exception("metrics: projection lag")
        families += self._health()
        return families

    def _agents(self) -> list[Metric]:
        labels = ["topic", "partition"]
        hw = GaugeMetricFamily("wic_consumer_highwater", "Next offset to be written, per "
                               "input partition of the agents", labels=labels)
        committed = GaugeMetricFamily("wic_consumer_committed_offset", "Offset the agents' "
                                      "consumer group committed (next to read)", labels=labels)
        lagging = GaugeMetricFamily("wic_consumer_lag", "Highwater minus committed offset: "
                                    "records the agents have not committed", labels=labels)
        unread = GaugeMetricFamily("wic_consumer_read_lag", "Highwater minus the next offset "
                                   "to hand to the agents: records not fetched yet",
                                   labels=labels)
        for topic, partition, high, done, read in agent_partitions(self.app):
            key = [topic, str(partition)]
            if high is not None:
                hw.add_metric(key, high)
            if done is not None:
                committed.add_metric(key, done)
            behind = lag(high, done if done is not None else 0)
            if behind is not None:
                lagging.add_metric(key, behind)
            behind = lag(high, read if read is not None else done)
            if behind is not None:
                unread.add_metric(key, behind)
        return [hw, committed, lagging, unread]

    def _read_models(self) -> list[Metric]:
        labels = ["read_model", "topic", "partition"]
        position = GaugeMetricFamily("wic_projection_position", "Next offset a read model "
                                     "applies (its stored checkpoint)", labels=labels)
        lagging = GaugeMetricFamily("wic_projection_lag", "Highwater minus a read model's "
                                    "position: events not yet in its tables", labels=labels)
        for runner in list(_projections.values()):
            name = runner.projection.name
            for topic, partition, high, pos in projection_partitions(runner):
                key = [name, topic, str(partition)]
                if pos is not None:
                    position.add_metric(key, pos)
                behind = lag(high, pos)
                if behind is not None:
                    lagging.add_metric(key, behind)
        return [position, lagging]

    def _health(self) -> list[Metric]:
        ready, agents, broker = self.health()
        status = health_status(ready, agents, broker, _failing)
        health = GaugeMetricFamily("wic_health", "1 for the status GET /health answers "
                                   "(ok, degraded, unavailable), 0 for the others",
                                   labels=["status"])
        for state in HEALTH_STATES:
            health.add_metric([state], 1 if state == status else 0)
        up = GaugeMetricFamily("wic_ready", "1 while the worker serves (partitions assigned, "
                               "tables recovered)")
        up.add_metric([], 1 if ready else 0)
        reachable = GaugeMetricFamily("wic_broker_reachable", "1 if a bootstrap server "
                                      "accepted a TCP connection during this scrape")
        reachable.add_metric([], 1 if broker else 0)
        alive = GaugeMetricFamily("wic_agent_alive", "1 while one of the agent's actors runs",
                                  labels=["agent"])
        for name, running in sorted(agents.items()):
            alive.add_metric([name], 1 if running else 0)
        return [health, up, reachable, alive]


class WithService(Collector):
    """The families of other collectors, each sample given a `service` label."""

    def __init__(self, service: str, sources: Iterable[Any]) -> None:
        self.service = service
        self.sources = list(sources)

    def collect(self) -> Iterable[Metric]:
        for source in self.sources:
            for family in source.collect():
                labelled = Metric(family.name, family.documentation, family.type, family.unit)
                labelled.samples = [s._replace(labels={**s.labels, "service": self.service})
                                    for s in family.samples]
                yield labelled


def exposition(service: str, sources: Iterable[Any]) -> CollectorRegistry:
    """A registry whose `generate_latest` is the page: `sources` labelled with `service`."""
    page = CollectorRegistry(auto_describe=False)
    page.register(WithService(service, sources))
    return page


Probe = Callable[[], Awaitable[tuple[bool, dict[str, bool], bool]]]
"""Measures (ready, agents alive, broker reachable) at a scrape: `faust_app` gives it."""


def install(app: Any, service: str, probe: Probe, pattern: str = "/metrics") -> None:
    """faust's Prometheus sensor as the app's monitor, and `GET /metrics` on its web server."""
    sensor = CollectorRegistry(auto_describe=False)  # per app: faust's names are fixed
    monitor = faust_sensor(sensor)
    app.monitor = monitor
    measured: dict[str, Any] = {"ready": False, "agents": {}, "broker": False}

    def health() -> tuple[bool, dict[str, bool], bool]:
        return measured["ready"], measured["agents"], measured["broker"]

    process = CollectorRegistry(auto_describe=False)
    ProcessCollector(namespace="wic", registry=process)
    page = exposition(service, [REGISTRY, sensor, FaustCounts(monitor), process,
                                Scraped(app, health)])

    @app.page(pattern)
    async def metrics(web: Any, request: Any) -> Any:
        measured["ready"], measured["agents"], measured["broker"] = await probe()
        return Response(body=generate_latest(page),
                        headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})
