"""The coverage snapshot other services read: a pure function of the worker's state.

Only approved registrations cover (SD-REG-3), from the later of validity start and approval
day, until validity end (SD-REG-4) or the day before cancellation (SD-REG-5). A change of
treatment place on day C cuts the window: the old place until C-1, the new one from C, so a
question about any past day still has its true answer.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import NamedTuple

from contracts.registration import CoverageWindow, WorkerCoverage
from services.registration.domain.state import PlacePeriod, Registration, WorkerState


class Span(NamedTuple):
    """One coverage window of a registration, before it is a `CoverageWindow`."""

    place: PlacePeriod
    valid_from: date
    valid_until: date
    cancelled: bool


def spans_of(reg: Registration) -> list[Span]:
    """The windows of `windows_of` as plain tuples: the read model writes their rows without
    building (and re-validating) a CoverageWindow each (docs/performance.md "Fifth round,
    second pass")."""
    if reg.approved_on is None:
        return []
    start = max(reg.valid_from, reg.approved_on)
    end = reg.valid_until
    if reg.cancelled_on is not None:
        end = min(end, reg.cancelled_on - timedelta(days=1))
    out: list[Span] = []
    for i, place in enumerate(reg.places):
        nxt = reg.places[i + 1].starts_on - timedelta(days=1) if i + 1 < len(reg.places) else end
        seg_start, seg_end = max(start, place.starts_on), min(end, nxt)
        if seg_start <= seg_end:
            # the cancellation, not the validity, ended it: a precise "not covered"
            out.append(Span(place, seg_start, seg_end, reg.cancelled_on is not None
                            and seg_end < reg.valid_until and seg_end == end))
    return out


def windows_of(reg: Registration) -> list[CoverageWindow]:
    return [CoverageWindow(
        registration_id=reg.registration_id, registration_type=reg.registration_type,
        insured_region=reg.insured_region, treatment_region=s.place.treatment_region,
        valid_from=s.valid_from, valid_until=s.valid_until, cancelled=s.cancelled,
    ) for s in spans_of(reg)]


def coverage_of(state: WorkerState, last_event_id: uuid.UUID) -> WorkerCoverage:
    regs = sorted(state.registrations.values(), key=lambda r: (r.valid_from, r.registration_id))
    windows = tuple(w for reg in regs for w in windows_of(reg))
    assert state.worker_id is not None
    return WorkerCoverage(worker_id=state.worker_id,
                          social_security_card=state.social_security_card,
                          windows=windows, last_event_id=last_event_id)
