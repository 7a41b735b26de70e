"""Start, stop, suspension and the cap, property-tested across month boundaries (XM-23(1)–(5),
XM-24, XM-25, NR-39, NR-41): an entitlement is zero in every month before it starts and after
it stops, whatever day of the month the fact fell on (the 1st and the last day alike); a
suspended month is zero and no later month pays it back."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.benefits import CareLevel, Relation
from services.benefits.domain.entitlements import Benefit, amount, monthly_entitlements
from services.benefits.domain.months import Month, months_from
from tests.unit.benefits import factories as f

W, REFS = f.WORKER, f.refs()
ALLOWANCE, PENSION = Benefit.DISABILITY_ALLOWANCE, Benefit.DEPENDANT_PENSION
PROPS = settings(max_examples=60, deadline=None)
# from the month after the injury month: every day of a drawn day's month is after the injury
AFTER_INJURY = st.dates(min_value=date(2024, 4, 1), max_value=date(2029, 12, 31))


def same_month(day: date) -> st.SearchStrategy[date]:
    """Another day of `day`'s month: the 1st, the last day or any day between."""
    m = Month.of(day)
    return st.one_of(st.just(m.first_day), st.just(m.last_day),
                     st.dates(min_value=m.first_day, max_value=m.last_day))


def window(first: date, months: int) -> list[Month]:
    return months_from(Month.of(first), Month.of(first) + months)


@st.composite
def day_and_twin(draw: st.DrawFn, days: st.SearchStrategy[date] = AFTER_INJURY
                 ) -> tuple[date, date]:
    day = draw(days)
    return day, draw(same_month(day))


@PROPS
@given(days=day_and_twin(), grade=st.integers(1, 4))
def test_xm_23_4_allowance_zero_through_the_assessment_month_then_paid(
        days: tuple[date, date], grade: int) -> None:
    on, twin = days
    facts = f.facts(f.assessed(on, grade, CareLevel.FULL))
    twin_facts = f.facts(f.assessed(twin, grade, CareLevel.FULL))
    expected = 600_000 * {1: 90, 2: 85, 3: 80, 4: 75}[grade] // 100
    for month in window(f.INJURED_ON, Month.of(on).index - Month.of(f.INJURED_ON).index + 3):
        got = amount(facts, REFS, month, W, ALLOWANCE)
        assert got == (expected if month > Month.of(on) else 0), month
        assert monthly_entitlements(facts, REFS, month) == monthly_entitlements(
            twin_facts, REFS, month)


@PROPS
@given(jail=day_and_twin(st.dates(min_value=date(2024, 7, 1), max_value=date(2028, 12, 31))),
       days_inside=st.one_of(st.none(), st.integers(0, 800)), data=st.data())
def test_xm_23_5_suspended_months_are_zero_and_never_paid_back(
        jail: tuple[date, date], days_inside: int | None, data: st.DataObject) -> None:
    imprisoned_on, twin_in = jail
    assessment = f.assessed(date(2024, 6, 20), 3)
    events: list[Any] = [assessment, f.imprisoned(imprisoned_on)]
    twin: list[Any] = [assessment, f.imprisoned(twin_in)]
    released_on = None
    if days_inside is not None:
        released_on = imprisoned_on + timedelta(days=days_inside)
        twin_out = max(data.draw(same_month(released_on)), twin_in)
        events.append(f.released(imprisoned_on, released_on))
        twin.append(f.released(twin_in, twin_out))
    facts, twin_facts, free = f.facts(*events), f.facts(*twin), f.facts(assessment)
    paid = 0
    months = window(date(2024, 7, 1), 60)
    for month in months:
        inside = Month.of(imprisoned_on) + 1 <= month and (
            released_on is None or month <= Month.of(released_on))
        got = amount(facts, REFS, month, W, ALLOWANCE)
        assert got == (0 if inside else 480_000), month
        assert got <= amount(free, REFS, month, W, ALLOWANCE)  # never more: no back pay
        assert monthly_entitlements(facts, REFS, month) == monthly_entitlements(
            twin_facts, REFS, month)
        paid += got
    assert paid == 480_000 * sum(1 for m in months if amount(facts, REFS, m, W, ALLOWANCE))


@PROPS
@given(death=day_and_twin(), born=st.dates(min_value=date(2006, 1, 1),
                                           max_value=date(2030, 12, 31)), data=st.data())
def test_xm_23_1_2_a_childs_pension_from_start_to_the_month_of_turning_18(
        death: tuple[date, date], born: date, data: st.DataObject) -> None:
    died_on, twin_died = death
    posthumous = born > died_on
    twin_born = data.draw(same_month(born))
    if Month.of(born) == Month.of(died_on):  # the order of the two days decides posthumous
        twin_died, twin_born = died_on, born
    child = f.dependant("CHILD", Relation.CHILD, born, posthumous=posthumous,
                        registered_on=max(born, died_on))
    twin_child = f.dependant("CHILD", Relation.CHILD, twin_born, posthumous=posthumous,
                             registered_on=max(twin_born, twin_died))
    facts = f.facts(f.died(died_on), child)
    twin = f.facts(f.died(twin_died), twin_child)
    start = Month.of(died_on) + 1
    if posthumous:
        start = max(start, Month.of(born) + 1)
    stop = Month(born.year + 18, born.month)
    for month in months_from(Month.of(died_on) - 2, stop + 2):
        got = amount(facts, REFS, month, "CHILD", PENSION)
        assert got == (180_000 if start <= month <= stop else 0), month
        assert monthly_entitlements(facts, REFS, month) == monthly_entitlements(twin, REFS,
                                                                                month)


@PROPS
@given(worker_died=AFTER_INJURY, lived=st.integers(0, 3000), data=st.data())
def test_xm_23_3_a_dependant_is_paid_through_the_month_of_death_and_not_after(
        worker_died: date, lived: int, data: st.DataObject) -> None:
    died_on = worker_died + timedelta(days=lived)
    twin_on = max(data.draw(same_month(died_on)), worker_died)
    spouse = f.dependant("SPOUSE", Relation.SPOUSE, date(1980, 1, 1),
                         registered_on=worker_died)
    facts = f.facts(f.died(worker_died), spouse, f.dependant_died("SPOUSE", died_on))
    twin = f.facts(f.died(worker_died), spouse, f.dependant_died("SPOUSE", twin_on))
    for month in months_from(Month.of(worker_died), Month.of(died_on) + 3):
        got = amount(facts, REFS, month, "SPOUSE", PENSION)
        assert got == (240_000 if Month.of(worker_died) < month <= Month.of(died_on) else 0)
        assert got == amount(twin, REFS, month, "SPOUSE", PENSION)


@PROPS
@given(accident=day_and_twin(), known=st.booleans())
def test_xm_25_nr_41_missing_workers_dependants_from_the_fourth_month(
        accident: tuple[date, date], known: bool) -> None:
    on, twin_on = accident
    spouse = f.dependant("SPOUSE", Relation.SPOUSE, date(1980, 1, 1),
                         registered_on=max(on, twin_on))
    gone = f.missing(on if known else None, on)
    twin = f.missing(twin_on if known else None, twin_on)
    facts, twin_facts = f.facts(gone, spouse), f.facts(twin, spouse)
    fourth = Month.of(on) + 3  # the accident month is the 1st
    for month in months_from(Month.of(on), fourth + 2):
        got = amount(facts, REFS, month, "SPOUSE", PENSION)
        assert got == (240_000 if month >= fourth else 0), month
        assert got == amount(twin_facts, REFS, month, "SPOUSE", PENSION)


@PROPS
@given(approved=day_and_twin(st.dates(min_value=date(2024, 7, 1), max_value=date(2030, 1, 1))),
       grade=st.integers(1, 4), pension=st.integers(0, 1_000_000))
def test_xm_24_retired_grade_1_to_4_allowance_stops_the_month_after_top_up_only(
        approved: tuple[date, date], grade: int, pension: int) -> None:
    on, twin_on = approved
    base = [f.assessed(date(2024, 6, 20), grade, CareLevel.PARTIAL)]
    facts = f.facts(*base, f.retired(on, pension))
    twin = f.facts(*base, f.retired(twin_on, pension))
    allowance = 600_000 * {1: 90, 2: 85, 3: 80, 4: 75}[grade] // 100
    for month in months_from(max(Month.of(on) - 2, Month(2024, 7)), Month.of(on) + 3):
        after = month > Month.of(on)
        assert amount(facts, REFS, month, W, ALLOWANCE) == (0 if after else allowance)
        assert amount(facts, REFS, month, W, Benefit.RETIREMENT_TOP_UP) == (
            max(allowance - pension, 0) if after else 0)
        assert amount(facts, REFS, month, W, Benefit.LIVING_CARE_FEE) == 240_000  # goes on
        assert monthly_entitlements(facts, REFS, month) == monthly_entitlements(twin, REFS,
                                                                                month)


DEPENDANTS = st.lists(st.tuples(st.sampled_from(list(Relation)), st.booleans()), min_size=1,
                      max_size=7)


@PROPS
@given(people=DEPENDANTS, wage=st.integers(100_000, 5_000_000))
def test_nr_39_dependants_together_never_above_the_wage_each_never_above_their_share(
        people: list[tuple[Relation, bool]], wage: int) -> None:
    events: list[Any] = [f.died(date(2024, 6, 10))]
    for i, (relation, alone) in enumerate(people):
        events.append(f.dependant(f"D{i}", relation, date(1960, 1, 1),
                                  alone=alone and relation is not Relation.SPOUSE,
                                  unable_to_work=True))
    facts = f.facts(*events, wage_fen=wage)
    base = min(max(wage, 480_000), 2_400_000)  # NR-64 with the 800,000 average
    got = monthly_entitlements(facts, REFS, Month(2024, 7))
    assert sum(e.amount_fen for e in got) <= base
    for e, (relation, alone) in zip(got, people, strict=True):
        percent = (40 if relation is Relation.SPOUSE else 30) + (
            10 if alone and relation is not Relation.SPOUSE else 0)
        assert 0 < e.amount_fen <= (base * percent + 50) // 100
