"""`wic bench` / `python -m bench`: measured figures beside the raw Kafka limit of the same run.

Every load is bounded in count and time and goes to the local broker on loopback only.
Each run uses its own topic prefix (`bench-<time>.`) and deletes those topics at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from bench import raw
from bench.report import Row, render
from contracts.settings import load
from contracts.topics import ENCOUNTER_EVENTS, HOSPITAL_MESSAGES

EPILOG = """\
examples:
  wic bench raw --n 200000       aiokafka produce/consume/relay + the broker's own perf tools
  wic bench all --n 20000        every measurement (results go in docs/performance.md)
"""


async def run_raw(n: int, prefix: str, java: bool) -> list[Row]:
    from infra.topics import delete_topics, ensure_topics

    s = load()
    await ensure_topics(s.bootstrap, prefix, [HOSPITAL_MESSAGES, ENCOUNTER_EVENTS])
    src, dst = HOSPITAL_MESSAGES.name(prefix), ENCOUNTER_EVENTS.name(prefix)
    value = raw.typical_message()
    try:
        produced = await raw.produce(s.bootstrap, src, value, n)
        consumed = await raw.consume(s.bootstrap, src, n)
        relayed = await raw.relay(s.bootstrap, src, dst, n)
        rows = [
            Row("raw produce (aiokafka, acks=all)", produced, "msg/s"),
            Row("raw consume (aiokafka)", consumed, "msg/s"),
            Row("raw relay consume->produce (aiokafka)", relayed, "msg/s"),
        ]
        if java:
            jp = raw.java_producer_rate(s.bootstrap, src, n, len(value))
            jc = raw.java_consumer_rate(s.bootstrap, src, n)
            if jp:
                rows.append(Row("broker ProducerPerformance (Java)", jp, "msg/s"))
            if jc:
                rows.append(Row("broker ConsumerPerformance (Java)", jc, "msg/s"))
        return rows
    finally:
        await delete_topics(s.bootstrap, prefix)


def command(args: argparse.Namespace) -> int:
    prefix = f"bench-{int(time.time())}."
    rows: list[Row] = []
    print(f"message size: {len(raw.typical_message())} bytes; n = {args.n}", file=sys.stderr)
    if args.what in ("raw", "all"):
        rows += asyncio.run(run_raw(args.n, prefix, not args.no_java))
    print(render(rows))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "bench", help="measure throughput, latency, replay and memory against raw Kafka",
        description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", choices=["raw", "all"], help="which measurements to run")
    p.add_argument("--n", type=int, default=100_000, help="messages per measurement (bounded)")
    p.add_argument("--no-java", action="store_true", help="skip the broker's own Java perf tools")
    p.set_defaults(func=command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["bench", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))
