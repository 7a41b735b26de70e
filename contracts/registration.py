"""Registration (异地就医备案) messages, and the coverage snapshot other services read.

Commands arrive on `registration-commands`, events on `registration-events`, both keyed by
worker id. `WorkerCoverage` is the compacted per-worker snapshot on `registration-coverage`:
every approved window during which the worker was covered for treatment at a place. Encounter
and clearing keep it as a local table to answer "was worker W covered at place P on day D?"
(SD-ENC-1) without calling the registration service.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from contracts.message import Command, Event, Snapshot
from contracts.types import (
    Code,
    InstitutionId,
    RegionCode,
    ResidentId,
    SocialSecurityCard,
    Text,
    city_of,
)


class RegistrationType(StrEnum):
    """SD-REG-2: the three registration types."""

    REFERRAL = "referral"  # 异地转诊转院
    LONG_TERM_RESIDENCE = "long_term_residence"  # 异地长期居住
    STATIONED_WORK = "stationed_work"  # 常驻异地工作


class CoverageWindow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    registration_id: str
    registration_type: RegistrationType
    insured_region: RegionCode
    treatment_region: RegionCode  # a city, or a province code (xx0000) meaning the whole province
    valid_from: date
    valid_until: date  # inclusive
    cancelled: bool = False  # it ends the day before its registration's cancellation (SD-REG-5)

    def covers(self, place: str, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until and self.covers_place(place)

    def covers_place(self, place: str) -> bool:
        if self.treatment_region.endswith("0000"):
            return place[:2] == self.treatment_region[:2]
        return city_of(place) == city_of(self.treatment_region)


class NotCovered(StrEnum):
    """Why no approved registration covers treatment at a place on a day (issue 18 item 6.3):
    the most precise fact the coverage windows show, the same wherever coverage is decided
    (registration's coverage query, encounter's admission check)."""

    NO_VALID_REGISTRATION = "no_valid_registration"  # no approved registration at all
    REGISTERED_FOR_OTHER_PLACE = "registered_for_other_place"  # SD-ENC-1 / SD 2(4)
    REGISTRATION_EXPIRED = "registration_expired"  # SD-REG-4
    REGISTRATION_NOT_YET_VALID = "registration_not_yet_valid"  # SD-REG-3/4: before approval
    REGISTRATION_CANCELLED = "registration_cancelled"  # SD-REG-5


def not_covered(windows: Sequence[CoverageWindow], place: str, day: date) -> NotCovered:
    """Why none of `windows` covers (`place`, `day`). In order: a window on that day for
    another place; else the place's windows — the latest one ended before `day` (cancelled
    or expired), or all start after it; else windows only for other places; else none."""
    if any(w.valid_from <= day <= w.valid_until for w in windows):
        return NotCovered.REGISTERED_FOR_OTHER_PLACE
    here = [w for w in windows if w.covers_place(place)]
    ended = [w for w in here if w.valid_until < day]
    if ended:
        last = max(ended, key=lambda w: w.valid_until)
        return (NotCovered.REGISTRATION_CANCELLED if last.cancelled
                else NotCovered.REGISTRATION_EXPIRED)
    if here:
        return NotCovered.REGISTRATION_NOT_YET_VALID
    return NotCovered.REGISTERED_FOR_OTHER_PLACE if windows else NotCovered.NO_VALID_REGISTRATION


class WorkerCoverage(Snapshot):
    """Per-worker snapshot: approved coverage windows, with later changes cut into windows."""

    worker_id: ResidentId
    social_security_card: SocialSecurityCard | None
    windows: tuple[CoverageWindow, ...]
    last_event_id: uuid.UUID

    def covering(self, place: str, day: date) -> CoverageWindow | None:
        """SD-ENC-1: the window that covers treatment at `place` on `day`, if any."""
        for window in self.windows:
            if window.covers(place, day):
                return window
        return None


# --- commands and events -------------------------------------------------------------------
# Every command carries the worker id (validated: check digit) and travels keyed by it; the
# registration service refuses a command whose envelope key differs from `worker_id`.

RegistrationId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{4,64}$")]
"""The agency's registration (备案) number; offline uploads keep their original one."""


class ConfirmationKind(StrEnum):
    """SD-REG-1: the completed confirmations that make a worker eligible."""

    INJURY_DETERMINATION = "injury_determination"  # 工伤认定
    RECURRENCE = "recurrence"  # 工伤复发确认
    REHABILITATION = "rehabilitation"  # 工伤康复确认
    ASSISTIVE_DEVICE = "assistive_device"  # 辅助器具配置确认


class Confirmation(BaseModel):
    """A completed confirmation asserted by the clerk's system, with its reference number."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ConfirmationKind
    reference_no: Code
    completed_on: date


class RegistrationDetails(BaseModel):
    """What an application asserts (shared by online applications and offline imports)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    registration_id: RegistrationId
    worker_id: ResidentId
    social_security_card: SocialSecurityCard | None = None  # SD-REG-7: refused when absent
    insured_for_work_injury: bool  # SD-REG-1
    confirmation: Confirmation | None = None  # SD-REG-1: refused when absent
    registration_type: RegistrationType  # SD-REG-2
    insured_region: RegionCode
    treatment_region: RegionCode  # a city, or xx0000 for a whole province
    institution_id: InstitutionId | None = None  # referral: the receiving institution
    referral_valid_from: date | None = None  # referral only; default: the registration date
    referral_valid_until: date | None = None  # referral only; default: 90 days (assumption)


class ApplyForRegistration(Command, RegistrationDetails):
    """Apply for an off-site treatment registration (申请异地就医备案); it needs approval."""


class ImportOfflineRegistration(Command, RegistrationDetails):
    """SD-REG-6: an approved registration taken offline, with its original id and times.

    Deduplicated by `registration_id`: the same content again is accepted and changes
    nothing; other content under the same id is refused (`modified_request`).
    """

    registered_at: AwareDatetime
    approved_at: AwareDatetime
    channel: Text = "offline"


class ApproveRegistration(Command):
    registration_id: RegistrationId
    worker_id: ResidentId
    reviewer: Text = ""


class RejectRegistration(Command):
    registration_id: RegistrationId
    worker_id: ResidentId
    reason: Text = Field(min_length=1)


class ChangeRegistration(Command):
    """SD-REG-5: a new treatment place from `effective_on` (default: the command's date)."""

    registration_id: RegistrationId
    worker_id: ResidentId
    treatment_region: RegionCode
    institution_id: InstitutionId | None = None
    effective_on: date | None = None
    reason: Text = ""


class CancelRegistration(Command):
    """SD-REG-5: not covered from `effective_on` (default: the command's date)."""

    registration_id: RegistrationId
    worker_id: ResidentId
    effective_on: date | None = None
    reason: Text = ""


class RegistrationApplied(Event, RegistrationDetails):
    """An application was recorded (registered, 已备案待审核) with its computed validity."""

    registered_on: date
    valid_from: date
    valid_until: date  # inclusive


class RegistrationImported(Event, RegistrationDetails):
    """SD-REG-6: an offline registration entered the system, already approved."""

    registered_at: AwareDatetime
    approved_at: AwareDatetime
    channel: Text
    registered_on: date
    approved_on: date
    valid_from: date
    valid_until: date
    content_digest: str  # sha256 of the import's content: the deduplication key


class RegistrationApproved(Event):
    registration_id: RegistrationId
    worker_id: ResidentId
    approved_on: date
    reviewer: Text = ""


class RegistrationRejected(Event):
    registration_id: RegistrationId
    worker_id: ResidentId
    rejected_on: date
    reason: Text


class RegistrationChanged(Event):
    registration_id: RegistrationId
    worker_id: ResidentId
    effective_on: date
    previous_treatment_region: RegionCode
    treatment_region: RegionCode
    institution_id: InstitutionId | None = None
    reason: Text = ""


class RegistrationCancelled(Event):
    registration_id: RegistrationId
    worker_id: ResidentId
    effective_on: date  # first day no longer covered
    reason: Text = ""


class RegistrationExpired(Event):
    """SD-REG-4: recorded when a later command of the worker is handled after `valid_until`."""

    registration_id: RegistrationId
    worker_id: ResidentId
    expired_on: date  # the first day after valid_until


REGISTRATION_COMMANDS = (
    ApplyForRegistration, ImportOfflineRegistration, ApproveRegistration, RejectRegistration,
    ChangeRegistration, CancelRegistration,
)
REGISTRATION_EVENTS = (
    RegistrationApplied, RegistrationImported, RegistrationApproved, RegistrationRejected,
    RegistrationChanged, RegistrationCancelled, RegistrationExpired,
)
