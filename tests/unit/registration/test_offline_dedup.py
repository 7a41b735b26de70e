"""SD-REG-6 dynamic management (issue 18 item 6.2): an offline upload of a registration the
online channel already recorded is acknowledged as the same registration — same worker,
type, insured place, treatment place and validity — with no second event, whether it
carries the online id or its own; a different registration under a recorded id is still
refused `modified_request`, and a different one under a new id goes through every rule."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.decision import Rejected
from contracts.message import Command
from contracts.registration import RegistrationType
from services.registration.domain import WorkerState, decide, evolve
from tests.unit.registration import builders as b

W = b.worker_id()
APPLIED, APPROVED = date(2024, 3, 1), date(2024, 3, 2)


def run(state: WorkerState, command: Command, day: date) -> WorkerState:
    for event in decide(state, command, b.at(day)):
        state = evolve(state, event)
    return state


def online() -> WorkerState:
    """REG-ON-1 applied online on 1 March (valid 2024-03-01..2025-02-28), approved next day."""
    return run(run(WorkerState(), b.apply(W, "REG-ON-1"), APPLIED), b.approve(W, "REG-ON-1"),
               APPROVED)


def upload(reg_id: str, **kw: object) -> Command:
    return b.offline(W, reg_id, b.at(APPLIED, 15), b.at(APPROVED, 11), **kw)


@pytest.mark.parametrize("reg_id", ["REG-ON-1", "OFF-370100-77"])
def test_sd_reg_6_offline_upload_of_an_online_registration_is_acknowledged_without_event(
        reg_id: str) -> None:
    """Under the online id or the offline system's own: the same registration, no event
    (other paperwork — the confirmation's reference, the channel — does not make it new)."""
    state = online()
    paper = b.apply(W).confirmation.model_copy(update={"reference_no": "PAPER-9"})  # type: ignore[union-attr]
    assert decide(state, upload(reg_id, confirmation=paper), b.at(date(2024, 4, 2))) == []


def test_sd_reg_6_pending_online_application_is_the_same_registration_too() -> None:
    state = run(WorkerState(), b.apply(W, "REG-ON-1"), APPLIED)
    assert decide(state, upload("OFF-1"), b.at(date(2024, 3, 5))) == []
    assert state.registrations["REG-ON-1"].status.value == "pending"  # not approved by it


@pytest.mark.parametrize(("field", "value"), [
    ("treatment_region", b.ZIBO),
    ("registration_type", RegistrationType.STATIONED_WORK),
])
def test_sd_reg_6_different_content_under_the_online_id_is_refused(field: str,
                                                                  value: object) -> None:
    with pytest.raises(Rejected) as info:
        decide(online(), upload("REG-ON-1", **{field: value}), b.at(date(2024, 4, 2)))
    assert info.value.code == "modified_request" and "SD-REG-6" in info.value.reason


def test_sd_reg_6_a_different_validity_is_another_registration_and_overlaps() -> None:
    """Registered a day later: another window, so not the same; it overlaps (SD-REG-4)."""
    later = b.offline(W, "OFF-2", b.at(date(2024, 3, 2)), b.at(date(2024, 3, 3)))
    with pytest.raises(Rejected) as info:
        decide(online(), later, b.at(date(2024, 4, 2)))
    assert info.value.code == "overlapping_registration"


def test_sd_reg_6_a_rejected_online_application_is_not_the_same_registration() -> None:
    state = run(run(WorkerState(), b.apply(W, "REG-ON-1"), APPLIED), b.reject(W, "REG-ON-1"),
                APPROVED)
    with pytest.raises(Rejected) as info:
        decide(state, upload("REG-ON-1"), b.at(date(2024, 4, 2)))
    assert info.value.code == "modified_request"
    [event] = decide(state, upload("OFF-3"), b.at(date(2024, 4, 2)))  # its own id: imported
    assert type(event).__name__ == "RegistrationImported"
