"""Encounter's audit subjects: the encounter, its institution and worker, however named."""

from __future__ import annotations

from datetime import date

from contracts.audit import Subjects
from contracts.encounter import ChargeLineRecorded, EncounterDischarged
from services.encounter.adapters.audit import subjects
from tests.support.audit import HOSPITAL, env
from tests.unit.encounter import samples as s
from tests.unit.settlement import factories as f

INST = "H37020200001"


def test_a_hospital_message_names_its_encounter_by_number() -> None:
    w = s.worker_id(1)
    got = subjects(env(s.admission(w, INST, "ZY-7", date(2024, 5, 2)), w, actor=HOSPITAL))
    assert got == Subjects(worker_id=w, encounter_id=f"{INST}:ZY-7", institution_id=INST)


def test_a_line_names_its_encounter_its_institution_and_the_keyed_worker() -> None:
    w = s.worker_id(2)
    recorded = ChargeLineRecorded(encounter_id=f"{INST}:ZY-7",
                                  line=s.line(1, date(2024, 5, 2)))
    assert subjects(env(recorded, w)) == Subjects(worker_id=w, encounter_id=f"{INST}:ZY-7",
                                                  institution_id=INST)


def test_a_discharge_is_read_from_its_encounter_record() -> None:
    record = f.encounter([f.line(1, 100)])
    got = subjects(env(EncounterDischarged(encounter=record), key="not-the-worker"))
    assert got == Subjects(worker_id=f.WORKER, registration_id="R1",
                           encounter_id=record.encounter_id, institution_id=f.HOSPITAL)
