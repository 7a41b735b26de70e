"""The encounter aggregate, pure: lines, totals, discharge, corrections, resends (SD-ENC-5/6)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts.decision import Rejected
from contracts.encounter import (
    CancelEncounter,
    ChargeLineRecorded,
    CorrectChargeLine,
    DischargedEncounterCorrected,
    EncounterDischarged,
    ReverseChargeLine,
)
from contracts.message import Event
from contracts.reference import CatalogKind
from services.encounter.domain.encounter import decide, evolve, is_resend, remember
from services.encounter.domain.state import EncounterStatus, WorkerState
from tests.unit.encounter.samples import (
    admission,
    charge,
    coverage,
    discharge,
    line,
    sample_book,
    worker_id,
)

BOOK = sample_book()
W = worker_id(7)
H = "H370100001"
D0 = date(2024, 6, 25)
EID = f"{H}:E1"


def run(state: WorkerState, cmd: object) -> tuple[WorkerState, list[Event]]:
    events = decide(state, cmd, coverage(W, "370100"), BOOK)  # type: ignore[arg-type]
    for e in events:
        state = evolve(state, e)
    return remember(state, cmd, uuid.uuid4()), events  # type: ignore[arg-type]


def admitted() -> WorkerState:
    state, _ = run(WorkerState(), admission(W, H, "E1", D0))
    return state


def refused(state: WorkerState, cmd: object) -> str:
    with pytest.raises(Rejected) as err:
        run(state, cmd)
    return err.value.code


def test_lines_added_corrected_reversed_keep_total_consistent() -> None:
    s, _ = run(admitted(), charge(W, H, "E1", line(1, D0, qty="2", price=2500)))
    s, _ = run(s, charge(W, H, "E1", line(2, D0, "DR-001", kind=CatalogKind.DRUG, price=999)))
    assert s.encounters[EID].record.submitted_fen == 5000 + 999
    fix = line(1, D0, qty="1", price=2500)
    s, _ = run(s, CorrectChargeLine(message_id="c1", institution_id=H, encounter_no="E1",
                                    worker_id=W, line=fix))
    s, _ = run(s, ReverseChargeLine(message_id="r2", institution_id=H, encounter_no="E1",
                                    worker_id=W, line_no=2, reason="wrong patient"))
    rec = s.encounters[EID].record
    assert [ln.line_no for ln in rec.lines] == [1] and rec.submitted_fen == 2500
    assert refused(s, charge(W, H, "E1", line(2, D0), message_id="again")) == "line_exists"


def test_sd_enc_6_unknown_catalog_code_is_refused() -> None:
    assert refused(admitted(), charge(W, H, "E1", line(1, D0, "NOPE"))) == "unknown_catalog_code"


def test_sd_enc_6_catalog_version_in_force_on_service_date() -> None:
    """Jinan medical_item v2 (2024-07-01) withdraws MI-002 and adds MI-006."""
    s = admitted()
    run(s, charge(W, H, "E1", line(1, date(2024, 6, 30), "MI-002")))
    assert refused(s, charge(W, H, "E1", line(1, date(2024, 7, 1), "MI-002"))) \
        == "unknown_catalog_code"
    run(s, charge(W, H, "E1", line(1, date(2024, 7, 1), "MI-006")))
    assert refused(s, charge(W, H, "E1", line(1, date(2024, 6, 30), "MI-006"))) \
        == "unknown_catalog_code"


def test_sd_enc_6_rehab_and_device_judged_by_insured_province() -> None:
    s = admitted()  # insured 370700 -> province 370000 catalogs
    run(s, charge(W, H, "E1", line(1, D0, "DV-002", kind=CatalogKind.DEVICE, price=150000)))
    run(s, charge(W, H, "E1", line(1, D0, "RH-001", kind=CatalogKind.REHAB_ITEM, price=8000)))


def test_sd_enc_5_unrelated_lines_are_recorded_for_settlement_to_judge() -> None:
    ln = line(1, D0).model_copy(update={"injury_related": False})
    _, events = run(admitted(), charge(W, H, "E1", ln))
    assert isinstance(events[0], ChargeLineRecorded) and not events[0].line.injury_related


@pytest.mark.parametrize(("ln", "code"), [
    (line(1, D0, amount=9999), "amount_mismatch"),
    (line(1, D0, qty="50000"), "implausible_quantity"),
    (line(1, D0, price=200_000_000), "implausible_price"),
    (line(1, date(2024, 6, 1)), "service_date_outside_encounter"),
])
def test_bad_lines_are_refused(ln: object, code: str) -> None:
    assert refused(admitted(), charge(W, H, "E1", ln)) == code  # type: ignore[arg-type]


def test_amount_rounds_half_up() -> None:
    run(admitted(), charge(W, H, "E1", line(1, D0, qty="0.5", price=2501, amount=1251)))


def test_out_of_order_charge_before_admission_is_refused_with_resend_advice() -> None:
    code = refused(WorkerState(), charge(W, H, "E1", line(1, D0)))
    assert code == "encounter_not_admitted"


def test_discharge_closes_and_later_lines_need_explicit_correction() -> None:
    s, _ = run(admitted(), charge(W, H, "E1", line(1, D0)))
    s, events = run(s, discharge(W, H, "E1", date(2024, 6, 28)))
    assert isinstance(events[0], EncounterDischarged)
    assert events[0].encounter.revision == 0 and len(events[0].encounter.lines) == 1
    assert s.encounters[EID].status is EncounterStatus.DISCHARGED
    assert refused(s, charge(W, H, "E1", line(2, D0))) == "encounter_discharged"
    assert refused(s, discharge(W, H, "E1", date(2024, 6, 29))) == "encounter_discharged"
    s, events = run(s, charge(W, H, "E1", line(2, D0), post=True))
    assert isinstance(events[1], DischargedEncounterCorrected)
    assert events[1].encounter.revision == 1 and events[1].encounter.submitted_fen == 5000
    assert refused(s, charge(W, H, "E1", line(3, date(2024, 6, 29)), post=True)) \
        == "service_date_outside_encounter"


def test_cancelled_encounter_refuses_lines() -> None:
    s, _ = run(admitted(), CancelEncounter(message_id="x", institution_id=H, encounter_no="E1",
                                           worker_id=W, reason="opened by mistake"))
    assert refused(s, charge(W, H, "E1", line(1, D0))) == "encounter_cancelled"


def test_duplicate_admission_is_refused() -> None:
    assert refused(admitted(), admission(W, H, "E1", D0, message_id="other")) == "encounter_exists"


def test_resend_same_content_is_duplicate_and_modified_is_refused() -> None:
    cmd = charge(W, H, "E1", line(1, D0))
    s, _ = run(admitted(), cmd)
    assert is_resend(s, cmd)
    changed = charge(W, H, "E1", line(1, D0, qty="3"))
    with pytest.raises(Rejected) as err:
        is_resend(s, changed)
    assert err.value.code == "modified_request"


def test_state_is_a_fold_of_its_events() -> None:
    s, e1 = run(WorkerState(), admission(W, H, "E1", D0))
    s, e2 = run(s, charge(W, H, "E1", line(1, D0)))
    s, e3 = run(s, discharge(W, H, "E1", date(2024, 6, 28)))
    rebuilt = WorkerState()
    for e in e1 + e2 + e3:
        rebuilt = evolve(rebuilt, e)
    assert rebuilt.encounters == s.encounters
