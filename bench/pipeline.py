"""Pipeline and admission phases: hospital message -> encounter -> settlement -> ledger.

1. Burst: E encounters sent as fast as the producer goes; sustained hospital messages/s =
   messages / (last ledger posting - first send), compared with the raw relay rate.
2. Paced: offered at half the burst rate of step 1 (or `--rate` messages/s) for
   `--duration` s; p50/p99 from a discharge's send to its `LedgerPosted` on clearing-events
   (matched by correlation id).
3. Admission: HTTP `POST /hospital/messages` admissions (a few concurrent clients) while
   Kafka traffic at the paced rate runs in the background; p50/p99 request -> answer.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench import batches as agent_batches
from bench import load, stages
from bench.cpu import CpuMeter, describe
from bench.cpu import meter as cpu_meter
from bench.env import BenchEnv
from bench.kafka import create_times, records_in_run
from bench.report import Row
from bench.stats import percentile, rate
from contracts.runtime import trace
from contracts.settings import kafka_security
from contracts.topics import DEADLETTERS, Writer

K_LINES = 3  # charge lines per encounter: 5 hospital messages per encounter
ADMISSION_CLIENTS = 4
ADMISSIONS_PER_S = 20.0
SIZING_RATE = 1000.0  # hospital messages/s that size the burst (x --duration)
BURST_TARGET = 0.02  # of the raw relay in the same run (issue 21 target 1)


def frozen_driver() -> None:
    """Take what the driver built so far (pre-encoded traffic, its clients) out of its own
    garbage collector's full passes, so that the driver's pauses are not timed as the
    system's latency (the services do the same once serving: `faust_app.freeze_when_ready`)."""
    gc.collect()
    gc.freeze()


def phase(title: str) -> None:
    print(f"\n== {title} ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)


async def deadletters(env: BenchEnv) -> dict[str, tuple[int, str]]:
    """Dead letters per service so far, with the last reason (a run must have none)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    out: dict[str, tuple[int, str]] = {}
    consumer = AIOKafkaConsumer(bootstrap_servers=env.settings.bootstrap, group_id=None,
                                enable_auto_commit=False, **kafka_security(env.settings))
    await consumer.start()
    try:
        for writer in (Writer.ENCOUNTER, Writer.SETTLEMENT, Writer.CLEARING):
            tp = TopicPartition(DEADLETTERS[writer].name(env.prefix), 0)
            end = (await consumer.end_offsets([tp]))[tp]
            if not end:
                continue
            consumer.assign([tp])
            consumer.seek(tp, end - 1)
            recs = (await consumer.getmany(tp, timeout_ms=2000)).get(tp, [])
            reason = orjson.loads(recs[-1].value)["payload"]["reason"] if recs else "?"
            out[writer.value] = (end, reason)
    finally:
        await consumer.stop()
    return out


async def _report_failures(env: BenchEnv) -> None:
    for service, (count, reason) in (await deadletters(env)).items():
        print(f"WARNING {service}: {count} dead letters; last: {reason}", file=sys.stderr)


async def run(opts: Any, table: Any, env: BenchEnv) -> None:
    """The burst first: the paced phase and the admission's background traffic are offered
    at half the burst rate this run measured (issue 21: targets as ratios to the same run,
    so that a slow host does not decide them), unless `--rate` is given."""
    hospital, clearing = load.topics_of(env.prefix)
    workers = load.Workers(opts.workers)
    ledger = load.Ledger(env.settings.bootstrap, clearing)
    await ledger.start()
    producer = load.AIOKafkaProducer(bootstrap_servers=env.settings.bootstrap, acks="all",
                                     linger_ms=1, **kafka_security(env.settings))
    await producer.start()
    try:
        burst_rate = None
        if opts.what in ("pipeline", "all") or opts.rate is None:
            burst_rate = await burst(opts, table, env, workers, producer, ledger, hospital)
            await drain(env)
        offered = replace(opts, rate=background_rate(opts.rate, burst_rate))
        if opts.what in ("pipeline", "all"):
            await paced(offered, table, env, workers, producer, ledger, hospital)
            await drain(env)
        if opts.what in ("admission", "all"):
            await admission(offered, table, env, workers, producer, ledger, hospital)
    finally:
        await producer.stop()
        await ledger.stop()


def background_rate(given: float | None, burst_rate: float | None) -> float:
    """`--rate` if given, else half the measured burst (the pipeline's capacity in this
    run), else the sizing rate."""
    if given:
        return given
    return max(1.0, burst_rate / 2) if burst_rate else SIZING_RATE


async def drain(env: BenchEnv, limit: float = 60.0) -> None:
    """Let the previous phase's backlog through (bounded): the next phase starts clean,
    or the table's next rows say that a backlog was still there."""
    from bench.kafka import end_offsets
    from contracts.topics import CLEARING_EVENTS, ENCOUNTER_EVENTS, SETTLEMENT_EVENTS

    names = [t.name(env.prefix) for t in (ENCOUNTER_EVENTS, SETTLEMENT_EVENTS, CLEARING_EVENTS)]
    start = time.monotonic()
    last, since = -1, time.monotonic()
    while time.monotonic() - since < 3.0:
        if time.monotonic() - start > limit:
            print(f"WARNING backlog still flowing after {limit:.0f} s: the next phase runs "
                  "behind it", file=sys.stderr)
            return
        now = sum((await end_offsets(env.settings.bootstrap, names)).values())
        if now != last:
            last, since = now, time.monotonic()
        await asyncio.sleep(0.5)


def encounters_for(opts: Any) -> int:
    """Encounters offered in a phase: `--duration` seconds at its rate (the burst, which has
    none yet, is sized at SIZING_RATE)."""
    return max(1, int((opts.rate or SIZING_RATE) * opts.duration / (K_LINES + 2)))


async def paced(opts: Any, table: Any, env: BenchEnv, workers: load.Workers, producer: Any,
                ledger: load.Ledger, hospital: str) -> None:
    count = encounters_for(opts)
    phase(f"pipeline paced: {opts.rate:,.0f} msg/s offered for {opts.duration:.0f} s "
          f"({count:,} encounters of {K_LINES + 2} messages)")
    ledger.reset()
    traffic = load.Traffic.build(workers, count, K_LINES, "P")
    frozen_driver()
    first, last = await load.drive(producer, hospital, traffic, ledger, opts.rate)
    done = await ledger.wait(count, timeout=max(30.0, opts.duration))
    await _report_failures(env)
    lat = ledger.censored(time.perf_counter())  # unposted discharges count as "at least"
    offered = rate(len(traffic.records), last - first)
    achieved = rate(ledger.postings * (K_LINES + 2), ledger.last_seen - first)
    note = "" if done else f" (lower bound: {count - ledger.postings:,}/{count:,} not posted)"
    relay = table.limits.get("relay")
    table.add(
        Row(f"pipeline paced: hospital msgs/s through to ledger at {offered:,.0f} offered",
            achieved, "msg/s", limit=relay, limit_name="raw relay"),
        Row(f"hospital->ledger p50 at {offered:,.0f} msg/s{note}", percentile(lat, 50) * 1e3,
            "ms", target="-"),
        Row(f"hospital->ledger p99 at {offered:,.0f} msg/s{note}", percentile(lat, 99) * 1e3,
            "ms", target="< 500 ms at half the burst rate",
            met=done and percentile(lat, 99) < 0.5 and offered >= 0.99 * opts.rate))


async def burst(opts: Any, table: Any, env: BenchEnv, workers: load.Workers, producer: Any,
                ledger: load.Ledger, hospital: str) -> float:
    """Hospital messages/s through to the ledger with everything sent at once."""
    count = encounters_for(opts)
    window = max(60.0, 2 * opts.duration)
    phase(f"pipeline burst: {count:,} encounters ({count * (K_LINES + 2):,} messages) at once; "
          f"rate over at most {window:.0f} s")
    ledger.reset()
    traffic = load.Traffic.build(workers, count, K_LINES, "T")
    frozen_driver()
    written_before = await records_in_run(env.settings.bootstrap, env.prefix)
    urls = [(name, svc.url) for name, svc in env.services.items()]
    batches_before = await agent_batches.scrape(urls, env.prefix)
    cpu = meter(env)
    cpu.start()
    first, _ = await load.drive(producer, hospital, traffic, ledger, None)
    done = await ledger.wait(count, timeout=window)
    used = cpu.used()
    print(agent_batches.describe(batches_before, await agent_batches.scrape(urls, env.prefix)),
          file=sys.stderr)
    await _report_failures(env)
    per_s = rate(ledger.postings * (K_LINES + 2), ledger.last_seen - first)
    await drain(env)  # replies and changelogs are written by then too
    written = (await records_in_run(env.settings.bootstrap, env.prefix) - written_before
               - len(traffic.records))  # what the services wrote, not the hospitals
    print(describe(used, ledger.postings * (K_LINES + 2)), file=sys.stderr)
    relay = table.limits.get("relay")
    note = "" if done else f" ({ledger.postings:,} of {count:,} done in {window:.0f} s)"
    table.add(Row(f"pipeline burst: sustained hospital msgs/s to ledger{note}", per_s,
                  "msg/s", limit=relay, limit_name="raw relay", target=">= 2% of raw relay",
                  met=(per_s >= BURST_TARGET * relay) if relay else None))
    if ledger.postings:
        table.add(Row("pipeline burst: CPU per hospital message, all processes (breakdown "
                      "in the log)", sum(used.values()) * 1e3 / (ledger.postings * (K_LINES + 2)),
                      "ms"))
    if done and relay:
        # The raw relay reads a record and writes one. Per hospital message the services
        # write `per_message` records (events, replies, changelogs) and read at least as
        # many, so no pipeline that writes them can pass the raw relay rate divided by that.
        per_message = written / len(traffic.records)
        table.add(
            Row("pipeline burst: Kafka records the services write per hospital message "
                "(events, replies, changelogs)", per_message, "records"),
            Row("ceiling for any pipeline writing those records: raw relay / records per "
                "message", relay / per_message, "msg/s", limit=relay, limit_name="raw relay"))
    return per_s


def meter(env: BenchEnv) -> CpuMeter:
    """CPU of the run's service processes, the broker, PostgreSQL and this driver."""
    from infra.kafka import our_pid

    return cpu_meter(((name, svc.proc.pid) for name, svc in env.services.items()
                      if svc.proc is not None), our_pid())


async def admission(opts: Any, table: Any, env: BenchEnv, workers: load.Workers,
                    producer: Any, ledger: load.Ledger, hospital: str) -> None:
    count = encounters_for(opts)
    ledger.reset()
    phase(f"admission: {ADMISSIONS_PER_S:.0f}/s HTTP admissions with {opts.rate:,.0f} msg/s "
          f"background for {opts.duration:.0f} s")
    background = load.Traffic.build(workers, count, K_LINES, "A")
    n_adm = int(ADMISSIONS_PER_S * opts.duration)
    bodies = []
    for _ in range(n_adm):
        w = workers.take()
        cmd = load.admission(w, f"BH{w:08d}")
        bodies.append(orjson.dumps({"type": cmd.message_type, "schema_version": cmd.version,
                                    "payload": cmd.model_dump(mode="json")}))
    url = f"{env.service('encounter').url}/hospital/messages"
    headers = {"Authorization": f"Bearer sample-token-{load.HOSPITAL}",
               "Content-Type": "application/json"}
    latencies: list[float] = []
    answered: list[tuple[float, float, str]] = []  # wall clock sent, answered; event id
    failures: dict[int, int] = {}
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def client(http: aiohttp.ClientSession) -> None:
        while True:
            body = await queue.get()
            t0, sent = time.perf_counter(), time.time()
            async with http.post(url, data=body, headers=headers) as resp:
                answer = await resp.read()
                if resp.status == 200:
                    latencies.append(time.perf_counter() - t0)
                    answered.append((sent, time.time(), orjson.loads(answer)["event_id"]))
                else:
                    failures[resp.status] = failures.get(resp.status, 0) + 1
            queue.task_done()

    if os.environ.get(trace.FILE_ENV):  # the broker's append time on the records read
        await stages.log_append_time(env)
    frozen_driver()
    bg = asyncio.create_task(load.drive(producer, hospital, background, ledger, opts.rate))
    async with aiohttp.ClientSession() as http:
        clients = [asyncio.create_task(client(http)) for _ in range(ADMISSION_CLIENTS)]
        start = time.perf_counter()
        for n, body in enumerate(bodies):  # open loop: offered at a fixed rate
            delay = start + n / ADMISSIONS_PER_S - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait(body)
        await queue.join()
        for c in clients:
            c.cancel()
    await bg
    if failures:
        print(f"WARNING admission answers not 200: {failures}", file=sys.stderr)
    p99 = percentile(latencies, 99) * 1e3
    print("admission answer ms: " + ", ".join(
        f"p{q} {percentile(latencies, q) * 1e3:.1f}" for q in (50, 90, 95, 99, 100)),
        file=sys.stderr)
    table.add(
        Row(f"admission answer p50 ({len(latencies)} requests)", percentile(latencies, 50) * 1e3,
            "ms", target="-"),
        Row(f"admission answer p99 under {opts.rate:,.0f} msg/s background", p99, "ms",
            limit=50.0, limit_name="target", target="< 50 ms",
            met=p99 < 50 and not failures))
    table.add(*await admission_segments(env, answered))


async def admission_segments(env: BenchEnv, answered: list[tuple[float, float, str]]
                             ) -> list[Row]:
    """Where an answer's time goes, from the records' CreateTimes (same clock, one host):
    request -> the ingress published the admission -> the encounter agent produced its
    answer -> the response reached the client."""
    from contracts.topics import HOSPITAL_MESSAGES, HOSPITAL_REPLIES

    published = await create_times(env.settings.bootstrap,
                                   HOSPITAL_MESSAGES.name(env.prefix), "event_id")
    replied = await create_times(env.settings.bootstrap,
                                 HOSPITAL_REPLIES.name(env.prefix), "causation_id")
    parts: dict[str, list[float]] = {"HTTP ingress (request -> published)": [],
                                     "encounter agent (published -> answer produced)": [],
                                     "reply delivery (answer produced -> response)": []}
    for sent, done, eid in answered:
        if eid in published and eid in replied:
            for name, span in zip(parts, (published[eid] - sent, replied[eid] - published[eid],
                                          done - replied[eid]), strict=True):
                parts[name].append(span)
    for name, spans in parts.items():
        print(f"admission {name}: p50 {percentile(spans, 50) * 1e3:.1f} ms, "
              f"p99 {percentile(spans, 99) * 1e3:.1f} ms", file=sys.stderr)
    if (path := os.environ.get(trace.FILE_ENV)):
        stages.report(Path(path), answered, published, replied)
    return [Row(f"  admission p99, {name}", percentile(spans, 99) * 1e3, "ms")
            for name, spans in parts.items()]
