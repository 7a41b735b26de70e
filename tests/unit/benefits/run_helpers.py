"""Driving the monthly payment run in tests: facts that become known month by month."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.benefits import MonthlyBenefitPaid, MonthlyBenefitReversed, PaymentRunCompleted
from contracts.message import Event
from services.benefits.domain.facts import WorkerFacts, fold
from services.benefits.domain.levels import References
from services.benefits.domain.months import Month
from services.benefits.domain.payment_run import PaymentHistory, history_of, run_month
from tests.unit.benefits import factories as f


@dataclass(frozen=True)
class Known:
    """A fact and the month from which the agency knows it (the run of that month sees it)."""

    event: Any
    from_month: Month


def known_facts(timeline: Sequence[Known], month: Month) -> WorkerFacts:
    events = [k.event for k in timeline if k.from_month <= month]
    return fold(f.WORKER, [*f.wages_up_to(f.INJURED_ON), f.injury(), *events])


def run_day(month: Month) -> date:
    return date(month.year, month.month, 20)  # the run is made on the 20th


def run(workers: Sequence[WorkerFacts], refs: References, month: Month, log: list[Event],
        fresh: bool = True) -> list[Event]:
    """One run over `log` so far; its events are appended to `log`."""
    events = run_month(workers, refs, month, history_of(log), run_day(month), fresh)
    log.extend(events)
    return events


def moves(events: Sequence[Event]) -> set[tuple[str, str, str, str, int]]:
    """(kind, person, benefit, benefit month, amount) of each payment and reversal."""
    out = set()
    for e in events:
        if isinstance(e, MonthlyBenefitPaid | MonthlyBenefitReversed):
            kind = "pay" if isinstance(e, MonthlyBenefitPaid) else "rev"
            out.add((kind, e.person_id, e.benefit.value, e.benefit_month, e.amount_fen))
    assert len(out) == sum(1 for e in events if not isinstance(e, PaymentRunCompleted))
    return out


def live(history: PaymentHistory) -> dict[tuple[str, str, Month], int]:
    return {(k.person_id, k.benefit.value, k.month): p.amount_fen
            for k, p in history.live.items()}
