"""The short chaos run in `make test` (issue 14, "What to build" 2; the long one is
`wic bench chaos`).

It calls the code of `wic chaos` (ops/chaos) on a private broker and PostgreSQL: the month's
traffic for 620 encounters while three services are SIGKILLed at seeded random moments and
the broker and PostgreSQL are restarted once each (item 3: the services must recover by
themselves), plus the exact reproduction of issue 14 finding 1 — encounter stopped, a burst
of 3,000 hospital messages, started, SIGKILLed 0.2-0.9 s after /health answers 200, started
again. Then every input must be answered, every discharged encounter settled once per
revision, every settlement posted once, the ledger and cycles summing to zero and
`wic verify` passing: 0 lost, 0 duplicated. About 2-3 minutes on a 2-core machine.
"""

from __future__ import annotations

import pytest

from ops.chaos.run import Options
from tests.support.chaos import run_chaos

pytestmark = pytest.mark.e2e

SEED = 1414


async def test_nothing_lost_or_doubled_under_sigkills_and_stack_restarts() -> None:
    opts = Options(seed=SEED, encounters=620, kills=3, max_seconds=420.0, burst=3000)
    out, text = await run_chaos(opts)
    f = out.findings
    assert f is not None, text

    kinds = [e.kind for e in out.events]
    assert kinds.count("kill") == 3, text
    assert kinds.count("broker") == 1 and kinds.count("postgres") == 1, text
    catch_up = [e for e in out.events if e.kind == "catch-up"]
    assert len(catch_up) == 1, text  # the burst: at least 3,000 messages, whole encounters
    assert int(catch_up[0].detail.split()[0]) >= 3000, text

    assert f.sent == out.sent > 3000, text
    assert f.answered == f.sent, text
    assert f.encounters == 620 + 9 and f.settled == f.encounters, text
    assert f.settlements > f.encounters // 2, text  # direct settlements and reversals
    assert f.lost == 0 and f.duplicated == 0, text
    assert f.ledger_sum_fen == 0 and f.cycles > 0 and not f.cycles_not_zero, text
    assert not out.unexpected, text
    assert not out.exited, text  # no service died by itself during the outages
    assert out.verify_code == 0, text
    # issue 14 finding 2: a SIGKILLed service serves again in seconds, not a minute
    assert all(e.serve_again < 30.0 for e in out.events if e.kind in ("kill", "catch-up")), text
    assert out.ok, text
