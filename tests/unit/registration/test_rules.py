"""Pure domain tests: every SD-REG rule by id, no I/O."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from contracts.decision import Rejected
from contracts.message import Command, Event
from contracts.registration import (
    RegistrationApplied,
    RegistrationApproved,
    RegistrationChanged,
    RegistrationExpired,
    RegistrationType,
)
from services.registration.domain import WorkerState, decide, evolve
from tests.unit.registration import builders as b

W = b.worker_id()
D0 = date(2024, 1, 15)


def run(state: WorkerState, command: Command, day: date) -> tuple[WorkerState, list[Event]]:
    events = decide(state, command, b.at(day))
    for e in events:
        state = evolve(state, e)
    return state, events


def approved(day: date = D0, **kw: Any) -> WorkerState:
    state, _ = run(WorkerState(), b.apply(W, **kw), day)
    state, _ = run(state, b.approve(W), day)
    return state


def refused(state: WorkerState, command: Command, day: date) -> Rejected:
    with pytest.raises(Rejected) as info:
        decide(state, command, b.at(day))
    return info.value


def test_sd_reg_1_not_insured_refused() -> None:
    assert refused(WorkerState(), b.apply(W, insured_for_work_injury=False), D0).code == \
        "not_insured"


def test_sd_reg_1_no_completed_confirmation_refused() -> None:
    assert refused(WorkerState(), b.apply(W, confirmation=None), D0).code == \
        "no_completed_confirmation"


def test_sd_reg_1_confirmation_after_registration_date_refused() -> None:
    conf = b.apply(W).confirmation
    assert conf is not None
    late = conf.model_copy(update={"completed_on": date(2024, 2, 1)})
    assert refused(WorkerState(), b.apply(W, confirmation=late), D0).code == \
        "confirmation_not_completed"


def test_sd_reg_2_three_types_accepted_treatment_off_site() -> None:
    for kind in RegistrationType:
        _, events = run(WorkerState(), b.apply(W, registration_type=kind), D0)
        assert isinstance(events[0], RegistrationApplied)
        assert events[0].registration_type is kind


def test_sd_reg_2_treatment_in_insured_city_refused() -> None:
    err = refused(WorkerState(), b.apply(W, treatment_region="370102"), D0)
    assert err.code == "treatment_at_insured_place"


def test_sd_reg_3_approval_of_rejected_application_refused() -> None:
    state, _ = run(WorkerState(), b.apply(W), D0)
    state, _ = run(state, b.reject(W), D0)
    assert refused(state, b.approve(W), D0).code == "registration_rejected"


def test_sd_reg_3_unknown_registration_refused() -> None:
    assert refused(WorkerState(), b.approve(W, "REG-9999"), D0).code == "unknown_registration"


def test_sd_reg_3_pending_registration_cannot_be_changed() -> None:
    state, _ = run(WorkerState(), b.apply(W), D0)
    assert refused(state, b.change(W, b.ZIBO), date(2024, 5, 1)).code == \
        "registration_not_approved"


def test_sd_reg_4_residence_valid_twelve_months() -> None:
    _, [event] = run(WorkerState(), b.apply(W), date(2024, 5, 10))
    assert isinstance(event, RegistrationApplied)
    assert (event.valid_from, event.valid_until) == (date(2024, 5, 10), date(2025, 5, 9))


def test_sd_reg_4_referral_default_ninety_days_and_own_window() -> None:
    _, [event] = run(WorkerState(), b.apply(W, registration_type="referral"), D0)
    assert isinstance(event, RegistrationApplied)
    assert event.valid_until == date(2024, 4, 13)  # 90 days, both ends included
    _, [own] = run(WorkerState(), b.apply(W, registration_type="referral",
                                          referral_valid_until=date(2024, 2, 1)), D0)
    assert isinstance(own, RegistrationApplied) and own.valid_until == date(2024, 2, 1)


def test_sd_reg_4_expired_fact_recorded_by_later_command() -> None:
    state = approved()
    _, events = run(state, b.apply(W, "REG-0002"), date(2025, 1, 15))
    assert [type(e) for e in events] == [RegistrationExpired, RegistrationApplied]
    assert isinstance(events[0], RegistrationExpired)
    assert events[0].expired_on == date(2025, 1, 15)
    assert refused(state, b.apply(W, "REG-0002"), date(2025, 1, 14)).code == \
        "overlapping_registration"


def test_sd_reg_5_change_refused_day_before_three_months() -> None:
    err = refused(approved(), b.change(W, b.ZIBO), date(2024, 4, 14))
    assert err.code == "change_locked" and "2024-04-15" in err.reason


def test_sd_reg_5_change_allowed_on_three_month_day() -> None:
    _, [event] = run(approved(), b.change(W, b.ZIBO), date(2024, 4, 15))
    assert isinstance(event, RegistrationChanged) and event.effective_on == date(2024, 4, 15)


def test_sd_reg_5_cancel_refused_before_lock_and_month_end_clamped() -> None:
    state = approved(date(2023, 11, 30))
    err = refused(state, b.cancel(W), date(2024, 2, 28))
    assert err.code == "change_locked" and "2024-02-29" in err.reason
    _, [cancelled] = run(state, b.cancel(W), date(2024, 2, 29))
    assert type(cancelled).__name__ == "RegistrationCancelled"


def test_sd_reg_5_referral_has_no_lock() -> None:
    state = approved(registration_type="referral")
    _, events = run(state, b.change(W, b.ZIBO), date(2024, 1, 20))
    assert type(events[0]).__name__ == "RegistrationChanged"


def test_sd_reg_5_pending_application_may_be_withdrawn_any_day() -> None:
    state, _ = run(WorkerState(), b.apply(W), D0)
    _, events = run(state, b.cancel(W), date(2024, 1, 16))
    assert type(events[0]).__name__ == "RegistrationCancelled"


def test_sd_reg_6_offline_import_same_content_is_noop_other_content_refused() -> None:
    cmd = b.offline(W, "OFF-1", b.at(date(2024, 3, 1)), b.at(date(2024, 3, 2)))
    state, [event] = run(WorkerState(), cmd, date(2024, 6, 1))
    assert type(event).__name__ == "RegistrationImported"
    assert state.registrations["OFF-1"].approved_on == date(2024, 3, 2)
    assert decide(state, cmd, b.at(date(2024, 6, 2))) == []
    other = b.offline(W, "OFF-1", b.at(date(2024, 3, 1)), b.at(date(2024, 3, 2)),
                      treatment_region=b.ZIBO)
    assert refused(state, other, date(2024, 6, 2)).code == "modified_request"


def test_sd_reg_7_social_security_card_required() -> None:
    err = refused(WorkerState(), b.apply(W, social_security_card=None), D0)
    assert err.code == "no_social_security_card" and "SD-REG-7" in err.reason


def test_overlapping_active_registration_refused() -> None:
    err = refused(approved(), b.apply(W, "REG-0002", treatment_region=b.BEIJING), D0)
    assert err.code == "overlapping_registration" and "REG-0001" in err.reason


def test_registration_id_reused_refused() -> None:
    assert refused(approved(), b.apply(W), date(2026, 1, 1)).code == "registration_exists"


def test_approve_twice_refused_and_approval_carries_business_date() -> None:
    state, _ = run(WorkerState(), b.apply(W), D0)
    state, [event] = run(state, b.approve(W), date(2024, 1, 17))
    assert isinstance(event, RegistrationApproved) and event.approved_on == date(2024, 1, 17)
    assert refused(state, b.approve(W), date(2024, 1, 18)).code == "already_approved"


def test_sd_reg_4_expired_is_derived_from_valid_until_for_state_and_read_model_alike() -> None:
    """One function judges both a `Registration` and a read-model row (issue 15 item 4)."""
    from services.registration.domain.state import status_on

    end = date(2025, 1, 14)
    assert status_on("approved", end, end) == "approved"  # the last valid day
    assert status_on("approved", end, date(2025, 1, 15)) == "expired"
    assert status_on("cancelled", end, date(2025, 1, 15)) == "cancelled"
    assert status_on("pending", end, date(2025, 1, 15)) == "pending"
