"""`wic bench` / `python -m bench`: measured figures beside the raw Kafka limit of the same run.

Every load is bounded in count and time and goes to the local broker on loopback only.
Each run uses its own topic prefix (`bench-<time><hex>.`), database and faust data directory
and deletes them at the end. Rows print as phases finish; the full table comes last.
Method, machine and results: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from bench import raw
from bench.report import render, summary

EPILOG = """\
examples:
  wic bench raw --n 200000            aiokafka produce/consume/relay + the broker's perf tools
  wic bench all                       every measurement at the default size (3–6 min)
  wic bench replay --workers 500000   the 1,000,000-event replay (registration + ledger)
  wic bench memory --workers 200000 --services registration
  wic bench scale                     the burst with 1 and 2 workers per service, and kill -9
                                      of an active worker until serving again (issue 17)
  wic bench chaos --encounters 10000  wic chaos at benchmark size (12 SIGKILLs, broker and
                                      PostgreSQL restarts; private stack; 0 lost, 0 doubled)
"""


def command(args: argparse.Namespace) -> int:
    # The benchmarks create, fill and delete topics of their own (the raw Kafka limit):
    # they act as `admin`, not as the operator (docs/security.md).
    os.environ.setdefault("WIC_KAFKA_PRINCIPAL", "admin")
    if args.what == "chaos":
        from bench import chaos

        return chaos.run(args)
    from bench import suite

    opts = suite.Options(what=args.what, n=args.n, workers=args.workers, rate=args.rate,
                         duration=args.duration, java=not args.no_java, profile=args.profile,
                         replay_modes=tuple(args.replay_modes.split(",")),
                         services=args.services.split(",") if args.services else
                         suite.ALL_SERVICES)
    print(f"wic bench {args.what}: message size {len(raw.typical_message())} bytes; n = "
          f"{args.n:,}; workers = {args.workers:,}; load average {_load()}", file=sys.stderr)
    runs = []
    for n in range(args.runs):
        if args.runs > 1:
            print(f"\n### run {n + 1} of {args.runs}, load average {_load()}", flush=True)
        print(render([]))
        table = asyncio.run(suite.run(opts, _extra(args.what)))
        print("\n" + render(table.rows))
        print(f"load average at the end: {_load()}", flush=True)
        runs.append(table.rows)
    if args.runs > 1:
        print(f"\n### the targets in {args.runs} runs in a row\n" + summary(runs))
    return 0


def _extra(what: str) -> Any:
    if what == "scale":
        from bench import scale

        return scale.run
    if what in ("pipeline", "admission", "all"):
        from bench import pipeline

        return pipeline.run
    return None


def _load() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "bench", help="measure throughput, latency, replay and memory against raw Kafka",
        description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", choices=["raw", "pipeline", "admission", "replay", "memory", "all",
                                     "scale", "chaos"],
                   help="which measurements to run")
    p.add_argument("--n", type=int, default=100_000,
                   help="messages of the raw Kafka measurements (default 100,000)")
    p.add_argument("--workers", type=int, default=50_000,
                   help="registered workers seeded for replay/memory/pipeline (2 events each; "
                   "500,000 = the 1,000,000-event replay)")
    p.add_argument("--rate", type=float, default=None,
                   help="offered hospital messages per second of the paced and admission "
                   "phases (default: half the burst rate the same run measured; the burst "
                   "is run first for it)")
    p.add_argument("--runs", type=int, default=1,
                   help="run the whole measurement this many times in a row and end with "
                   "one row per run of the issue-21 targets (five for the record)")
    p.add_argument("--duration", type=float, default=10.0,
                   help="seconds of offered load per pipeline/admission phase (10)")
    p.add_argument("--services", default="",
                   help="comma-separated services to start (default all four)")
    p.add_argument("--profile", action="store_true",
                   help="profile the replay (and the services, with pyinstrument) into "
                   ".local/bench/profiles/")
    p.add_argument("--no-java", action="store_true", help="skip the broker's own Java perf tools")
    p.add_argument("--replay-modes", default="fast",
                   help="the replays to run, in order, on the same log: fast (what `wic "
                   "replay` does) and/or validated (every record through wire.decode, one "
                   "consumer per projection: before the fifth round), e.g. "
                   "validated,fast,validated,fast for an A/B in one sitting (default fast)")
    chaos = p.add_argument_group("chaos (`wic bench chaos`, see `wic chaos --help`)")
    chaos.add_argument("--encounters", type=int, default=10_000,
                       help="generic encounters of the chaos run (10,000)")
    chaos.add_argument("--kills", type=int, default=12, help="SIGKILLs (12)")
    chaos.add_argument("--seed", type=int, default=14, help="seeds traffic and faults (14)")
    chaos.add_argument("--max-seconds", type=float, default=1800.0,
                       help="give up (and fail) after this many seconds (1,800)")
    p.set_defaults(func=command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["bench", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))
