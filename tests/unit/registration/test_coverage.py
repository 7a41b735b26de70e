"""Coverage snapshot (pure): approval first, validity, changes cut windows, idempotent agent."""

from __future__ import annotations

import uuid
from datetime import date

from contracts import topics
from contracts.registration import WorkerCoverage
from services.registration.domain import WorkerState, coverage_of
from services.registration.domain.dates import add_months, twelve_month_validity_end
from services.registration.domain.handlers import answer_command
from tests.unit.registration import builders as b
from tests.unit.registration.test_rules import W, approved, run

ID = uuid.uuid4()


def test_sd_reg_3_pending_registration_covers_nothing() -> None:
    state, _ = run(WorkerState(), b.apply(W), date(2024, 1, 15))
    assert coverage_of(state, ID).windows == ()


def test_sd_reg_3_coverage_starts_on_approval_day() -> None:
    state, _ = run(WorkerState(), b.apply(W), date(2024, 1, 15))
    state, _ = run(state, b.approve(W), date(2024, 1, 20))
    cov = coverage_of(state, ID)
    assert cov.covering(b.QINGDAO, date(2024, 1, 19)) is None
    assert cov.covering(b.QINGDAO, date(2024, 1, 20)) is not None


def test_sd_reg_4_twelve_month_expiry_boundary() -> None:
    cov = coverage_of(approved(date(2024, 5, 10)), ID)
    assert cov.covering("370202", date(2025, 5, 9)) is not None  # district inside Qingdao
    assert cov.covering("370202", date(2025, 5, 10)) is None


def test_sd_reg_5_change_cuts_window_at_effective_date() -> None:
    state, _ = run(approved(), b.change(W, b.ZIBO), date(2024, 6, 1))
    cov = coverage_of(state, ID)
    assert cov.covering(b.QINGDAO, date(2024, 5, 31)) is not None
    assert cov.covering(b.QINGDAO, date(2024, 6, 1)) is None
    assert cov.covering(b.ZIBO, date(2024, 6, 1)) is not None
    assert cov.covering(b.ZIBO, date(2024, 5, 31)) is None


def test_sd_reg_5_cancel_ends_coverage_the_day_before() -> None:
    state, _ = run(approved(), b.cancel(W), date(2024, 6, 1))
    cov = coverage_of(state, ID)
    assert cov.covering(b.QINGDAO, date(2024, 5, 31)) is not None
    assert cov.covering(b.QINGDAO, date(2024, 6, 1)) is None


def test_sd_reg_8_insured_place_never_covered() -> None:
    assert coverage_of(approved(), ID).covering(b.JINAN, date(2024, 3, 1)) is None


def test_calendar_month_arithmetic_clamps_day() -> None:
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert twelve_month_validity_end(date(2024, 2, 29)) == date(2025, 2, 27)


def test_duplicate_command_id_yields_no_second_event() -> None:
    command = b.env(b.apply(W), b.at(date(2024, 1, 15)))
    decision = answer_command(WorkerState(), command)
    state, first = decision.state, [*decision.events, *decision.replies]
    assert state is not None
    kinds = [o.topic for o in first]
    assert kinds == [topics.REGISTRATION_EVENTS, topics.REGISTRATION_COVERAGE,
                     topics.REGISTRATION_REPLIES]
    assert isinstance(first[1].envelope.payload, WorkerCoverage)
    repeat = answer_command(state, command)
    again = [*repeat.events, *repeat.replies]
    assert [o.topic for o in again] == [topics.REGISTRATION_REPLIES]
    assert again[0].envelope.event_id == first[2].envelope.event_id  # same reply, deduplicable
    assert repeat.state is None  # nothing to store


def test_key_must_be_worker_id() -> None:
    """Registration's route and its HTTP ingress refuse a command keyed by another worker
    (`BY_WORKER`, checked by the runner before `answer_command`)."""
    from contracts.decision import BY_WORKER
    command = b.env(b.apply(W), b.at(date(2024, 1, 15)), key="someone-else")
    assert BY_WORKER.mismatch(command) == f"message key 'someone-else' is not the worker id {W!r}"
    assert BY_WORKER.mismatch(b.env(b.apply(W), b.at(date(2024, 1, 15)))) is None


def test_sd_reg_5_cancellation_marks_the_window_it_ends() -> None:
    """Issue 18 item 6.3: the snapshot says a window ended by cancellation (so a later
    admission reads `registration_cancelled`); an expiring or changed one is not marked."""
    state, _ = run(approved(), b.change(W, b.ZIBO), date(2024, 6, 1))
    assert [w.cancelled for w in coverage_of(state, ID).windows] == [False, False]
    state, _ = run(state, b.cancel(W), date(2024, 7, 1))
    assert [w.cancelled for w in coverage_of(state, ID).windows] == [False, True]
