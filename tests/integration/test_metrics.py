"""`GET /metrics` of a running service (registration) against the real broker and database:
text format 0.0.4, a refusal counted by its reason code and stage (over Kafka and over
HTTP), the dead letter, the decision latency, the agents' consumer lag, the read model's
projection lag and health; every sample labelled with the service."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from contracts import topics
from contracts.actor import Role
from tests.integration.registration.helpers import accepted, http, rejected
from tests.support.identity import bearer
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess, service_fixture
from tests.unit.registration import builders as b

pytestmark = pytest.mark.integration

D0 = date(2024, 1, 15)
STAGE = "decide"  # the registration agent's stage in its dead letters
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


service = service_fixture("registration")


def scrape(url: str) -> tuple[str, Samples]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        content_type = resp.headers["Content-Type"]
        text = resp.read().decode()
    samples = {(s.name, frozenset(s.labels.items())): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    return content_type, samples


def sample(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset({**labels, "service": "registration"}.items())))


def named(samples: Samples, name: str) -> list[tuple[dict[str, str], float]]:
    return [(dict(labels), v) for (n, labels), v in samples.items() if n == name]


async def scrape_until(url: str, check: Callable[[Samples], bool], timeout: float = 30.0
                       ) -> Samples:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        _, samples = scrape(url)
        if check(samples) or asyncio.get_running_loop().time() > deadline:
            return samples
        await asyncio.sleep(0.3)


async def test_refusals_dead_letters_latency_lag_and_health_on_metrics(
        service: ServiceProcess, bus: Bus, prefix: str) -> None:
    content_type, before = scrape(service.url)
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert all(dict(labels).get("service") == "registration" for _, labels in before)

    def count(samples: Samples, code: str, stage: str) -> float:
        return sample(samples, "wic_refusals_total", reason_code=code, stage=stage) or 0.0

    letters_topic = topics.REGISTRATION_DEADLETTERS.name(prefix)
    letters = sample(before, "wic_deadletters_total", topic=letters_topic) or 0.0
    w = b.worker_id()
    await accepted(bus, b.env(b.apply(w, "REG-M1"), b.at(D0)))
    reply = await rejected(bus, b.env(b.approve(w, "REG-NOPE"), b.at(D0)))
    assert reply.reason_code == "unknown_registration"
    await bus.send_raw(topics.REGISTRATION_COMMANDS, b"{not json", key=w.encode())
    status, body = http(service.url, "/commands", b"[1, 2", bearer(Role.REGISTRATION_CLERK))
    assert status == 400 and body["reason_code"] == "malformed_json"

    commands = topics.REGISTRATION_COMMANDS.name(prefix)
    events = topics.REGISTRATION_EVENTS.name(prefix)

    def settled(s: Samples) -> bool:
        kafka_refusal = [v for labels, v in named(s, "wic_refusals_total")
                         if labels["reason_code"] == "malformed_json"
                         and labels["stage"] != "http"]
        return (count(s, "unknown_registration", STAGE)
                >= count(before, "unknown_registration", STAGE) + 1
                and sum(kafka_refusal) >= 1
                and any(labels.get("topic") == events for labels, _ in
                        named(s, "wic_projection_lag")))

    after = await scrape_until(service.url, settled)
    refusals = {(labels["reason_code"], labels["stage"]): v
                for labels, v in named(after, "wic_refusals_total")}
    before_refusals = {(labels["reason_code"], labels["stage"]): v
                       for labels, v in named(before, "wic_refusals_total")}
    grown = {k: v - before_refusals.get(k, 0.0) for k, v in refusals.items()
             if v > before_refusals.get(k, 0.0)}
    # the domain refusal, the malformed record on Kafka, the malformed HTTP body: one each
    assert grown == {("unknown_registration", STAGE): 1,
                     ("malformed_json", STAGE): 1,
                     ("malformed_json", "http"): 1}, refusals
    assert sample(after, "wic_deadletters_total", topic=letters_topic) == letters + 3

    # decision latency: observed once per decided batch, from its first record's broker
    # timestamp; the three commands may share a batch, so between one and three more
    latency_before = sample(before, "wic_decision_latency_seconds_count", topic=commands) or 0
    latency = sample(after, "wic_decision_latency_seconds_count", topic=commands) or 0
    assert 1 <= latency - latency_before <= 3
    assert 0 < (sample(after, "wic_decision_latency_seconds_sum", topic=commands) or 0) < 60

    # the agents' consumer lag per input partition, faust's committed offset behind it
    lags = named(after, "wic_consumer_lag")
    assert {labels["topic"] for labels, _ in lags} >= {commands}
    assert all(v >= 0 for _, v in lags)
    assert not [labels for labels, _ in lags if labels["topic"].endswith("-changelog")]
    highwater = sum(v for labels, v in named(after, "wic_consumer_highwater")
                    if labels["topic"] == commands)
    assert highwater >= 3  # three records sent to registration-commands in this test

    # projection lag of the read model following registration-events: caught up soon
    # (the reply may be acknowledged before the events it came with: one batch's records
    # are delivered together, so wait until the events were applied, not merely lag 0)
    # (a partition's lag is published once its highwater is known: wait for all of them)
    def lags(s: Samples) -> list[float]:
        return [v for labels, v in named(s, "wic_projection_lag") if labels["topic"] == events]

    def at(s: Samples) -> list[float]:
        return [v for labels, v in named(s, "wic_projection_position")
                if labels["topic"] == events]

    caught_up = await scrape_until(service.url, lambda s: all(v == 0 for v in lags(s))
                                   and len(lags(s)) == len(at(s)) and sum(at(s)) >= 1)
    positions = [(labels, v) for labels, v in named(caught_up, "wic_projection_position")
                 if labels["topic"] == events]
    assert positions and sum(v for _, v in positions) >= 1  # REG-M1's events applied
    assert [v for labels, v in named(caught_up, "wic_projection_lag")
            if labels["topic"] == events] == [0] * len(positions)

    # health as /health answers it, and faust's own sensor on the same page
    assert sample(caught_up, "wic_health", status="ok") == 1
    assert sample(caught_up, "wic_ready") == 1
    assert sample(caught_up, "wic_broker_reachable") == 1
    assert named(caught_up, "wic_agent_alive") and all(
        v == 1 for _, v in named(caught_up, "wic_agent_alive"))
    assert (sample(caught_up, "wic_faust_messages_received_total") or 0) >= 3
    assert (sample(caught_up, "wic_process_resident_memory_bytes") or 0) > 0


async def test_every_other_service_serves_metrics_with_its_own_label(
        service: ServiceProcess, prefix: str, database_url: str, bootstrap: str,
        log_dir: Path) -> None:
    others = [ServiceProcess(name, prefix=prefix, database_url=database_url,
                             bootstrap=bootstrap, log_dir=log_dir)
              for name in ("encounter", "settlement", "clearing")]
    try:
        for proc in others:
            proc.launch()
        for proc in others:
            proc.wait_ready(timeout=120)
        for proc in others:
            # a read model's lag appears once its consumer group has its partitions
            await scrape_until(proc.url, lambda s: bool(named(s, "wic_projection_lag")))
            content_type, samples = scrape(proc.url)
            assert content_type == "text/plain; version=0.0.4; charset=utf-8"
            assert {dict(labels).get("service") for _, labels in samples} == {proc.service}
            mine = {name for name, _ in samples}
            assert {"wic_health", "wic_ready", "wic_agent_alive", "wic_consumer_lag",
                    "wic_projection_lag", "wic_faust_messages_received_total"} <= mine, mine
            assert samples[("wic_ready", frozenset({("service", proc.service)}))] == 1
    finally:
        for proc in others:
            proc.stop()
