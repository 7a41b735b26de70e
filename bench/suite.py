"""The benchmark run: one environment, the phases in order, a row printed as each finishes.

Order (`all`): raw limit -> empty services' baseline memory -> seed W registered workers ->
start the services on that log (recovery time) -> live projections catch up (peak memory)
-> pipeline and admission under load -> replay vs raw consume (digests vs live) ->
restart each service (time to serving). Single phases run the subset they need.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bench import raw
from bench.env import LOG_ROOT, READY_TIMEOUT, BenchEnv
from bench.report import Row, render
from contracts.topics import ENCOUNTER_EVENTS, HOSPITAL_MESSAGES

T = TypeVar("T")
PROFILES = LOG_ROOT / "profiles"
ALL_SERVICES = ("registration", "encounter", "settlement", "clearing")
KIB = 1024
MIB = 1024 * 1024


@dataclass
class Options:
    what: str
    n: int
    workers: int
    rate: float
    duration: float
    java: bool
    profile: bool = False
    services: Sequence[str] = ALL_SERVICES
    replay_modes: Sequence[str] = ("fast",)


@dataclass
class Table:
    """Rows so far; each new row is printed at once (long runs show results as they come)."""

    rows: list[Row] = field(default_factory=list)
    limits: dict[str, float] = field(default_factory=dict)

    def add(self, *rows: Row) -> None:
        for r in rows:
            self.rows.append(r)
            print(render([r]).splitlines()[-1], flush=True)


def phase(title: str) -> None:
    print(f"\n== {title} ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)


async def raw_phase(opts: Options, table: Table, prefix: str) -> None:
    from contracts.settings import load
    from infra.topics import delete_topics, ensure_topics

    s = load()
    phase(f"raw Kafka limit, {opts.n} messages of {len(raw.typical_message())} bytes")
    await ensure_topics(s.bootstrap, prefix, [HOSPITAL_MESSAGES, ENCOUNTER_EVENTS])
    src, dst = HOSPITAL_MESSAGES.name(prefix), ENCOUNTER_EVENTS.name(prefix)
    value = raw.typical_message()
    try:
        produced = await raw.produce(s.bootstrap, src, value, opts.n)
        consumed = await raw.consume(s.bootstrap, src, opts.n)
        relayed = await raw.relay(s.bootstrap, src, dst, opts.n)
        table.limits.update(produce=produced, consume=consumed, relay=relayed)
        table.add(Row("raw produce (aiokafka, acks=all)", produced, "msg/s"),
                  Row("raw consume (aiokafka)", consumed, "msg/s"),
                  Row("raw relay consume->produce (aiokafka, batched)", relayed, "msg/s"))
        if opts.java:
            jp = await asyncio.to_thread(raw.java_producer_rate, s.bootstrap, src, opts.n,
                                         len(value))
            jc = await asyncio.to_thread(raw.java_consumer_rate, s.bootstrap, src, opts.n)
            if jp:
                table.add(Row("broker ProducerPerformance (Java, reference)", jp, "msg/s"))
            if jc:
                table.add(Row("broker ConsumerPerformance (Java, reference)", jc, "msg/s"))
    finally:
        await delete_topics(s.bootstrap, prefix)


async def profiled(name: str, enabled: bool, work: Awaitable[T]) -> T:
    """Await `work`, under pyinstrument if enabled (text report in the run's log dir)."""
    if not enabled:
        return await work
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled")
    profiler.start()
    try:
        return await work
    finally:
        profiler.stop()
        path = PROFILES / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(profiler.output_text(unicode=True, show_all=False))
        print(f"profile: {path}", file=sys.stderr)


async def reference_data(env: BenchEnv) -> None:
    """The sample reference data (institutions, catalogs, credentials) on the run's prefix."""
    from pathlib import Path

    from ops.reference import files_under, publish, read_envelopes

    sample = Path(__file__).resolve().parents[1] / "reference" / "sample"
    published, _ = await publish(read_envelopes(files_under(sample)), env.settings)
    print(f"reference data: {published} records published", file=sys.stderr)


async def start(env: BenchEnv, names: Sequence[str]) -> dict[str, float]:
    """Start services one after another; seconds from process start to `/health` 200."""
    ready = {}
    for name in names:
        svc = env.service(name).launch()
        ready[name] = await asyncio.to_thread(svc.wait_ready, READY_TIMEOUT)
        print(f"{name}: serving after {ready[name]:.1f} s", file=sys.stderr, flush=True)
    return ready


def stop(env: BenchEnv, names: Sequence[str]) -> None:
    for name in names:
        env.service(name).stop(grace=30.0)


async def baseline(env: BenchEnv, names: Sequence[str]) -> dict[str, int]:
    """Peak RSS of each service serving an empty log (what per-registration memory adds to)."""
    phase("baseline: services on an empty log")
    await start(env, names)
    await asyncio.sleep(3)
    peaks = {n: env.service(n).memory().get("VmHWM", 0) for n in names}
    stop(env, names)
    return peaks


def memory_rows(env: BenchEnv, names: Sequence[str], empty: dict[str, int], workers: int,
                ready: dict[str, float]) -> list[Row]:
    rows = []
    for name in names:
        peak = env.service(name).memory().get("VmHWM", 0)
        per = (peak - empty.get(name, 0)) / workers if workers else 0.0
        rows.append(Row(f"{name}: peak RSS with {workers:,} registrations", peak / MIB, "MiB",
                        target=f"< 1 KiB/registration: {per:,.0f} B above empty "
                        f"({empty.get(name, 0) / MIB:,.0f} MiB)", met=per < KIB))
        rows.append(Row(f"{name}: first start to serving ({workers:,} registrations)",
                        ready[name], "s", target="< 10 s", met=ready[name] < 10))
    return rows


async def restart_rows(env: BenchEnv, names: Sequence[str], workers: int) -> list[Row]:
    phase("restart each service (stop, start, time to /health 200)")
    rows = []
    for name in names:
        env.service(name).stop(grace=30.0)
        seconds = (await start(env, [name]))[name]
        rows.append(Row(f"{name}: restart to serving ({workers:,} registrations)", seconds, "s",
                        target="< 10 s", met=seconds < 10))
    return rows


async def quiesce(env: BenchEnv, names: Sequence[str]) -> None:
    """Stop the upstream pipeline services and wait until the ledger stops growing, so the
    live read models and the replay see the same log (restart_rows starts them again)."""
    from bench import replay
    from bench.kafka import end_offsets
    from contracts.topics import CLEARING_EVENTS

    stop(env, [n for n in ("encounter", "settlement") if n in names])
    if "clearing" not in names:
        return
    ledger = [CLEARING_EVENTS.name(env.prefix)]
    last, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 5:
        now = sum((await end_offsets(env.settings.bootstrap, ledger)).values())
        if now != last:
            last, stable_since = now, time.monotonic()
        await asyncio.sleep(1)
    await replay.wait_caught_up(env.settings, [replay.projections.load("clearing")])


async def run(opts: Options, extra: Callable[..., object] | None = None) -> Table:
    from bench import replay, seed

    table = Table()
    tag = f"bench-{int(time.time())}"
    if opts.what in ("raw", "all", "pipeline"):
        await raw_phase(opts, table, f"{tag}-raw.")
        if opts.what == "raw":
            return table
    env = await BenchEnv.create()
    env.profile = opts.profile
    names = list(opts.services)
    try:
        await reference_data(env)
        empty = await baseline(env, names) if opts.what in ("memory", "all") else {}
        phase(f"seed {opts.workers:,} registered workers ({2 * opts.workers:,} events)")
        seeded = await seed.seed(env.settings, opts.workers, events=opts.what != "memory")
        print(f"seeded in {seeded.seconds:.1f} s", file=sys.stderr)
        phase("start services on the seeded log (recovery)")
        ready = await start(env, names)
        await replay.wait_caught_up(
            env.settings, [replay.projections.load(s) for s in replay.SERVICES if s in names])
        await replay.wait_agents_caught_up(env.settings, names)
        if opts.what in ("memory", "all"):
            table.add(*memory_rows(env, names, empty, opts.workers, ready))
        if extra is not None and opts.what in ("pipeline", "admission", "all", "scale"):
            await extra(opts, table, env)  # type: ignore[misc]
        if opts.what in ("replay", "all"):
            phase("replay: rebuild registration + clearing read models from the log")
            await quiesce(env, names)
            results = await profiled("replay", opts.profile,
                                     replay.run(env.settings, opts.replay_modes))
            table.limits["consume_same_topics"] = results[0].raw_rate
            for result in results:
                print(f"replay ({result.mode}, load average {result.load}):\n{result.detail}",
                      file=sys.stderr)
                mode = "" if len(results) == 1 else f", {result.mode}, load {result.load}"
                table.add(
                    Row(f"replay {result.events:,} events (registration + ledger{mode})",
                        result.rate, "ev/s", limit=result.raw_rate,
                        limit_name="raw consume, same topics",
                        target=">= 20% of raw consume", met=result.rate >= 0.2 * result.raw_rate))
            result = results[0]
            table.add(
                Row("  (reference) raw consume + JSON parse only (orjson), same topics",
                    result.parse_rate, "ev/s", limit=result.raw_rate,
                    limit_name="raw consume, same topics"),
                Row("  (reference) raw consume + wire.decode, same topics", result.decode_rate,
                    "ev/s", limit=result.raw_rate, limit_name="raw consume, same topics"),
                Row("replay digest equals live read model",
                    1.0 if all(r.digests_equal for r in results) else 0.0,
                    "(1 = equal)", target="equal", met=all(r.digests_equal for r in results)))
        if opts.what in ("memory", "all"):
            table.add(*await restart_rows(env, names, opts.workers))
    finally:
        await env.close()
    return table
