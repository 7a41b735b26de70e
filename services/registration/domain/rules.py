"""One function per rule, named after what it decides, rule id in the docstring.

Each raises `Rejected(code, reason)` with a stable code and a sentence a clerk can act on.
"""

from __future__ import annotations

from datetime import date

from contracts.decision import Rejected
from contracts.registration import RegistrationDetails, RegistrationType
from contracts.types import city_of, province_of
from services.registration.domain import dates
from services.registration.domain.state import Registration, Status, WorkerState

TWELVE_MONTH_TYPES = (RegistrationType.LONG_TERM_RESIDENCE, RegistrationType.STATIONED_WORK)


def require_social_security_card(details: RegistrationDetails) -> None:
    """SD-REG-7: the social security card is the identity and settlement credential."""
    if not details.social_security_card:
        raise Rejected("no_social_security_card",
                       "SD-REG-7: the worker must hold a social security card (physical or "
                       "electronic) to register for off-site treatment; give its number")


def require_eligibility(details: RegistrationDetails, registered_on: date) -> None:
    """SD-REG-1: insured for work injury AND one completed confirmation."""
    if not details.insured_for_work_injury:
        raise Rejected("not_insured", "SD-REG-1: the worker is not insured for work injury")
    conf = details.confirmation
    if conf is None:
        raise Rejected("no_completed_confirmation",
                       "SD-REG-1: a completed injury determination, recurrence, rehabilitation "
                       "or assistive-device confirmation is required")
    if conf.completed_on > registered_on:
        raise Rejected("confirmation_not_completed",
                       f"SD-REG-1: confirmation {conf.reference_no} completes on "
                       f"{conf.completed_on}, after the registration date {registered_on}")


def require_off_site_place(insured_region: str, treatment_region: str) -> None:
    """SD-REG-2 / SD-REG-8: the treatment place lies outside the insured prefecture-level
    city (异地, 设区的市以外); treatment at home is reimbursed there, never registered."""
    whole_province = treatment_region.endswith("0000")
    at_home = (province_of(insured_region) == treatment_region if whole_province
               else city_of(treatment_region) == city_of(insured_region))
    if at_home:
        raise Rejected("treatment_at_insured_place",
                       f"SD-REG-2: treatment place {treatment_region} is (or contains) the "
                       f"insured city {city_of(insured_region)}; no off-site registration needed")


def validity_window(details: RegistrationDetails, registered_on: date) -> tuple[date, date]:
    """SD-REG-4: residence/stationed types are valid 12 months from the registration date;
    a referral carries its own window (default 90 days from the registration date)."""
    given = (details.referral_valid_from, details.referral_valid_until)
    if details.registration_type in TWELVE_MONTH_TYPES:
        if given != (None, None):
            raise Rejected("referral_window_not_allowed",
                           "SD-REG-4: a long-term residence or stationed-work registration is "
                           "valid 12 months from its registration date; omit referral dates")
        return registered_on, dates.twelve_month_validity_end(registered_on)
    start = details.referral_valid_from or registered_on
    end = details.referral_valid_until or dates.referral_default_end(start)
    if end < start:
        raise Rejected("invalid_referral_window",
                       f"referral window ends {end} before it starts {start}")
    return start, end


def refuse_overlapping_registration(state: WorkerState, registration_id: str,
                                    start: date, end: date) -> None:
    """A worker holds at most one active (pending or approved) registration on any day: a
    second one overlapping it is refused, never superseding silently (change or cancel
    the first, SD-REG-5)."""
    for reg in state.registrations.values():
        span = reg.active_span()
        if span is not None and span[0] <= end and start <= span[1]:
            raise Rejected("overlapping_registration",
                           f"registration {reg.registration_id} ({reg.status.value}) already "
                           f"covers {span[0]}..{span[1]}; change or cancel it first "
                           f"(new {registration_id}: {start}..{end})")


def require_unused_registration_id(state: WorkerState, registration_id: str) -> None:
    if registration_id in state.registrations:
        raise Rejected("registration_exists",
                       f"registration {registration_id} already exists for this worker")


def require_known(state: WorkerState, registration_id: str) -> Registration:
    reg = state.get(registration_id)
    if reg is None:
        raise Rejected("unknown_registration",
                       f"no registration {registration_id} for this worker")
    return reg


def require_pending(reg: Registration, on: date) -> None:
    """SD-REG-3: only a pending application can be approved or rejected, on or after the
    day it was registered, and not after its validity ended."""
    refusals = {
        Status.REJECTED: ("registration_rejected", "was rejected; apply again"),
        Status.APPROVED: ("already_approved", "is already approved"),
        Status.CANCELLED: ("registration_cancelled", "was cancelled"),
    }
    if reg.status in refusals:
        code, what = refusals[reg.status]
        raise Rejected(code, f"registration {reg.registration_id} {what}")
    if on < reg.registered_on:
        raise Rejected("decision_before_registration",
                       f"decision dated {on} precedes registration date {reg.registered_on}")
    if on > reg.valid_until:
        raise Rejected("registration_expired",
                       f"registration {reg.registration_id} expired after {reg.valid_until}")


def require_in_force(reg: Registration, effective_on: date, today: date) -> None:
    """SD-REG-3/4: a change or cancellation applies to an approved registration, inside
    its validity, from today on (covered days already used are never rewritten)."""
    if reg.status is Status.REJECTED:
        raise Rejected("registration_rejected", f"registration {reg.registration_id} was rejected")
    if reg.status is Status.CANCELLED:
        raise Rejected("registration_cancelled",
                       f"registration {reg.registration_id} was cancelled from {reg.cancelled_on}")
    if effective_on < today:
        raise Rejected("backdated_change", f"effective date {effective_on} is before {today}")
    if effective_on > reg.valid_until:
        raise Rejected("registration_expired",
                       f"registration {reg.registration_id} is valid until {reg.valid_until}")


def require_after_current_place(reg: Registration, effective_on: date) -> None:
    """SD-REG-5: a change starts after the current treatment place started (history kept)."""
    if reg.status is not Status.APPROVED:
        raise Rejected("registration_not_approved",
                       f"registration {reg.registration_id} is {reg.status.value}; only an "
                       "approved registration can be changed (SD-REG-3)")
    if effective_on <= reg.places[-1].starts_on:
        raise Rejected("effective_date_out_of_window",
                       f"effective date {effective_on} must be after {reg.places[-1].starts_on}")


def require_lock_period_over(reg: Registration, effective_on: date) -> None:
    """SD-REG-5: a long-term residence / stationed-work registration may be changed or
    cancelled only from 3 calendar months after its registration date."""
    if reg.registration_type not in TWELVE_MONTH_TYPES:
        return
    earliest = dates.change_allowed_from(reg.registered_on)
    if effective_on < earliest:
        raise Rejected("change_locked",
                       f"SD-REG-5: registration {reg.registration_id} (registered "
                       f"{reg.registered_on}) can be changed or cancelled from {earliest}; "
                       f"requested effective date {effective_on}")
