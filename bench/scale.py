"""Scale-out and failover (issue 17): the pipeline with 1 and then 2 workers per service, and
kill -9 of an active worker until the pipeline serves again — ratios in the same run.

1. Burst with one worker of each service (the same traffic shape as `pipeline.burst`).
2. A second worker of encounter and settlement joins their consumer groups, and a second
   clearing worker stands by for the ledger lease (the ledger is one ordered partition:
   one clearing worker decides, docs/architecture.md); after a warm-up probe has gone
   through, the same burst again. Row: msg/s with 2 workers, as a share of 1 worker.
   Routing: the same coverage query (`GET /workers/{id}/coverage`, as the admission desk
   asks) of `ROUTED` workers to each encounter worker; one of the two answers it from its
   own table, the other forwards it to the owner (contracts/runtime/routing.py), so per
   worker the faster answer is the local one and the slower the routed one.
3. Failover: SIGKILL of the active clearing worker, then of encounter's worker 0, each
   followed at once by a probe of `PROBE` encounters over every partition; "serving again"
   is kill -> the probe's last `LedgerPosted` (every partition decided again by someone).

Two cores cannot show a speed-up from a second process per service: the four services, the
broker and PostgreSQL already share them, so the ratio says what a second worker costs
(rebalance, standby replicas, one more consumer) rather than what it gains on more cores.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench import gen, load
from bench.env import BenchEnv
from bench.pipeline import K_LINES, encounters_for, frozen_driver, phase
from bench.report import Row
from bench.stats import rate
from contracts.settings import kafka_security

PROBE = 40  # encounters sent right after a kill: every partition gets some
WARM_UP = 20  # encounters through the new group before the 2-worker burst is timed
SCALED = ("encounter", "settlement", "clearing")
ROUTED = 200  # coverage queries per encounter worker
CREDENTIAL = "sample-token-H370200001"  # the Qingdao hospital the seeded workers are treated at


@dataclass
class Run:
    env: BenchEnv
    workers: load.Workers
    producer: Any
    ledger: load.Ledger
    hospital: str

    async def through(self, count: int, tag: str, rate_: float | None = None,
                      timeout: float = 120.0) -> tuple[float, bool]:
        """Send `count` encounters; (msg/s from first send to last posting, all posted)."""
        self.ledger.reset()
        traffic = load.Traffic.build(self.workers, count, K_LINES, tag)
        frozen_driver()
        first, _ = await load.drive(self.producer, self.hospital, traffic, self.ledger, rate_)
        done = await self.ledger.wait(count, timeout=timeout)
        return rate(self.ledger.postings * (K_LINES + 2), self.ledger.last_seen - first), done

    async def serving_again(self, killed: float, tag: str) -> float:
        """Seconds from the kill until a probe over every partition is all posted."""
        _, done = await self.through(PROBE, tag, timeout=180.0)
        if not done:
            raise RuntimeError(f"failover probe {tag}: {self.ledger.postings} of {PROBE} "
                               "posted in 180 s")
        return self.ledger.last_seen - killed


async def second_workers(env: BenchEnv) -> None:
    """encounter#1 and settlement#1 serving, clearing#1 standing by for the lease."""
    for name in SCALED:
        svc = env.service(f"{name}#1").launch()
        seconds = await asyncio.to_thread(svc.wait_ready, 300.0, name == "clearing")
        print(f"{name}#1: {'standing by' if name == 'clearing' else 'serving'} after "
              f"{seconds:.1f} s", file=sys.stderr, flush=True)


async def routing_rows(env: BenchEnv, workers: int) -> list[Row]:
    """p50 of the local and of the forwarded coverage answer (ms), over `ROUTED` workers."""
    urls = [env.service(name).url for name in ("encounter", "encounter#1")]
    headers = {"Authorization": f"Bearer {CREDENTIAL}"}
    local, routed = [], []
    async with aiohttp.ClientSession(headers=headers) as http:
        for i in range(0, workers, max(1, workers // ROUTED))[:ROUTED]:
            took = []
            for url in urls:
                began = time.perf_counter()
                async with http.get(f"{url}/workers/{gen.worker_id(i)}/coverage") as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"coverage of worker {i} from {url}: {resp.status}")
                took.append((time.perf_counter() - began) * 1e3)
            local.append(min(took))
            routed.append(max(took))
    here, there = statistics.median(local), statistics.median(routed)
    return [Row(f"coverage query, 2 encounter workers: answered by the owner (p50 of "
                f"{len(local)})", here, "ms"),
            Row(f"coverage query, 2 encounter workers: forwarded to the owner (p50 of "
                f"{len(routed)})", there, "ms", limit=here, limit_name="answered by the owner")]


async def run(opts: Any, table: Any, env: BenchEnv) -> None:
    hospital, clearing = load.topics_of(env.prefix)
    ledger = load.Ledger(env.settings.bootstrap, clearing)
    await ledger.start()
    producer = load.AIOKafkaProducer(bootstrap_servers=env.settings.bootstrap, acks="all",
                                     linger_ms=1, **kafka_security(env.settings))
    await producer.start()
    run_ = Run(env, load.Workers(opts.workers), producer, ledger, hospital)
    count = encounters_for(opts)
    try:
        phase(f"scale: burst of {count:,} encounters with 1 worker per service")
        one, done1 = await run_.through(count, "S1")
        phase("scale: second workers of encounter, settlement (clearing: a standby)")
        await second_workers(env)
        await run_.through(WARM_UP, "SW", timeout=180.0)  # the rebalance has settled
        table.add(*await routing_rows(env, opts.workers))
        phase(f"scale: burst of {count:,} encounters with 2 workers per service")
        two, done2 = await run_.through(count, "S2")
        note = "" if done1 and done2 else " (a burst did not finish: lower bound)"
        table.add(
            Row(f"pipeline burst, 1 worker per service{note}", one, "msg/s"),
            Row(f"pipeline burst, 2 workers per service (clearing 1 active + 1 standby)"
                f"{note}", two, "msg/s", limit=one, limit_name="1 worker per service"))

        phase("failover: SIGKILL the active clearing worker")
        killed = time.monotonic()
        env.service("clearing").stop(kill=True)
        clearing_s = await run_.serving_again(killed, "FC")
        phase("failover: SIGKILL encounter's worker 0")
        killed = time.monotonic()
        env.service("encounter").stop(kill=True)
        encounter_s = await run_.serving_again(killed, "FE")
        table.add(
            Row("failover: kill -9 of the active clearing worker -> ledger posting again "
                f"({PROBE}-encounter probe)", clearing_s, "s"),
            Row(f"failover: kill -9 of an encounter worker -> every partition decided again "
                f"({PROBE}-encounter probe)", encounter_s, "s"))
    finally:
        await producer.stop()
        await ledger.stop()
