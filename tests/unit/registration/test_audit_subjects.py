"""Registration's audit subjects: worker and registration from the payload, or the key."""

from __future__ import annotations

from datetime import date

from contracts.audit import Subjects
from contracts.registration import RegistrationApproved, RegistrationChanged
from services.registration.adapters.audit import subjects
from tests.support.audit import REVIEWER, env
from tests.unit.registration import builders as b


def test_an_event_names_its_worker_and_registration() -> None:
    w = b.worker_id()
    approved = RegistrationApproved(registration_id="REG-1", worker_id=w,
                                    approved_on=date(2024, 5, 2))
    assert subjects(env(approved, w, actor=REVIEWER)) == Subjects(worker_id=w,
                                                                  registration_id="REG-1")


def test_a_change_to_a_referral_names_the_receiving_institution() -> None:
    w = b.worker_id()
    changed = RegistrationChanged(registration_id="REG-1", worker_id=w,
                                  effective_on=date(2024, 8, 1), previous_treatment_region="370200",
                                  treatment_region="370300", institution_id="H37030200001")
    assert subjects(env(changed, w)).institution_id == "H37030200001"


def test_a_command_refused_for_its_key_still_names_the_payload_worker() -> None:
    w, other = b.worker_id(), b.worker_id()
    got = subjects(env(b.apply(w, "REG-9"), key=other))
    assert (got.worker_id, got.registration_id) == (w, "REG-9")
