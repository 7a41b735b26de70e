"""The monthly payment run: one payment per (person, benefit, month), arrears for late facts,
corrections as reversals plus new payments, balanced postings, refusals (XM-21(3),
XM-23(2)–(5), XM-24, NR-34, NR-35, NR-39). Wage base 600,000 fen, Jinan's average 800,000."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import benefits as b
from contracts.benefits import CareLevel
from contracts.clearing import Entry
from contracts.decision import Rejected
from contracts.message import Event, Message
from services.benefits.domain.months import Month
from services.benefits.domain.payment_run import (
    PaymentKey,
    history_of,
    payment_id,
    reversal_id,
    run_month,
)
from tests.unit.benefits import factories as f
from tests.unit.benefits.run_helpers import Known, known_facts, moves, run

W = f.WORKER
A, C, T, P = "disability_allowance", "living_care_fee", "retirement_top_up", "dependant_pension"
GRADE_3 = Known(f.assessed(date(2024, 6, 20), 3, CareLevel.PARTIAL), Month(2024, 6))


def test_xm_21_3_the_first_run_pays_each_benefit_once_into_the_persons_account() -> None:
    """NR-35 grade 3: 80% × 600,000 = 480,000; NR-34 partial care: 30% × 800,000 = 240,000;
    from July, the month after the assessment (XM-23(4))."""
    log: list[Event] = []
    events = run([known_facts([GRADE_3], Month(2024, 7))], f.refs(), Month(2024, 7), log)
    assert moves(events) == {("pay", W, A, "2024-07", 480_000), ("pay", W, C, "2024-07", 240_000)}
    allowance = next(e for e in events if isinstance(e, b.MonthlyBenefitPaid)
                     and e.benefit.value == A)
    key = PaymentKey(W, f.INJURY, W, b.PeriodicBenefit.DISABILITY_ALLOWANCE, Month(2024, 7))
    assert allowance.payment_id == payment_id(key, 1) and allowance.revision == 1
    assert allowance.entries == (Entry(account="fund:370100", amount_fen=480_000),
                                 Entry(account=f"person:{W}", amount_fen=-480_000))
    assert not allowance.arrears and allowance.paid_on == date(2024, 7, 20)
    assert allowance.rules == ("NR-35", "XM-23(4)", "XM-21(3)")
    done = events[-1]
    assert isinstance(done, b.PaymentRunCompleted)
    assert (done.run_id, done.fresh, done.payments, done.reversals, done.paid_fen) == (
        "benefits-2024-07", True, 2, 0, 720_000)


def test_a_fresh_run_of_a_month_already_run_is_refused_and_a_rerun_emits_nothing() -> None:
    facts = [known_facts([GRADE_3], Month(2024, 7))]
    log: list[Event] = []
    run(facts, f.refs(), Month(2024, 7), log)
    with pytest.raises(Rejected) as err:
        run(facts, f.refs(), Month(2024, 7), log)
    assert err.value.code == "payment_run_already_done"
    assert run(facts, f.refs(), Month(2024, 7), log, fresh=False) == []
    with pytest.raises(Rejected) as err:
        run(facts, f.refs(), Month(2024, 8), log, fresh=False)
    assert err.value.code == "payment_run_not_done"
    with pytest.raises(Rejected) as err:
        run_month(facts, f.refs(), Month(2024, 9), history_of(log), date(2024, 8, 31))
    assert err.value.code == "run_month_not_started"


def test_a_late_assessment_is_paid_in_arrears_for_every_month_it_applies_to() -> None:
    """Assessed 2024-04-20, known only in July: May, June (arrears) and July paid at once."""
    late = Known(f.assessed(date(2024, 4, 20), 3), Month(2024, 7))
    log: list[Event] = []
    run([known_facts([late], Month(2024, 6))], f.refs(), Month(2024, 6), log)
    events = run([known_facts([late], Month(2024, 7))], f.refs(), Month(2024, 7), log)
    assert moves(events) == {("pay", W, A, m, 480_000) for m in ("2024-05", "2024-06", "2024-07")}
    assert [e.arrears for e in events if isinstance(e, b.MonthlyBenefitPaid)] == [
        True, True, False]


def test_xm_23_4_a_late_reassessment_reverses_the_months_paid_and_pays_them_again() -> None:
    """Re-assessed grade 2, most care, on 2024-07-31 (from August), known in October:
    August and September reversed (480,000 + 240,000) and paid at 510,000 + 320,000."""
    later = Known(f.assessed(date(2024, 7, 31), 2, CareLevel.MOST, reassessment=True,
                             assessment_id="A2"), Month(2024, 10))
    log: list[Event] = []
    for m in (Month(2024, 7), Month(2024, 8), Month(2024, 9)):
        run([known_facts([GRADE_3, later], m)], f.refs(), m, log)
    events = run([known_facts([GRADE_3, later], Month(2024, 10))], f.refs(), Month(2024, 10), log)
    past = {(k, W, b_, m, fen) for m in ("2024-08", "2024-09")
            for k, b_, fen in (("rev", A, 480_000), ("rev", C, 240_000),
                               ("pay", A, 510_000), ("pay", C, 320_000))}
    assert moves(events) == past | {("pay", W, A, "2024-10", 510_000),
                                    ("pay", W, C, "2024-10", 320_000)}
    back = next(e for e in events if isinstance(e, b.MonthlyBenefitReversed))
    first = next(e for e in log if isinstance(e, b.MonthlyBenefitPaid)
                 and e.payment_id == back.reverses)
    assert back.payment_id == reversal_id(first.payment_id)
    assert back.entries == tuple(Entry(account=e.account, amount_fen=-e.amount_fen)
                                 for e in first.entries)
    again = [e for e in events if isinstance(e, b.MonthlyBenefitPaid)
             and e.benefit_month == first.benefit_month and e.benefit is first.benefit]
    assert [e.revision for e in again] == [2] and again[0].arrears
    done = events[-1]
    assert isinstance(done, b.PaymentRunCompleted)
    assert (done.paid_fen - done.reversed_fen) == 2 * (30_000 + 80_000) + 830_000


def test_xm_23_5_no_back_pay_for_the_months_in_prison_but_arrears_after_a_late_release(
        ) -> None:
    """Imprisoned 2024-09-10 (known in September): October and November not paid. Released
    2024-11-05, known only in January: December (arrears) and January paid; October and
    November never."""
    jail = Known(f.imprisoned(date(2024, 9, 10)), Month(2024, 9))
    free = Known(f.released(date(2024, 9, 10), date(2024, 11, 5)), Month(2025, 1))
    timeline = [GRADE_3, jail, free]
    log: list[Event] = []
    paid: list[set[tuple[str, str, str, str, int]]] = []
    for m in (Month(2024, 9), Month(2024, 10), Month(2024, 11), Month(2024, 12),
              Month(2025, 1)):
        paid.append(moves(run([known_facts(timeline, m)], f.refs(), m, log)))
    assert {m for _, _, _, m, _ in paid[0]} == {"2024-07", "2024-08", "2024-09"}
    assert paid[1] == paid[2] == paid[3] == set()
    assert paid[4] == {("pay", W, b_, m, fen) for m in ("2024-12", "2025-01")
                       for b_, fen in ((A, 480_000), (C, 240_000))}


def test_xm_23_5_months_paid_before_a_late_imprisonment_was_known_are_reversed() -> None:
    """Imprisoned 2024-07-05, known in September: August and September (paid) are reversed,
    no new payment (docs/assumptions.md: an overpayment is recovered from the person)."""
    jail = Known(f.imprisoned(date(2024, 7, 5)), Month(2024, 10))
    log: list[Event] = []
    for m in (Month(2024, 7), Month(2024, 8), Month(2024, 9)):
        run([known_facts([GRADE_3, jail], m)], f.refs(), m, log)
    events = run([known_facts([GRADE_3, jail], Month(2024, 10))], f.refs(), Month(2024, 10),
                 log)
    assert moves(events) == {("rev", W, b_, m, fen) for m in ("2024-08", "2024-09")
                             for b_, fen in ((A, 480_000), (C, 240_000))}
    reversed_ = [e for e in events if isinstance(e, b.MonthlyBenefitReversed)]
    assert all(e.reason == "no longer owed" for e in reversed_)
    assert reversed_[0].entries[1] == Entry(account=f"person:{W}", amount_fen=480_000)


def test_xm_24_a_late_retirement_replaces_the_allowance_by_the_top_up() -> None:
    """Grade 3 retired 2024-08-12 with a 350,000 pension, known in October: September's
    allowance reversed, top-up 480,000 − 350,000 = 130,000 paid; the care fee goes on."""
    retire = Known(f.retired(date(2024, 8, 12), 350_000), Month(2024, 10))
    log: list[Event] = []
    for m in (Month(2024, 7), Month(2024, 8), Month(2024, 9)):
        run([known_facts([GRADE_3, retire], m)], f.refs(), m, log)
    events = run([known_facts([GRADE_3, retire], Month(2024, 10))], f.refs(), Month(2024, 10),
                 log)
    assert moves(events) == {("rev", W, A, "2024-09", 480_000),
                             ("pay", W, T, "2024-09", 130_000),
                             ("pay", W, T, "2024-10", 130_000),
                             ("pay", W, C, "2024-10", 240_000)}


def test_nr_39_xm_23_2_dependants_are_paid_into_their_own_accounts_until_18() -> None:
    """Death at work 2024-05-08: from June the spouse 40% = 240,000, the daughter (born
    2006-07-01) 30% = 180,000 through July 2024, the month she turns 18."""
    timeline = [Known(e, Month(2024, 5)) for e in (
        f.died(date(2024, 5, 8)),
        f.dependant("WIFE", b.Relation.SPOUSE, date(1980, 1, 1), registered_on=date(2024, 5, 20)),
        f.dependant("GIRL", b.Relation.CHILD, date(2006, 7, 1), registered_on=date(2024, 5, 20)))]
    log: list[Event] = []
    got = [moves(run([known_facts(timeline, m)], f.refs(), m, log))
           for m in (Month(2024, 6), Month(2024, 7), Month(2024, 8))]
    assert got == [{("pay", "WIFE", P, "2024-06", 240_000), ("pay", "GIRL", P, "2024-06", 180_000)},
                   {("pay", "WIFE", P, "2024-07", 240_000), ("pay", "GIRL", P, "2024-07", 180_000)},
                   {("pay", "WIFE", P, "2024-08", 240_000)}]
    girl = next(e for e in log if isinstance(e, b.MonthlyBenefitPaid) and e.person_id == "GIRL")
    assert girl.entries[1].account == f"person:{W}/GIRL"


OTHER = "370102198501010011"


def _in_qingdao(event: Message) -> Message:
    """The same fact for another worker insured in Qingdao (370200)."""
    update = {"worker_id": OTHER}
    if "insured_region" in type(event).model_fields:
        update["insured_region"] = "370200"
    return event.model_copy(update=update)


def test_one_run_pays_every_worker_and_holds_one_it_cannot_compute() -> None:
    """A worker with no city average for Qingdao is held (`no_city_average`) while the
    other is paid; once the average is published, a rerun pays the held months in arrears."""
    from services.benefits.domain.facts import fold

    qingdao = [_in_qingdao(e) for e in (*f.wages_up_to(f.INJURED_ON), f.injury(),
                                        f.assessed(date(2024, 6, 20), 4))]
    workers = [known_facts([GRADE_3], Month(2024, 7)), fold(OTHER, qingdao)]
    log: list[Event] = []
    events = run(workers, f.refs(), Month(2024, 7), log)
    done = events[-1]
    assert isinstance(done, b.PaymentRunCompleted)
    assert [(h.worker_id, h.code) for h in done.held] == [(OTHER, "no_city_average")]
    assert {e.worker_id for e in events if isinstance(e, b.MonthlyBenefitPaid)} == {W}
    average = f.city_average().model_copy(update={"region": "370200"})
    refs = f.refs(city_averages=(f.city_average(), average))
    events = run(workers, refs, Month(2024, 8), log)
    assert {(e.worker_id, e.benefit_month) for e in events
            if isinstance(e, b.MonthlyBenefitPaid)} == {(W, "2024-08"), (OTHER, "2024-07"),
                                                         (OTHER, "2024-08")}
    assert run(workers, refs, Month(2024, 8), log, fresh=False) == []  # idempotent
