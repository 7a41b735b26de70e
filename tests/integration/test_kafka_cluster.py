"""One of three brokers SIGKILLed mid-stream loses and doubles nothing (issue 17, "Done
when" bullet 2; item 5: replication factor 3, `min.insync.replicas=2`, `acks=all`).

It runs the chaos scenario's code (`ops.chaos`, as `wic chaos` does) on a private
three-node KRaft cluster (`infra.cluster`: SASL/SCRAM and ACLs as the single broker, its
own ports and files under `.local/chaos-<tag>/`, never the shared broker) and a private
PostgreSQL: the month's traffic — registrations, hospital encounters with lines and
corrections, discharges settled by settlement (direct settlement, 2301/2304), postings by
clearing's ledger, reimbursement claims, signed gateway claims, the month's clearing
close — while the broker leading the ledger's partition is SIGKILLed, traffic never paused,
and started again a few seconds later. Then every input must be answered, every discharged
encounter settled exactly once per revision, every settlement posted once, the ledger and
every cycle's nets summing to zero, and `wic verify` passing: 0 lost, 0 duplicated.
No service is killed (that is the workers' test); the broker is the only fault.

Kept short for `make test`: 60 stays, and 4 partitions per worker-keyed topic instead of the
default 12 (three replicas of each on three JVMs beside five services on two cores; 150
stays at 12 partitions took 4 min 10 s at 13:11 UTC 2026-12-03; 60 stays at 4: 2 min 19 s –
3 min 6 s, the host's load average 8–20 from other sessions). `wic chaos --brokers 3`
runs the long one.
"""

from __future__ import annotations

import pytest

from ops.chaos.run import Options
from tests.support.chaos import run_chaos

pytestmark = pytest.mark.integration

SEED = 1717
ENCOUNTERS = 60


async def test_one_of_three_brokers_sigkilled_mid_stream_loses_and_doubles_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIC_WORKER_PARTITIONS", "4")  # the run's topics and its services
    opts = Options(seed=SEED, encounters=ENCOUNTERS, kills=0, max_seconds=300.0, burst=0,
                   restart_stack=True, restart_postgres=False, brokers=3)
    out, text = await run_chaos(opts)
    print(text)  # `pytest -s`: the run's account even when it passes
    f = out.findings
    assert f is not None, text

    brokers = [e for e in out.events if e.kind == "broker"]
    assert [e.kind for e in out.events] == ["broker"], text  # the one fault: a broker
    assert "SIGKILLed" in brokers[0].detail and "in sync" in brokers[0].detail, text

    assert f.sent == out.sent > ENCOUNTERS, text
    assert f.answered == f.sent, text  # nothing lost: every input answered
    assert f.encounters == ENCOUNTERS + 9 and f.settled == f.encounters, text
    assert f.settlements > f.encounters // 2, text  # direct settlements posted by clearing
    assert f.lost == 0 and f.duplicated == 0, text
    assert f.ledger_sum_fen == 0 and f.cycles > 0 and not f.cycles_not_zero, text
    assert not out.unexpected, text
    assert not out.exited, text  # no service died of the broker's loss
    assert out.verify_code == 0, text
    assert out.ok, text
