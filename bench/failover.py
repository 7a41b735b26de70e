"""Ledger failover (issue 17 item 4): how long from SIGKILL of the active clearing worker
until the ledger decides again on its standby.

`python -m bench.failover [--rounds 3] [--ledger 500]` on the local stack (its own prefix and
database, deleted at the end): two clearing workers (worker 0 active, worker 1 standing by
for the ledger lease), a ledger of `--ledger` prepayments (SD-FUND-1), then per round: the
active worker is SIGKILLed, one new prepayment is sent at once, and we time

- `lease`: kill -> the standby's faust started (its `/health` stops saying standby),
- `serving`: kill -> the standby's `/health` 200 (group joined, tables recovered),
- `deciding`: kill -> the answer to the prepayment sent right after the kill (the ledger
  rebuilt from `clearing-events` and posting again): the figure in docs/performance.md.

The killed worker is started again and stands by for the next round (the roles swap).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import date

from bench.env import BenchEnv
from contracts import clearing as cl
from contracts.topics import CLEARING_COMMANDS
from infra.layout import ROOT
from infra.services import ServiceProcess
from ops.chaos.run import Client
from ops.demo import world as w
from ops.demo.clearing import FUND
from ops.demo.staff import actor_for
from ops.demo.story import Step
from ops.reference import files_under, publish, read_envelopes

SAMPLE = ROOT / "reference" / "sample"


def prepayment(n: int) -> Step:
    day = date(2024, 4, 1)
    cmd = cl.FundPrepayment(prepayment_id=f"PP-BENCH-{n:06d}", insured_province=w.SHANDONG,
                            treatment_province=w.JIANGSU, amount_fen=100_000, funded_on=day)
    return Step(CLEARING_COMMANDS, cmd, "370000|320000", w.at(day, 15), FUND,
                f"prepayment {n}", "accepted", actor_for(cmd, w.SHANDONG))


async def answered(client: Client, ids: list[uuid.UUID], timeout: float = 300.0) -> float:
    began = time.monotonic()
    while not all(i in client.answers for i in ids):
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"{sum(i not in client.answers for i in ids)} unanswered")
        await asyncio.sleep(0.02)
    return time.monotonic()


async def run(rounds: int, ledger: int) -> list[dict[str, float]]:
    env = await BenchEnv.create()
    client = Client(env.settings)
    workers: list[ServiceProcess] = []
    try:
        await publish(read_envelopes(files_under(SAMPLE)), env.settings)
        workers = [ServiceProcess("clearing", env.prefix, env.database_url,
                                  env.settings.bootstrap, env.data_dir, worker=i)
                   for i in range(2)]
        workers[0].start(timeout=180)
        workers[1].launch().wait_ready(180, standby=True)
        await client.start()
        ids = [await client.send(prepayment(n)) for n in range(ledger)]
        await client.producer.flush()
        await answered(client, ids)
        print(f"ledger seeded: {ledger} prepayments; clearing worker 0 active, 1 standing by")
        rows: list[dict[str, float]] = []
        active, standby = workers
        for r in range(rounds):
            killed = time.monotonic()
            active.stop(kill=True)
            probe = await client.send(prepayment(ledger + r))
            await client.producer.flush()
            lease = serving = 0.0
            while not serving:
                status = standby.health()
                now = time.monotonic() - killed
                if not lease and status != "standby":
                    lease = now
                if status in ("ok", "degraded"):
                    serving = now
                await asyncio.sleep(0.05)
            deciding = await answered(client, [probe]) - killed
            rows.append({"lease": lease, "serving": serving, "deciding": deciding})
            print(f"round {r + 1}: lease {lease:.1f} s, serving {serving:.1f} s, "
                  f"deciding {deciding:.1f} s", flush=True)
            active.launch().wait_ready(180, standby=True)
            active, standby = standby, active
        return rows
    finally:
        await client.stop()
        for p in workers:
            p.stop()
        await env.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ledger", type=int, default=500, help="prepayments on the ledger first")
    args = ap.parse_args()
    rows = asyncio.run(run(args.rounds, args.ledger))
    for key in ("lease", "serving", "deciding"):
        values = [row[key] for row in rows]
        print(f"{key:9} median {statistics.median(values):5.1f} s  max {max(values):5.1f} s")


if __name__ == "__main__":
    main()
