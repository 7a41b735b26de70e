"""XM-17 working days on one rule for every service (issue 18 item 6.5): the operator's
`WorkingDayCalendarPublished` of a year takes precedence over the chinesecalendar package,
effective-dated on the business date the count starts; a year neither covers counts
Monday–Friday, marked estimated, and is warned about."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from contracts.reference import WorkingDayCalendarPublished
from contracts.runtime.calendar import CalendarKeeper
from contracts.workdays import add_working_days, package_calendar
from ops.reference import read_envelopes

SAMPLE = Path(__file__).resolve().parents[3] / "reference" / "sample" / "calendar-2027.yaml"


def sample_2027() -> WorkingDayCalendarPublished:
    [env] = read_envelopes([SAMPLE])
    assert isinstance(env.payload, WorkingDayCalendarPublished)
    return env.payload


def test_xm_17_past_the_package_new_year_2027_counts_as_a_working_day_estimated() -> None:
    """The finding: without operator data 2027-01-01 (Friday) is counted, estimated."""
    assert package_calendar().is_working_day(date(2027, 1, 1)) == (True, True)


def test_xm_17_the_operator_calendar_2027_makes_new_year_a_holiday_and_not_estimated() -> None:
    cal = package_calendar().with_published([sample_2027()])
    assert cal.is_working_day(date(2027, 1, 1)) == (False, False)
    assert cal.is_working_day(date(2027, 1, 31)) == (True, False)  # Sunday worked (调休)
    # Complete Wed 2026-12-30 (package): 31 (1); 2027: Jan 1-3 off, Jan 4-8 (6), 11-15 (11),
    # 18-21 (15): due Thu 2027-01-21; Monday-Friday counting said Wed 2027-01-20.
    due = add_working_days(cal, date(2026, 12, 30), 15)
    assert (due.on, due.estimated) == (date(2027, 1, 21), False)
    plain = add_working_days(package_calendar(), date(2026, 12, 30), 15)
    assert (plain.on, plain.estimated) == (date(2027, 1, 20), True)


def test_xm_17_operator_data_takes_precedence_over_the_package_for_a_year_it_covers() -> None:
    """A corrected 2024 notice (say 2024-02-05 made a holiday) wins over the package."""
    fix = WorkingDayCalendarPublished(year=2024, days_off=(date(2024, 2, 5),),
                                      effective_from=date(2023, 12, 1), source="test")
    cal = package_calendar().with_published([fix])
    assert package_calendar().is_working_day(date(2024, 2, 5)) == (True, False)
    assert cal.is_working_day(date(2024, 2, 5)) == (False, False)
    assert cal.is_working_day(date(2024, 2, 12)) == (True, False)  # the whole year is the notice's


def test_xm_17_a_version_counts_only_for_counts_started_on_or_after_its_effective_date() -> None:
    notice = sample_2027()  # effective 2026-11-01
    cal = package_calendar().with_published([notice])
    before = add_working_days(cal, date(2026, 10, 30), 60)  # started before the notice
    assert before.estimated
    corrected = notice.model_copy(update={"days_off": (*notice.days_off, date(2027, 1, 4)),
                                          "effective_from": date(2026, 12, 1)})
    both = package_calendar().with_published([notice, corrected])
    assert both.is_working_day(date(2027, 1, 4), as_of=date(2026, 11, 15)) == (True, False)
    assert both.is_working_day(date(2027, 1, 4), as_of=date(2026, 12, 15)) == (False, False)


def test_xm_17_years_neither_covers_are_named_and_warned_once(
        caplog: pytest.LogCaptureFixture) -> None:
    keeper = CalendarKeeper()
    with caplog.at_level(logging.WARNING):
        assert keeper.warn_uncovered(date(2026, 6, 1)) == [2027]
        assert keeper.warn_uncovered(date(2026, 6, 2)) == []  # once
    assert "2027" in caplog.text and "WorkingDayCalendarPublished" in caplog.text
    keeper.apply(sample_2027())
    assert keeper.calendar.uncovered((2026, 2027)) == []


@pytest.mark.parametrize(("field", "value"), [
    ("days_off", (date(2028, 1, 1),)),  # another year
    ("working_weekends", (date(2027, 1, 4),)),  # a Monday is not a weekend
    ("working_weekends", (date(2027, 1, 2),)),  # both off and worked
])
def test_xm_17_an_inconsistent_calendar_is_refused(field: str, value: object) -> None:
    data = sample_2027().model_dump() | {field: value}
    with pytest.raises(ValidationError):
        WorkingDayCalendarPublished.model_validate(data)


def test_xm_17_settlement_and_benefits_count_on_the_same_rule() -> None:
    from services.benefits.domain.workdays import add_working_days as benefits_count
    from services.settlement.domain.workdays import add_working_days as settlement_count

    cal = package_calendar().with_published([sample_2027()])
    for start in (date(2026, 12, 20), date(2027, 1, 25), date(2027, 9, 20)):
        for n in (5, 10, 15):
            assert settlement_count(start, n, cal) == benefits_count(cal, start, n)
