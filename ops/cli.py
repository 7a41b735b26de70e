"""`wic`: the operator's command line (`wic.cli` adds the benchmarks' `wic bench` to it).

Subcommands come from the modules in `COMMANDS`; each exposes `register(subparsers)` and
sets `func(args) -> int` on its parsers. To add commands, write such a module and append it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from infra import cli as infra_cli
from infra import keys_cli
from infra.errors import StackError
from ops import (
    audit,
    benefits,
    chaos,
    clearing,
    demo,
    dlq,
    lag,
    reference,
    replay,
    users,
    verify,
)

COMMANDS: list[ModuleType] = [infra_cli, keys_cli, demo, replay, verify, dlq, lag, audit,
                             reference, clearing, benefits, users, chaos]
"""The operator's commands, in `wic --help` order (`wic.cli` puts `bench` before `chaos`)."""

EPILOG = """\
examples:
  wic up                 start Kafka + PostgreSQL under .local/, migrate, create topics
  wic status             is everything healthy? (exit 0 if so)
  wic topics             the topic registry: name, key, partitions, retention, writer
  wic down               stop both (data kept)
  wic down --wipe        stop both and delete all local data (and the generated keys)
  wic keys generate      gateway dev keys into .local/secrets/gateway (no stack needed)
  wic demo               a realistic month through all five services, proved by replay
  wic reference load reference/sample     publish effective-dated reference data
  wic replay all --into NAME              rebuild every read model from offset zero
  wic verify             live read models == a rebuild? ledger zero sum? services agree?
  wic dlq list; wic dlq redrive ID        rejected messages: inspect, re-drive after a fix
  wic lag; wic health    consumer lag per group and partition; service health
  wic audit --worker-id W                 who did what about worker W (all five services)
  wic clearing statement --month 2024-05  a month's clearing statement
  wic benefits run --month 2024-07        the month's benefit payment run
  wic users add li.na --role registration_clerk --region 370100   a staff token
  wic bench all          figures beside the raw Kafka limit (docs/performance.md)

every command has its own --help with examples.

environment: WIC_KAFKA_BOOTSTRAP, WIC_DATABASE_URL, WIC_TOPIC_PREFIX (see contracts/settings.py)
"""


def build_parser(commands: Sequence[ModuleType] = COMMANDS) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wic",
        description="Work-injury insurance (off-site treatment, direct settlement, clearing): "
        "run the local Kafka + PostgreSQL stack and operate the services.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in commands:
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None, commands: Sequence[ModuleType] = COMMANDS) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # connect retries are expected
    args = build_parser(commands).parse_args(argv)
    try:
        return int(args.func(args))
    except StackError as exc:
        print(f"wic {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"wic {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
