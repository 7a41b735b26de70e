"""Issue 17, "Done when" 1: two workers of encounter, settlement and clearing; 500 encounters;
one worker of each SIGKILLed mid-stream and started again. Nothing lost, nothing doubled.

It runs the code of `wic chaos` (ops/chaos) on the test's broker and PostgreSQL with its own
prefix and database, with `workers` and exact kill `targets`: the second encounter worker,
the first settlement worker and the active clearing worker (holding the ledger lease: its
standby must take the ledger over). Registration and benefits run one worker each. Then
every discharged encounter must be settled exactly once (per revision), every settlement
posted once, the ledger and every cycle sum to zero, every input answered or dead-lettered,
the signed Beijing gateway claim for our registered worker (`ops/demo/gateway.py`) accepted
— not refused `unknown_worker` — and `wic verify` pass.
"""

from __future__ import annotations

import pytest

from ops.chaos.run import Options
from tests.support.chaos import run_chaos

pytestmark = pytest.mark.e2e

SEED = 1719
ENCOUNTERS = 500
WORKERS = {"encounter": 2, "settlement": 2, "clearing": 2}
TARGETS = ("encounter#1", "settlement", "clearing")


async def test_two_workers_each_one_sigkilled_nothing_lost_or_doubled() -> None:
    opts = Options(seed=SEED, encounters=ENCOUNTERS, kills=0, max_seconds=360.0, burst=0,
                   restart_stack=False, private=False, workers=WORKERS, targets=TARGETS)
    out, text = await run_chaos(opts)
    f = out.findings
    assert f is not None, text

    assert [e.target for e in out.events if e.kind == "kill"] == list(TARGETS), text
    assert f.answered == f.sent, text
    assert f.encounters == ENCOUNTERS + 9 and f.settled == f.encounters, text
    assert f.lost == 0 and f.duplicated == 0, text  # settled once, posted once
    assert f.ledger_sum_fen == 0 and f.cycles > 0 and not f.cycles_not_zero, text
    # every answer as the rules say, the gateway's accepted claim among them
    assert not out.unexpected, text
    assert not out.exited, text
    assert out.verify_code == 0, text
    assert out.ok, text
