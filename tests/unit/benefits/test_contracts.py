"""The benefit facts and levels refuse bad input with a clear reason (issue 19 "Bad input"):
a grade outside 1–10, a dependant with no relation, a fact dated before the injury it
names, money that is not integer fen."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from contracts import benefits as b
from contracts.message import model_for
from contracts.reference import dataset_key
from services.benefits.domain.levels import NATIONAL_2011
from tests.unit.benefits import factories as f


@pytest.mark.parametrize("grade", [0, 11, -1])
def test_a_grade_outside_1_to_10_is_refused(grade: int) -> None:
    with pytest.raises(ValidationError) as err:
        f.assessed(date(2024, 6, 1), grade)
    assert err.value.errors()[0]["loc"] == ("grade",)
    assert "greater than or equal to 1" in str(err.value) or "less than or equal to 10" in str(
        err.value)


def test_grades_1_and_10_are_the_bounds() -> None:
    assert f.assessed(date(2024, 6, 1), 1).grade == 1
    assert f.assessed(date(2024, 6, 1), 10).grade == 10


def test_a_grade_is_an_integer_not_a_string_or_float() -> None:
    for bad in ("3", 3.0):
        with pytest.raises(ValidationError):
            f.assessed(date(2024, 6, 1), bad)  # type: ignore[arg-type]


def test_a_dependant_with_no_relation_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        b.DependantRegistered(worker_id=f.WORKER, injury_id=f.INJURY,  # type: ignore[call-arg]
                              dependant_id="D1", born_on=date(2010, 1, 1),
                              registered_on=date(2024, 7, 1))
    (only,) = err.value.errors()
    assert only["loc"] == ("relation",) and only["type"] == "missing"


def test_an_unknown_relation_is_refused() -> None:
    with pytest.raises(ValidationError, match="relation"):
        f.dependant("D1", "cousin", date(2010, 1, 1))  # type: ignore[arg-type]


def test_xm_23_1_a_posthumous_dependant_is_a_child() -> None:
    with pytest.raises(ValidationError, match="posthumous dependant is a child"):
        f.dependant("D1", b.Relation.SPOUSE, date(1990, 1, 1), posthumous=True)


def test_nr_39_a_spouse_is_never_an_orphan_or_lone_elderly() -> None:
    with pytest.raises(ValidationError, match="spouse is not an orphan"):
        f.dependant("D1", b.Relation.SPOUSE, date(1990, 1, 1), alone=True)


def test_an_assessment_dated_before_its_injury_is_refused() -> None:
    with pytest.raises(ValidationError, match="assessed_on 2024-03-14 is before the injury"):
        f.assessed(date(2024, 3, 14), 3)
    assert f.assessed(f.INJURED_ON, 3).assessed_on == f.INJURED_ON  # the same day is fine


def test_other_facts_that_carry_two_dates_keep_their_order() -> None:
    with pytest.raises(ValidationError, match=r"recognised_on .* is before the injury"):
        b.InjuryRecognised(worker_id=f.WORKER, injury_id=f.INJURY, insured_region=f.JINAN,
                           injured_on=date(2024, 3, 15), recognised_on=date(2024, 3, 1))
    with pytest.raises(ValidationError, match=r"confirmed_on .* is before the injury"):
        b.RecurrenceConfirmed(worker_id=f.WORKER, injury_id=f.INJURY,
                              injured_on=date(2024, 3, 15), confirmed_on=date(2024, 1, 1))
    with pytest.raises(ValidationError, match=r"released_on .* is before imprisoned_on"):
        f.released(date(2025, 3, 1), date(2025, 2, 28))
    with pytest.raises(ValidationError, match=r"declared_on .* is before missing_since"):
        f.declared(date(2025, 3, 1), date(2025, 2, 1))
    with pytest.raises(ValidationError, match=r"found_missing_on .* is before the accident"):
        f.missing(date(2025, 3, 1), date(2025, 2, 1))


def test_money_is_integer_fen_never_float() -> None:
    with pytest.raises(ValidationError):
        f.retired(date(2026, 3, 5), 300_000.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        f.wage(f.Month(2024, 1), -1)


def test_levels_give_every_grade_and_care_level_exactly_once() -> None:
    data = NATIONAL_2011.model_dump()
    data["grades"] = data["grades"][:9]
    with pytest.raises(ValidationError, match="each grade 1–10 exactly once"):
        b.BenefitLevelsPublished.model_validate(data)
    data = NATIONAL_2011.model_dump()
    data["care_levels"] = data["care_levels"][:2]
    with pytest.raises(ValidationError, match="each care level"):
        b.BenefitLevelsPublished.model_validate(data)
    with pytest.raises(ValidationError, match="floor 301% is above the ceiling 300%"):
        b.WageBaseBounds(floor_percent=301, ceiling_percent=300, article="NR-64")


def test_facts_and_levels_are_registered_messages_with_dataset_keys() -> None:
    assert model_for("LabourCapacityAssessed", 1) is b.LabourCapacityAssessed
    assert model_for("BenefitLevelsPublished", 1).message_kind == "reference"
    assert b.ContributionWageRecorded.message_kind == "event"
    assert dataset_key(NATIONAL_2011) == "benefit-levels:national"
    shandong = NATIONAL_2011.model_copy(update={"region": "370000"})
    assert dataset_key(shandong) == "benefit-levels:370000"
    income = b.UrbanIncomePublished(year=2023, annual_income_fen=5_182_100,
                                    effective_from=date(2024, 1, 17))
    assert dataset_key(income) == "income:national"
    minimum = b.MinimumWagePublished(region=f.JINAN, monthly_minimum_wage_fen=220_000,
                                     effective_from=date(2023, 10, 1))
    assert dataset_key(minimum) == "minimum-wage:370100"


def test_facts_are_frozen_and_closed() -> None:
    fact = f.died(date(2024, 6, 10))
    with pytest.raises(ValidationError):
        fact.died_on = date(2024, 6, 11)  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        b.WorkerDied(worker_id=f.WORKER, injury_id=f.INJURY, died_on=date(2024, 6, 10),
                     work_related=True, cause="x")  # type: ignore[call-arg]
