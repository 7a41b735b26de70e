"""XM-17 deadlines on the official PRC calendar (chinese_calendar), with a marked fallback."""

from __future__ import annotations

from datetime import date

from services.settlement.domain.workdays import add_working_days, is_overdue, is_working_day


def test_xm_17_review_due_15_working_days_across_spring_festival_2024() -> None:
    # Complete Mon 2024-02-05. Feb 10–17 holiday; Sun Feb 18 is a shifted working day.
    # Working days: Feb 6,7,8,9 (4) · Sun 18 (5) · 19–23 (10) · 26–Mar 1 (15).
    due = add_working_days(date(2024, 2, 5), 15)
    assert due.on == date(2024, 3, 1) and not due.estimated
    # Mon–Fri counting would have said Feb 26: the holiday calendar matters.


def test_xm_17_institution_batch_answered_in_5_working_days_lands_on_shifted_sunday() -> None:
    assert add_working_days(date(2024, 2, 5), 5).on == date(2024, 2, 18)


def test_xm_17_spring_festival_2025_with_shifted_working_saturday() -> None:
    # Complete Fri 2025-01-24. Sun Jan 26 works (1), Mon 27 (2), Jan 28–Feb 4 holiday,
    # Feb 5,6,7 (5), Sat Feb 8 works (6), 10–14 (11), 17,18,19,20 (15).
    assert is_working_day(date(2025, 2, 8)) == (True, False)
    due = add_working_days(date(2025, 1, 24), 15)
    assert due.on == date(2025, 2, 20) and not due.estimated


def test_xm_17_payment_due_10_working_days_over_labour_day_2024_shifted_saturday() -> None:
    # Reviewed Fri 2024-04-26: Sun Apr 28 works (1), 29, 30 (3), May 1–5 off, 6–10 (8),
    # Sat May 11 works (9), Mon 13 (10).
    assert add_working_days(date(2024, 4, 26), 10).on == date(2024, 5, 13)


def test_xm_17_years_beyond_the_calendar_fall_back_to_weekdays_and_are_flagged() -> None:
    due = add_working_days(date(2026, 12, 30), 3)  # 2027 is not in chinesecalendar 1.11.0
    assert due.on == date(2027, 1, 4) and due.estimated
    assert not add_working_days(date(2026, 6, 1), 3).estimated


def test_xm_17_overdue_only_after_the_due_day() -> None:
    assert not is_overdue(date(2024, 3, 1), None, date(2024, 3, 1))
    assert is_overdue(date(2024, 3, 1), None, date(2024, 3, 2))
    assert not is_overdue(date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 9))


def test_xm_17_a_claim_is_overdue_only_while_waiting_and_after_its_due_day() -> None:
    """The rule the claims API answers `overdue` with (issue 15 item 4: one function)."""
    from services.settlement.domain.workdays import claim_overdue

    due, later = date(2024, 3, 1), date(2024, 3, 2)
    assert not claim_overdue("complete", due, None, due)  # the due day itself is in time
    assert claim_overdue("complete", due, None, later)
    assert claim_overdue("reviewed", date(2024, 2, 1), due, later)
    assert not claim_overdue("reviewed", date(2024, 2, 1), due, due)
    assert not claim_overdue("paid", due, due, later)
    assert not claim_overdue("incomplete", None, None, later)  # the clock has not started
