"""The encounter aggregate (就医): decide what a hospital message means, evolve the state.

Lines are added, corrected, reversed; the total is always the sum of the live lines;
discharge closes the encounter; after discharge only explicit post-discharge corrections are
accepted, each raising the revision and re-publishing the whole encounter for settlement.
A line billed with the institution's own code is recorded as the catalog code its mapping
names on the line's service date, with the code as sent beside it (`code_mapping.py`).
"""

from __future__ import annotations

import uuid

from contracts.decision import Rejected
from contracts.encounter import (
    CancelEncounter,
    ChargeLineCorrected,
    ChargeLineRecorded,
    ChargeLineReversed,
    CorrectChargeLine,
    DischargedEncounterCorrected,
    EncounterAdmitted,
    EncounterCancelled,
    EncounterDischarged,
    EncounterRecord,
    RecordAdmission,
    RecordChargeLine,
    RecordDischarge,
    RequestPreSettlement,
    ReverseChargeLine,
    encounter_id,
    hospital_source,
)
from contracts.message import Event, Message
from contracts.registration import WorkerCoverage
from services.encounter.domain.admission import answer_admission
from services.encounter.domain.charges import check_line
from services.encounter.domain.code_mapping import map_line
from services.encounter.domain.reference_book import ReferenceBook
from services.encounter.domain.state import (
    EncounterState,
    EncounterStatus,
    WorkerState,
    content_hash,
)

HospitalMessage = (RecordAdmission | RecordChargeLine | CorrectChargeLine | ReverseChargeLine
                   | RecordDischarge | CancelEncounter)
HOSPITAL_MESSAGES = (RecordAdmission, RecordChargeLine, CorrectChargeLine, ReverseChargeLine,
                     RecordDischarge, CancelEncounter)
LineMessage = RecordChargeLine | CorrectChargeLine | ReverseChargeLine
QUERIES = (RequestPreSettlement,)
"""Hospital messages that ask and record nothing (answered, never remembered)."""
ACCEPTED = (*HOSPITAL_MESSAGES, *QUERIES)
"""Every type a hospital may send on hospital-messages or `POST /hospital/messages`."""


def check_source(source: str, cmd: HospitalMessage | RequestPreSettlement) -> None:
    """A hospital speaks only for its own institution (`wrong_institution`)."""
    if source != hospital_source(cmd.institution_id):
        raise Rejected("wrong_institution",
                       f"source {source!r} may not write for institution {cmd.institution_id}"
                       f" (expected source {hospital_source(cmd.institution_id)!r})")


def _message_key(cmd: HospitalMessage) -> str:
    return f"{cmd.institution_id}/{cmd.message_id}"


def is_resend(state: WorkerState, cmd: HospitalMessage) -> bool:
    """Idempotency by the hospital's message id: same id and content is a resend (True);
    same id, other content is refused as a modified request."""
    seen = state.messages.get(_message_key(cmd))
    if seen is None:
        return False
    if seen != content_hash(cmd):
        raise Rejected("modified_request",
                       f"message_id {cmd.message_id} was already used for different content; "
                       "use a new message_id for a new message")
    return True


def remember(state: WorkerState, cmd: HospitalMessage, event_id: uuid.UUID) -> WorkerState:
    """Record that this message id was applied (only after it was accepted), and by which
    envelope."""
    key = _message_key(cmd)
    messages = {**state.messages, key: content_hash(cmd)}
    return state.model_copy(update={"messages": messages,
                                    "decided": state.decided.plus(event_id)})


def already_answered(state: WorkerState, event_id: uuid.UUID) -> bool:
    """This very envelope was decided before: it is handed over again (after a crash the
    state can be stored while the input position is not), and its answer was delivered
    before the state was stored. A hospital's resend comes in a new envelope."""
    return event_id in state.decided


def _encounter(state: WorkerState, cmd: HospitalMessage | RequestPreSettlement
               ) -> EncounterState:
    """The encounter a message refers to; out-of-order or unknown encounters are refused."""
    found = state.encounters.get(encounter_id(cmd.institution_id, cmd.encounter_no))
    if found is None:
        raise Rejected("encounter_not_admitted",
                       f"encounter {cmd.encounter_no} of {cmd.institution_id} for this worker has "
                       "no admission; send the admission first, wait for its answer, then "
                       "resend this message with the same message_id")
    if found.status is EncounterStatus.CANCELLED:
        raise Rejected("encounter_cancelled",
                       f"encounter {found.record.encounter_id} was cancelled")
    return found


def open_encounter(state: WorkerState, cmd: RequestPreSettlement) -> EncounterState:
    """The open encounter a pre-settlement asks about (2303/2206): admitted, neither
    cancelled nor discharged (a discharged one has its final settlement)."""
    enc = _encounter(state, cmd)
    if enc.status is EncounterStatus.DISCHARGED:
        raise Rejected("encounter_discharged",
                       f"encounter {enc.record.encounter_id} is discharged: pre-settlement is "
                       "for an open encounter; its final settlement is at settlement's "
                       f"GET /encounters/{enc.record.encounter_id}/settlement")
    return enc


def _open_or_correcting(enc: EncounterState, cmd: LineMessage) -> bool:
    """Lines change an open encounter; after discharge only with post_discharge_correction.
    Returns True when this is a post-discharge correction."""
    if enc.status is EncounterStatus.DISCHARGED:
        if not cmd.post_discharge_correction:
            raise Rejected("encounter_discharged",
                           f"encounter {enc.record.encounter_id} is discharged; send an explicit "
                           "post-discharge correction (post_discharge_correction=true)")
        return True
    return False


def _decide_line(state: WorkerState, cmd: LineMessage, book: ReferenceBook) -> list[Event]:
    enc = _encounter(state, cmd)
    correcting = _open_or_correcting(enc, cmd)
    eid = enc.record.encounter_id
    event: Event
    if isinstance(cmd, RecordChargeLine):
        if cmd.line.line_no in enc.line_nos() or cmd.line.line_no in enc.retired_line_nos:
            raise Rejected("line_exists", f"line {cmd.line.line_no} already exists in {eid}; "
                           "use CorrectChargeLine to change it")
        mapped = map_line(cmd.line, enc.record.institution_id, book)  # 3301, before judging
        check_line(mapped, enc.record, book)
        event = ChargeLineRecorded(encounter_id=eid, line=mapped)
    else:
        line_no = cmd.line.line_no if isinstance(cmd, CorrectChargeLine) else cmd.line_no
        if line_no not in enc.line_nos():
            raise Rejected("unknown_line", f"line {line_no} is not a live line of {eid}")
        if isinstance(cmd, CorrectChargeLine):
            mapped = map_line(cmd.line, enc.record.institution_id, book)
            check_line(mapped, enc.record, book)
            event = ChargeLineCorrected(encounter_id=eid, line=mapped)
        else:
            event = ChargeLineReversed(encounter_id=eid, line_no=line_no, reason=cmd.reason)
    if not correcting:
        return [event]
    after = evolve(state, event).encounters[eid].record
    corrected = after.model_copy(update={"revision": after.revision + 1})
    return [event, DischargedEncounterCorrected(encounter=corrected)]


def _decide_admission(state: WorkerState, cmd: RecordAdmission, coverage: WorkerCoverage | None,
                      book: ReferenceBook) -> list[Event]:
    eid = encounter_id(cmd.institution_id, cmd.encounter_no)
    if eid in state.encounters:
        raise Rejected("encounter_exists", f"encounter {eid} was already admitted")
    return [answer_admission(cmd, coverage, book)]


def _decide_discharge(state: WorkerState, cmd: RecordDischarge) -> list[Event]:
    enc = _encounter(state, cmd)
    if enc.status is EncounterStatus.DISCHARGED:
        raise Rejected("encounter_discharged", f"{enc.record.encounter_id} is already discharged")
    if cmd.discharged_at < enc.record.admitted_at:
        raise Rejected("discharge_before_admission",
                       f"discharged_at {cmd.discharged_at} is before admitted_at "
                       f"{enc.record.admitted_at}")
    record = enc.record.model_copy(update={
        "discharged_at": cmd.discharged_at,
        "settlement_notice_before_discharge": cmd.settlement_notice_before_discharge,
    })
    return [EncounterDischarged(encounter=record)]


def _decide_cancel(state: WorkerState, cmd: CancelEncounter) -> list[Event]:
    enc = _encounter(state, cmd)
    if enc.status is EncounterStatus.DISCHARGED:
        raise Rejected("encounter_discharged",
                       f"{enc.record.encounter_id} is discharged and cannot be cancelled; "
                       "reverse its lines with post-discharge corrections instead")
    return [EncounterCancelled(encounter_id=enc.record.encounter_id, reason=cmd.reason)]


def decide(state: WorkerState, cmd: HospitalMessage, coverage: WorkerCoverage | None,
           book: ReferenceBook) -> list[Event]:
    """What a (new, not resent) hospital message records; raises Rejected to refuse it."""
    if isinstance(cmd, RecordAdmission):
        return _decide_admission(state, cmd, coverage, book)
    if isinstance(cmd, RecordDischarge):
        return _decide_discharge(state, cmd)
    if isinstance(cmd, CancelEncounter):
        return _decide_cancel(state, cmd)
    return _decide_line(state, cmd, book)


def _admitted_record(e: EncounterAdmitted) -> EncounterRecord:
    return EncounterRecord(
        encounter_id=e.encounter_id, institution_id=e.institution_id, worker_id=e.worker_id,
        social_security_card=e.social_security_card, care_type=e.care_type,
        insured_region=e.insured_region, treatment_region=e.treatment_region,
        cross_provincial=e.cross_provincial, direct_settlement=e.direct_settlement,
        not_direct_reasons=e.not_direct_reasons, registration_id=e.registration_id,
        admitted_at=e.admitted_at, discharged_at=None,
        third_party_liability=e.third_party_liability,
        settlement_notice_before_discharge=True, lines=(), revision=0,
    )


def _with_lines(enc: EncounterState, lines: dict[int, object], **extra: object) -> EncounterState:
    ordered = tuple(lines[n] for n in sorted(lines))
    return enc.model_copy(update={"record": enc.record.model_copy(update={"lines": ordered}),
                                  **extra})


def evolve(state: WorkerState, event: Message) -> WorkerState:
    """The state after one encounter event (a fold over the events rebuilds it)."""
    encounters = dict(state.encounters)
    if isinstance(event, EncounterAdmitted):
        encounters[event.encounter_id] = EncounterState(
            record=_admitted_record(event), diagnosis_code=event.diagnosis_code)
    elif isinstance(event, ChargeLineRecorded | ChargeLineCorrected):
        enc = encounters[event.encounter_id]
        lines: dict[int, object] = {ln.line_no: ln for ln in enc.record.lines}
        lines[event.line.line_no] = event.line
        encounters[event.encounter_id] = _with_lines(enc, lines)
    elif isinstance(event, ChargeLineReversed):
        enc = encounters[event.encounter_id]
        lines = {ln.line_no: ln for ln in enc.record.lines if ln.line_no != event.line_no}
        encounters[event.encounter_id] = _with_lines(
            enc, lines, retired_line_nos=(*enc.retired_line_nos, event.line_no))
    elif isinstance(event, EncounterDischarged | DischargedEncounterCorrected):
        enc = encounters[event.encounter.encounter_id]
        encounters[enc.record.encounter_id] = enc.model_copy(
            update={"record": event.encounter, "status": EncounterStatus.DISCHARGED})
    elif isinstance(event, EncounterCancelled):
        enc = encounters[event.encounter_id]
        encounters[event.encounter_id] = enc.model_copy(
            update={"status": EncounterStatus.CANCELLED})
    return state.model_copy(update={"encounters": encounters})
