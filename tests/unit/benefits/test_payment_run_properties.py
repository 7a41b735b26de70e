"""The payment run, property-tested over random histories of late facts (XM-21(3),
XM-23(2)–(5), XM-24): a rerun of a month emits nothing and a fresh one is refused; every
payment's and every run's entries sum to zero; after each run what is paid and not reversed
equals what the facts known then owe, month by month; a suspended month is never paid."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.benefits import (
    CareLevel,
    MonthlyBenefitPaid,
    MonthlyBenefitReversed,
    PaymentRunCompleted,
    Relation,
)
from contracts.decision import Rejected
from contracts.message import Event
from services.benefits.domain.entitlements import suspended
from services.benefits.domain.months import Month, months_from
from services.benefits.domain.payment_run import history_of, owed
from tests.unit.benefits import factories as f
from tests.unit.benefits.run_helpers import Known, known_facts, live, run

PROPS = settings(max_examples=40, deadline=None)
FIRST = Month.of(f.INJURED_ON)
RUNS = months_from(FIRST + 1, FIRST + 18)


def day_in(month: Month, draw: st.DrawFn) -> date:
    return month.first_day + timedelta(days=draw(st.integers(0, month.last_day.day - 1)))


@st.composite
def timelines(draw: st.DrawFn) -> list[Known]:
    """Facts dated within the runs' months, each known 0–4 months late (never before the
    fact it follows): an assessment, perhaps a re-assessment, an imprisonment and release,
    a retirement, a death with a child dependant."""
    def late(month: Month, after: Month = FIRST) -> Month:
        return max(month + draw(st.integers(0, 4)), after)

    at = FIRST + draw(st.integers(1, 3))  # after the injury month: no day before it
    first = f.assessed(day_in(at, draw), draw(st.integers(1, 10)),
                       draw(st.sampled_from(list(CareLevel))))
    out = [Known(first, late(at))]
    if draw(st.booleans()):
        again = at + draw(st.integers(0, 5))
        out.append(Known(f.assessed(max(day_in(again, draw), first.assessed_on),
                                    draw(st.integers(1, 10)),
                                    draw(st.sampled_from(list(CareLevel))), reassessment=True,
                                    assessment_id="A2"), late(again, out[0].from_month)))
    if draw(st.booleans()):
        jailed = FIRST + draw(st.integers(1, 10))
        jail = f.imprisoned(day_in(jailed, draw))
        out.append(Known(jail, late(jailed)))
        if draw(st.booleans()):
            free = jailed + draw(st.integers(0, 4))
            out.append(Known(f.released(jail.imprisoned_on, max(day_in(free, draw),
                                                                 jail.imprisoned_on)),
                             late(free, out[-1].from_month)))
    if draw(st.booleans()):
        retired = FIRST + draw(st.integers(2, 12))
        pension = draw(st.integers(0, 700_000))
        out.append(Known(f.retired(day_in(retired, draw), pension), late(retired)))
    if draw(st.booleans()):
        death = FIRST + draw(st.integers(13, 16))
        child = f.dependant("KID", Relation.CHILD, date(2007, draw(st.integers(1, 12)), 1),
                            registered_on=day_in(death, draw))
        known = late(death)
        out += [Known(f.died(day_in(death, draw), draw(st.booleans())), known),
                Known(child, known)]
    return out


def _postings_sum(events: list[Event]) -> int:
    return sum(e.amount_fen for ev in events
               if isinstance(ev, MonthlyBenefitPaid | MonthlyBenefitReversed)
               for e in ev.entries)


@PROPS
@given(timeline=timelines())
def test_xm_21_3_reruns_are_idempotent_postings_balance_and_payments_follow_the_facts(
        timeline: list[Known]) -> None:
    refs = f.refs()
    log: list[Event] = []
    ids: set[object] = set()
    for month in RUNS:
        facts = known_facts(timeline, month)
        events = run([facts], refs, month, log)
        assert isinstance(events[-1], PaymentRunCompleted) and events[-1].held == ()
        assert _postings_sum(events) == 0
        for e in events[:-1]:
            assert isinstance(e, MonthlyBenefitPaid | MonthlyBenefitReversed)
            assert sum(x.amount_fen for x in e.entries) == 0 and e.payment_id not in ids
            ids.add(e.payment_id)
        assert run([facts], refs, month, log, fresh=False) == []  # idempotent
        with pytest.raises(Rejected) as err:
            run([facts], refs, month, log)
        assert err.value.code == "payment_run_already_done"
        paid = live(history_of(log))
        due = {(k.person_id, k.benefit.value, k.month): e.amount_fen
               for k, e in owed(facts, refs, month).items()}
        assert paid == due
        for person, _, m in paid:  # XM-23(5): no month in prison is paid
            terms = facts.imprisonments if person == f.WORKER else (
                facts.dependant(person).imprisonments)  # type: ignore[union-attr]
            assert not suspended(terms, m)
    assert _postings_sum(log) == 0
