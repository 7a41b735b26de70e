"""Running the chaos scenario (`ops.chaos`, what `wic chaos` runs) inside a test."""

from __future__ import annotations

import io

import pytest

from ops.chaos.run import ChaosFailed, Options, Outcome, main, report


async def run_chaos(opts: Options) -> tuple[Outcome, str]:
    """The run's outcome and its account (the report and the log's end, for assertion
    messages); a run that cannot finish fails the test with the log's end."""
    log = io.StringIO()
    try:
        out = await main(opts, stream=log)
    except ChaosFailed as exc:
        pytest.fail(f"{exc}\n{log.getvalue()[-6000:]}")
    return out, report(opts, out) + "\n" + log.getvalue()[-3000:]
