"""Response bodies of the query API (pydantic, so the OpenAPI document is built from them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class Window(BaseModel):
    registration_id: str
    registration_type: str
    insured_region: str
    treatment_region: str
    valid_from: date
    valid_until: date


class RegistrationBody(BaseModel):
    worker_id: str
    registration_id: str
    registration_type: str
    status: str  # pending | approved | rejected | cancelled
    status_as_of: str | None = None  # with ?as_of=: also `expired` (SD-REG-4)
    origin: str
    insured_region: str
    treatment_region: str
    institution_id: str | None
    registered_on: date
    approved_on: date | None
    valid_from: date
    valid_until: date
    cancelled_on: date | None
    rejected_reason: str | None
    last_event_id: uuid.UUID
    updated_at: datetime
    windows: list[Window]


class RegistrationList(BaseModel):
    """GET /registrations: windows are on each registration's own page."""

    registrations: list[RegistrationBody]


class CoverageAnswer(BaseModel):
    worker_id: str
    place: str
    date: date
    covered: bool
    registration_id: str | None = None
    window: Window | None = None
    # when not covered: treated_at_insured_place (SD-REG-8), registered_for_other_place,
    # registration_expired, registration_not_yet_valid, registration_cancelled, or
    # no_valid_registration (none at all): contracts.registration.NotCovered
    reason: str | None = None


class HistoryEntry(BaseModel):
    seq: int
    event_id: uuid.UUID
    event_type: str
    registration_id: str
    occurred_at: datetime
    payload: dict[str, Any]


class HistoryAnswer(BaseModel):
    worker_id: str
    registrations: list[RegistrationBody]
    events: list[HistoryEntry]
