"""The fold of benefit facts refuses what cannot be true, with a reason code, and changes
nothing (issue 19 "Bad input": a fact dated before the injury, …)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.benefits import Relation
from contracts.decision import Rejected
from contracts.settlement import ClaimPaid
from services.benefits.domain.facts import Imprisonment, WorkerFacts, evolve, fold
from tests.unit.benefits import factories as f


def refused(facts: WorkerFacts, event: object) -> str:
    with pytest.raises(Rejected) as err:
        evolve(facts, event)  # type: ignore[arg-type]
    return err.value.code


BASE = f.facts(f.dependant("SPOUSE", Relation.SPOUSE, date(1985, 2, 1)))


@pytest.mark.parametrize("event", [
    f.died(date(2024, 3, 14)),
    f.imprisoned(date(2024, 1, 1)),
    f.retired(date(2023, 12, 31), 300_000),
    f.missing(None, date(2024, 3, 1)),
    f.dependant("D2", Relation.CHILD, date(2010, 1, 1), registered_on=date(2024, 3, 1)),
    f.dependant_died("SPOUSE", date(2024, 2, 1)),
], ids=lambda e: type(e).__name__)
def test_a_fact_dated_before_the_injury_is_refused(event: object) -> None:
    assert refused(BASE, event) == "dated_before_injury"


def test_the_injury_day_itself_is_not_before_the_injury() -> None:
    assert evolve(BASE, f.died(f.INJURED_ON)).died is not None


def test_facts_need_the_recognised_injury_first_but_wages_do_not() -> None:
    empty = WorkerFacts(f.WORKER)
    assert refused(empty, f.died(date(2024, 6, 1))) == "injury_not_recognised"
    assert len(evolve(empty, f.wage(f.Month(2024, 1))).wages) == 1
    assert refused(BASE, f.injury()) == "injury_already_recognised"


def test_an_assessment_of_another_injury_day_or_injury_is_refused() -> None:
    other_day = f.assessed(date(2024, 6, 1), 3, injured_on=date(2024, 3, 1))
    assert refused(BASE, other_day) == "injury_date_mismatch"
    other = f.assessed(date(2024, 6, 1), 3).model_copy(update={"injury_id": "INJ-2"})
    assert refused(BASE, other) == "other_injury"
    stranger = f.died(date(2024, 6, 1)).model_copy(update={"worker_id": "110105194912310029"})
    assert refused(BASE, stranger) == "wrong_worker"


def test_imprisonment_and_release_pair_up() -> None:
    assert refused(BASE, f.released(date(2025, 1, 1), date(2025, 2, 1))) == "not_imprisoned"
    inside = evolve(BASE, f.imprisoned(date(2025, 1, 1)))
    assert refused(inside, f.imprisoned(date(2025, 2, 1))) == "already_imprisoned"
    out = evolve(inside, f.released(date(2025, 1, 1), date(2025, 2, 1)))
    assert out.imprisonments == (Imprisonment(date(2025, 1, 1), date(2025, 2, 1)),)
    again = evolve(out, f.imprisoned(date(2026, 1, 1)))  # a second term is fine
    assert len(again.imprisonments) == 2


def test_dependant_facts_name_a_registered_dependant_once() -> None:
    assert refused(BASE, f.dependant_died("NOBODY", date(2025, 1, 1))) == "unknown_dependant"
    assert refused(BASE, f.imprisoned(date(2025, 1, 1), "NOBODY")) == "unknown_dependant"
    again = f.dependant("SPOUSE", Relation.SPOUSE, date(1985, 2, 1))
    assert refused(BASE, again) == "dependant_already_registered"
    jailed = evolve(BASE, f.imprisoned(date(2025, 1, 1), "SPOUSE"))
    spouse = jailed.dependant("SPOUSE")
    assert spouse is not None and spouse.imprisonments == (Imprisonment(date(2025, 1, 1)),)
    assert jailed.imprisonments == ()


def test_a_death_is_recorded_once_and_a_declaration_needs_a_missing_worker() -> None:
    dead = evolve(BASE, f.died(date(2024, 6, 1)))
    assert refused(dead, f.died(date(2024, 7, 1))) == "already_died"
    assert refused(BASE, f.declared(date(2024, 3, 15), date(2025, 1, 1))) == "not_missing"


def test_a_message_that_is_no_benefit_fact_is_refused() -> None:
    paid = ClaimPaid.model_construct()  # type: ignore[call-arg]
    assert refused(BASE, paid) == "unknown_fact"


def test_a_refused_fact_changes_nothing_and_the_fold_replays_the_same() -> None:
    before = BASE
    refused(before, f.died(date(2024, 3, 1)))
    assert before == BASE
    events = [*f.wages_up_to(f.INJURED_ON), f.injury(), f.assessed(date(2024, 6, 1), 3),
              f.assessed(date(2025, 10, 1), 2, assessment_id="A3", reassessment=True),
              f.assessed(date(2024, 10, 1), 2, assessment_id="A2", reassessment=True)]
    facts = fold(f.WORKER, events)
    assert [a.assessment_id for a in facts.assessments] == ["A1", "A2", "A3"]  # by date
    assert fold(f.WORKER, events) == facts


def test_xm_23_4_one_first_assessment_then_re_assessments_after_it() -> None:
    first = evolve(BASE, f.assessed(date(2024, 6, 1), 3))
    assert refused(first, f.assessed(date(2024, 9, 1), 2, assessment_id="A2")
                   ) == "already_assessed"
    early = f.assessed(date(2024, 5, 1), 2, assessment_id="A2", reassessment=True)
    assert refused(first, early) == "reassessment_without_assessment"
    assert refused(BASE, early) == "reassessment_without_assessment"
