"""The `wic` command joins the operator's commands and the benchmarks; `ops` alone has no
`bench` (ops never imports bench: import-linter)."""

from __future__ import annotations

import pytest

from ops import cli as ops_cli
from wic import cli


def test_wic_has_every_operator_command_and_bench_before_chaos() -> None:
    names = [m.__name__ for m in cli.COMMANDS]
    assert names == [*[m.__name__ for m in ops_cli.COMMANDS[:-1]], "bench.cli", "ops.chaos"]
    args = cli.build_parser().parse_args(["bench", "raw", "--n", "10"])
    assert args.what == "raw" and args.n == 10
    assert cli.build_parser().parse_args(["verify"]).target == "all"


def test_ops_alone_has_no_bench_command() -> None:
    with pytest.raises(SystemExit):
        ops_cli.build_parser().parse_args(["bench", "raw"])
