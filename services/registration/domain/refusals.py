"""Which rule each registration refusal enforces, and which refusals are conflicts with the
registration's recorded state (issue 18 item 6): `POST /commands` answers a conflict 409 and
any other business refusal 422, both with the rule id, so an HTTP-only agency client knows
which rule refused it without reading registration-replies."""

from __future__ import annotations

from types import MappingProxyType

RULE_OF = MappingProxyType({
    "not_insured": "SD-REG-1",
    "no_completed_confirmation": "SD-REG-1",
    "confirmation_not_completed": "SD-REG-1",
    "treatment_at_insured_place": "SD-REG-2",
    "registration_exists": "SD-REG-3",
    "unknown_registration": "SD-REG-3",
    "registration_rejected": "SD-REG-3",
    "already_approved": "SD-REG-3",
    "registration_cancelled": "SD-REG-3",
    "registration_not_approved": "SD-REG-3",
    "decision_before_registration": "SD-REG-3",
    "referral_window_not_allowed": "SD-REG-4",
    "invalid_referral_window": "SD-REG-4",
    "registration_expired": "SD-REG-4",
    "overlapping_registration": "SD-REG-4",
    "change_locked": "SD-REG-5",
    "backdated_change": "SD-REG-5",
    "effective_date_out_of_window": "SD-REG-5",
    "no_change": "SD-REG-5",
    "modified_request": "SD-REG-6",
    "no_social_security_card": "SD-REG-7",
})
"""reason code -> rule id (DOMAIN.md); every code `rules.py` and `decide.py` raise."""

CONFLICTS = frozenset({
    "registration_exists", "overlapping_registration", "already_approved", "no_change",
    "modified_request",
})
"""Refusals because of what is already recorded (409): the same id or days already taken,
a decision already made, content that differs from the recorded registration."""
