"""XM-17 on an operator-loaded working-day calendar (issue 18 item 6.5), through the real
broker and database: the sample 2027 calendar (reference/sample/calendar-2027.yaml) is
published the way `wic reference load` publishes it, and settlement's claim deadlines count
on it — 2027 New Year's Day and the Spring Festival off, the shifted Sunday 2027-01-31
worked — not estimated; a year no calendar covers (2028) still counts Monday–Friday and says
`calendar_estimated`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from contracts import topics
from contracts.settings import Settings
from contracts.settlement import ClaimCompleted, ClaimReviewed, ReviewClaim
from ops.reference import files_under, publish, read_envelopes
from tests.integration.settlement.helpers import env, worker_id
from tests.support.kafka import Bus
from tests.support.processes import ROOT, ServiceProcess
from tests.unit.settlement.factories import file_claim

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def calendar(prefix: str, database_url: str, bootstrap: str) -> None:
    envs = read_envelopes(files_under(ROOT / "reference" / "sample" / "calendar-2027.yaml"))
    assert await publish(envs, Settings(bootstrap, database_url, prefix)) == (1, 0)


@pytest.fixture(scope="module")
def service(calendar: None, prefix: str, database_url: str, bootstrap: str, log_dir: Path
            ) -> Iterator[ServiceProcess]:
    proc = ServiceProcess("settlement", prefix=prefix, database_url=database_url,
                          bootstrap=bootstrap, log_dir=log_dir).start()
    yield proc
    proc.stop()


async def test_xm_17_claim_deadlines_count_on_the_operator_calendar_for_2027(
        service: ServiceProcess, bus: Bus) -> None:
    w = worker_id(71)
    sent = [env(c, w) for c in (
        file_claim("C-2027", worker=w, filed_on=date(2026, 12, 30)),
        ReviewClaim(worker_id=w, claim_id="C-2027", approved_fen=100_000,
                    reviewed_on=date(2027, 1, 29)),
        file_claim("C-2028", worker=w, filed_on=date(2028, 3, 1)),
    )]
    for e in sent:
        await bus.send(topics.CLAIM_COMMANDS, e)
    seen = await bus.read(topics.SETTLEMENT_EVENTS, lambda s: len(
        [e for e in s if e.key == w and e.type in ("ClaimCompleted", "ClaimReviewed")]) == 3)
    done = {e.payload.claim_id: e.payload for e in seen
            if e.key == w and isinstance(e.payload, ClaimCompleted)}
    [review] = [e.payload for e in seen if e.key == w and isinstance(e.payload, ClaimReviewed)]
    # 15 working days from Wed 2026-12-30: Dec 31; Jan 1-3 off; Jan 4-8, 11-15, 18-21
    assert (done["C-2027"].review_due_on, done["C-2027"].calendar_estimated) == \
        (date(2027, 1, 21), False)
    # 10 from Fri 2027-01-29: Sun Jan 31 worked (调休); Feb 1-4; Feb 5-12 off (春节); Feb 15-19
    assert (review.payment_due_on, review.calendar_estimated) == (date(2027, 2, 19), False)
    # 2028: neither the operator's data nor the package: Monday-Friday, estimated
    assert (done["C-2028"].review_due_on, done["C-2028"].calendar_estimated) == \
        (date(2028, 3, 22), True)
