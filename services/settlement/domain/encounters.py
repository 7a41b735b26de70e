"""Direct settlement at discharge (SD 1(6), XM-18) and post-settlement corrections.

A directly settleable encounter is settled once per revision: `S-<encounter_id>-r<revision>`.
A correction after settlement reverses the settlement in force and settles the new revision;
nothing is ever edited. Encounters that are not directly settleable are adjudicated the same
way and recorded as reimbursable, so a claim can be filed for them at the insured place.
"""

from __future__ import annotations

from datetime import date

from contracts.decision import Rejected
from contracts.encounter import EncounterRecord
from contracts.message import Event
from contracts.settlement import (
    EncounterReimbursable,
    EncounterSettled,
    SettlementNoticeIssued,
    SettlementReversed,
)
from contracts.types import MAX_FEN
from services.settlement.domain.adjudication import Catalogs, settle, totals
from services.settlement.domain.rules import rules_on
from services.settlement.domain.state import WorkerState
from services.settlement.domain.workdays import WorkCalendar, add_working_days


def settlement_id(encounter_id: str, revision: int) -> str:
    return f"S-{encounter_id}-r{revision}"


def check_amounts(encounter: EncounterRecord) -> None:
    """Refuse an encounter whose total cannot be represented as money (overflow)."""
    if encounter.submitted_fen > MAX_FEN:
        raise Rejected("amount_overflow",
                       f"encounter {encounter.encounter_id} totals {encounter.submitted_fen} fen, "
                       f"above the {MAX_FEN} fen limit")
    if encounter.discharged_at is None:
        raise Rejected("not_discharged",
                       f"encounter {encounter.encounter_id} has no discharge time")


def adjudicate(encounter: EncounterRecord, catalogs: Catalogs, on: date,
               calendar: WorkCalendar | None = None) -> list[Event]:
    """SD 1(6) / XM-18: settle directly, or record as reimbursable (SD-ENC-1/3/4/7)."""
    rules = rules_on(on)
    lines = settle(encounter, catalogs, rules)
    t = totals(lines)
    if not encounter.direct_settlement:
        return [EncounterReimbursable(
            encounter_id=encounter.encounter_id, revision=encounter.revision,
            institution_id=encounter.institution_id, worker_id=encounter.worker_id,
            insured_region=encounter.insured_region, treatment_region=encounter.treatment_region,
            not_direct_reasons=tuple(r.value for r in encounter.not_direct_reasons),
            recorded_on=on, lines=lines, submitted_fen=t.submitted_fen, fund_fen=t.fund_fen,
            self_fen=t.self_fen, employer_fen=t.employer_fen)]
    sid = settlement_id(encounter.encounter_id, encounter.revision)
    due = add_working_days(on, rules.institution_answer_working_days, calendar)
    return [
        EncounterSettled(
            settlement_id=sid, encounter_id=encounter.encounter_id, revision=encounter.revision,
            institution_id=encounter.institution_id, worker_id=encounter.worker_id,
            insured_region=encounter.insured_region, treatment_region=encounter.treatment_region,
            cross_provincial=encounter.cross_provincial, settled_on=on, lines=lines,
            submitted_fen=t.submitted_fen, fund_fen=t.fund_fen, self_fen=t.self_fen,
            employer_fen=t.employer_fen),
        SettlementNoticeIssued(
            settlement_id=sid, encounter_id=encounter.encounter_id,
            institution_id=encounter.institution_id, worker_id=encounter.worker_id,
            fund_fen=t.fund_fen, self_fen=t.self_fen, issued_on=on, answer_due_on=due.on,
            calendar_estimated=due.estimated,
            on_account=encounter.settlement_notice_before_discharge),
    ]


def decide_discharge(state: WorkerState, encounter: EncounterRecord, catalogs: Catalogs,
                     on: date, calendar: WorkCalendar | None = None) -> list[Event]:
    """SD 1(6): settle at discharge, once. A second discharge of a known encounter is refused."""
    check_amounts(encounter)
    known = state.encounters.get(encounter.encounter_id)
    if known is not None:
        raise Rejected("already_settled",
                       f"encounter {encounter.encounter_id} was already settled or recorded at "
                       f"revision {known.revision}; send a correction instead")
    return adjudicate(encounter, catalogs, on, calendar)


def decide_correction(state: WorkerState, encounter: EncounterRecord, catalogs: Catalogs,
                      on: date, calendar: WorkCalendar | None = None) -> list[Event]:
    """XM-18 / SD-FUND-3: a post-discharge correction reverses and re-settles, never edits.

    The same revision again yields nothing new (idempotent); an older one is refused.
    """
    check_amounts(encounter)
    known = state.encounters.get(encounter.encounter_id)
    if known is None:
        raise Rejected("unknown_encounter",
                       f"correction for encounter {encounter.encounter_id}, which was never "
                       "discharged here")
    if encounter.revision == known.revision:
        return []
    if encounter.revision < known.revision:
        raise Rejected("stale_revision",
                       f"encounter {encounter.encounter_id} is at revision {known.revision}; "
                       f"revision {encounter.revision} is older")
    if known.clawed_back:
        raise Rejected("settlement_clawed_back",
                       f"encounter {encounter.encounter_id} was already recovered from the "
                       "employer (XM-18); it cannot be re-settled")
    events: list[Event] = []
    if known.settled is not None:
        s = known.settled
        events.append(SettlementReversed(
            settlement_id=s.settlement_id, encounter_id=s.encounter_id,
            institution_id=s.institution_id, worker_id=s.worker_id,
            insured_region=s.insured_region, treatment_region=s.treatment_region,
            cross_provincial=s.cross_provincial, reversed_on=on, fund_fen=s.fund_fen,
            self_fen=s.self_fen,
            reason=f"post-discharge correction to revision {encounter.revision}"))
    return events + adjudicate(encounter, catalogs, on, calendar)
