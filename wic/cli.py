"""`wic`: the operator's command line (`ops.cli`) with `wic bench` (`bench.cli`) in it."""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from bench import cli as bench_cli
from ops import chaos
from ops import cli as ops_cli

COMMANDS: list[ModuleType] = list(ops_cli.COMMANDS)
COMMANDS.insert(COMMANDS.index(chaos), bench_cli)  # `wic --help` lists bench before chaos


def build_parser() -> argparse.ArgumentParser:
    return ops_cli.build_parser(COMMANDS)


def main(argv: list[str] | None = None) -> int:
    return ops_cli.main(argv, COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
