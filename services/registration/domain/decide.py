"""`decide(state, command, at)`: what a registration command leads to, or a refusal.

`at` is the command's business time (envelope `occurred_at`); nothing here reads a clock.
Facts that depend on the date (registration date, validity window) are computed once, here,
and carried in the events, so `evolve` never needs a calendar.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

import orjson

from contracts.business_time import business_date
from contracts.decision import Rejected
from contracts.message import Command, Event
from contracts.registration import (
    ApplyForRegistration,
    ApproveRegistration,
    CancelRegistration,
    ChangeRegistration,
    ImportOfflineRegistration,
    RegistrationApplied,
    RegistrationApproved,
    RegistrationCancelled,
    RegistrationChanged,
    RegistrationDetails,
    RegistrationExpired,
    RegistrationImported,
    RegistrationRejected,
    RejectRegistration,
)
from services.registration.domain import rules
from services.registration.domain.state import Registration, Status, WorkerState


def decide(state: WorkerState, command: Command, at: datetime, reviewer: str = ""
           ) -> list[Event]:
    """`reviewer`: the authenticated actor's id, recorded on an approval (never the body's)."""
    today = business_date(at)
    match command:
        case ApplyForRegistration():
            decided: list[Event] = _apply(state, command, today)
        case ImportOfflineRegistration():
            decided = _import(state, command)
        case ApproveRegistration():
            reg = rules.require_known(state, command.registration_id)
            rules.require_pending(reg, today)
            decided = [RegistrationApproved(registration_id=reg.registration_id,
                                            worker_id=command.worker_id, approved_on=today,
                                            reviewer=reviewer)]
        case RejectRegistration():
            reg = rules.require_known(state, command.registration_id)
            rules.require_pending(reg, today)
            decided = [RegistrationRejected(registration_id=reg.registration_id,
                                            worker_id=command.worker_id, rejected_on=today,
                                            reason=command.reason)]
        case ChangeRegistration():
            decided = [_change(state, command, today)]
        case CancelRegistration():
            decided = [_cancel(state, command, today)]
        case _:
            raise Rejected("unsupported_command",
                           f"{type(command).__name__} is not a registration command")
    return expiries(state, today) + decided if decided else []


def expiries(state: WorkerState, today: date) -> list[Event]:
    """SD-REG-4: record, once, that an approved registration ran out before `today`.
    Coverage never depends on these events (valid_until already says it)."""
    return [
        RegistrationExpired(registration_id=r.registration_id, worker_id=state.worker_id or "",
                            expired_on=r.valid_until + timedelta(days=1))
        for r in sorted(state.registrations.values(), key=lambda r: r.registration_id)
        if r.status is Status.APPROVED and not r.expiry_recorded and r.valid_until < today
    ]


def _check_new(state: WorkerState, details: RegistrationDetails,
               registered_on: date) -> tuple[date, date]:
    rules.require_unused_registration_id(state, details.registration_id)
    rules.require_social_security_card(details)
    rules.require_eligibility(details, registered_on)
    rules.require_off_site_place(details.insured_region, details.treatment_region)
    start, end = rules.validity_window(details, registered_on)
    rules.refuse_overlapping_registration(state, details.registration_id, start, end)
    return start, end


def _details(command: RegistrationDetails) -> dict[str, object]:
    return {name: getattr(command, name) for name in RegistrationDetails.model_fields}


def _apply(state: WorkerState, command: ApplyForRegistration, today: date) -> list[Event]:
    start, end = _check_new(state, command, today)
    return [RegistrationApplied(**_details(command), registered_on=today,
                                valid_from=start, valid_until=end)]


def content_digest(command: ImportOfflineRegistration) -> str:
    """SD-REG-6: what makes two uploads 'the same registration' — their whole content."""
    body = orjson.dumps(command.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def same_registration(reg: Registration, details: RegistrationDetails, start: date,
                      end: date) -> bool:
    """SD-REG-6 dynamic management: an upload is the registration already recorded (from
    either channel) when it names the same worker (the state's), type, insured place,
    original treatment place and validity window — the facts coverage is decided on; ids,
    times, channel and the confirmation's paperwork may differ (docs/assumptions.md). A
    rejected or cancelled registration is never 'the same' as one uploaded as approved."""
    return (reg.status in (Status.PENDING, Status.APPROVED)
            and reg.registration_type == details.registration_type
            and reg.insured_region == details.insured_region
            and reg.places[0].treatment_region == details.treatment_region
            and (reg.valid_from, reg.valid_until) == (start, end))


def _import(state: WorkerState, command: ImportOfflineRegistration) -> list[Event]:
    """SD-REG-6: offline registrations arrive with their original id and times; the same
    upload again, or an upload of a registration the online channel already recorded (under
    its id or another), is acknowledged with no event; different content under a recorded
    id is refused."""
    digest = content_digest(command)
    registered_on, approved_on = business_date(command.registered_at), business_date(
        command.approved_at)
    existing = state.get(command.registration_id)
    if existing is not None:
        if existing.origin == "offline" and existing.content_digest == digest:
            return []
        if same_registration(existing, command,
                             *rules.validity_window(command, registered_on)):
            return []
        raise Rejected("modified_request",
                       f"SD-REG-6: registration {command.registration_id} was already recorded "
                       f"({existing.origin}, {existing.status.value}, "
                       f"{existing.registration_type.value} {existing.insured_region}->"
                       f"{existing.places[0].treatment_region}, {existing.valid_from}.."
                       f"{existing.valid_until}) with different content; send a change or "
                       "cancellation instead")
    if approved_on < registered_on:
        raise Rejected("decision_before_registration",
                       f"approved {approved_on} before registered {registered_on}")
    start, end = rules.validity_window(command, registered_on)
    if any(same_registration(reg, command, start, end) for reg in state.registrations.values()):
        return []  # the online channel's registration under its own id: the same one
    start, end = _check_new(state, command, registered_on)
    return [RegistrationImported(
        **_details(command), registered_at=command.registered_at,
        approved_at=command.approved_at, channel=command.channel, registered_on=registered_on,
        approved_on=approved_on, valid_from=start, valid_until=end, content_digest=digest,
    )]


def _change(state: WorkerState, command: ChangeRegistration, today: date) -> Event:
    reg = rules.require_known(state, command.registration_id)
    effective = command.effective_on or today
    rules.require_in_force(reg, effective, today)
    rules.require_after_current_place(reg, effective)
    rules.require_lock_period_over(reg, effective)
    rules.require_off_site_place(reg.insured_region, command.treatment_region)
    if command.treatment_region == reg.treatment_region and \
            command.institution_id == reg.places[-1].institution_id:
        raise Rejected("no_change", f"registration {reg.registration_id} already names "
                       f"{command.treatment_region}")
    return RegistrationChanged(
        registration_id=reg.registration_id, worker_id=command.worker_id, effective_on=effective,
        previous_treatment_region=reg.treatment_region,
        treatment_region=command.treatment_region, institution_id=command.institution_id,
        reason=command.reason,
    )


def _cancel(state: WorkerState, command: CancelRegistration, today: date) -> Event:
    """SD-REG-5: a pending application may be withdrawn any day; an approved registration
    only once the lock period is over."""
    reg = rules.require_known(state, command.registration_id)
    effective = command.effective_on or today
    rules.require_in_force(reg, effective, today)
    if reg.status is Status.APPROVED:
        rules.require_lock_period_over(reg, effective)
    return RegistrationCancelled(registration_id=reg.registration_id,
                                 worker_id=command.worker_id, effective_on=effective,
                                 reason=command.reason)
