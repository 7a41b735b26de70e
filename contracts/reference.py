"""Reference data (参考数据), effective-dated and carried on the log.

Decisions look up the version in force on the *business date* of what they decide
(`in_force`), so replaying the log decides exactly as it did live. A new version replaces the
previous one from its `effective_from`; nothing is edited in place.

Keys on `reference-data`: `institution:<id>`, `catalog:<kind>:<region>`, `pilot:<scheme>`,
`wage:<region>`, `policy:<name>`, `credential:<institution id>`; the benefit levels and
their bases (contracts/benefits.py, issue 19): `benefit-levels:<region|national>`,
`income:national`, `minimum-wage:<region>`; the working-day calendar of a year (XM-17):
`calendar:<year>`; an institution's code mapping (目录对照, national
3301/3302, issue 18 item 5): `code-mapping:<institution id>:<kind>:<local code>`.

Every dataset is the operator's (`wic reference load`) except the code mappings, which an
institution also uploads and revokes itself through encounter's HTTP door
(`written_by`): consumers drop a record whose source may not write its type.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Annotated, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contracts.benefits import BenefitLevelsPublished, MinimumWagePublished, UrbanIncomePublished
from contracts.canonical import canonical_json
from contracts.message import ReferenceData
from contracts.types import Code, InstitutionId, NonNegativeFen, RegionCode, Text


class InstitutionKind(StrEnum):
    MEDICAL = "medical"
    REHABILITATION = "rehabilitation"
    DEVICE = "device"


class CatalogKind(StrEnum):
    """Which catalog a charge line is judged by (SD-ENC-6)."""

    MEDICAL_ITEM = "medical_item"  # treatment place: diagnosis-and-treatment items
    DRUG = "drug"  # treatment place: drug catalog
    SERVICE_STANDARD = "service_standard"  # treatment place: inpatient standards (bed-day cap)
    REHAB_ITEM = "rehab_item"  # insured province: rehabilitation service items
    DEVICE = "device"  # insured province: assistive-device catalog and fee limits

    @property
    def judged_by_insured_province(self) -> bool:
        return self in (CatalogKind.REHAB_ITEM, CatalogKind.DEVICE)


class InstitutionPublished(ReferenceData):
    """An agreement institution's directory entry (SD-ENC-7), in force from `effective_from`."""

    institution_id: InstitutionId
    name: Text
    region: RegionCode
    kind: InstitutionKind
    agreement: bool = True
    direct_settlement_from: date | None = None
    direct_settlement_until: date | None = None
    cross_provincial: bool = False
    effective_from: date

    def direct_settlement_on(self, day: date) -> bool:
        start, end = self.direct_settlement_from, self.direct_settlement_until
        return self.agreement and start is not None and start <= day and (end is None or day <= end)


class CatalogItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code
    name: Text
    max_unit_price_fen: NonNegativeFen | None = None  # the standard / fee limit; None = no cap
    self_pay_percent: int = Field(default=0, ge=0, le=100)  # part the fund never pays


class CatalogPublished(ReferenceData):
    """A whole catalog version for one region and kind, in force from `effective_from`."""

    kind: CatalogKind
    region: RegionCode  # a city for treatment-place catalogs, a province for insured-province ones
    effective_from: date
    items: tuple[CatalogItem, ...]
    source: Text = ""

    def item(self, code: str) -> CatalogItem | None:
        for it in self.items:
            if it.code == code:
                return it
        return None


class PilotConfigured(ReferenceData):
    """Cities taking part in a scheme for a window (SD-PILOT); configuration, not code."""

    scheme: Code  # e.g. "cross-provincial"
    cities: tuple[RegionCode, ...]
    effective_from: date
    effective_until: date  # inclusive
    source: Text = ""

    def includes(self, city: str, day: date) -> bool:
        return city in self.cities and self.effective_from <= day <= self.effective_until


class WageAveragePublished(ReferenceData):
    """A region's average monthly wage for a year (XM-26 death subsidy base); the city
    average of the benefits (contracts/benefits.py): NR-34 care fee, NR-39 funeral subsidy,
    NR-64 wage-base bounds."""

    region: RegionCode
    year: int = Field(ge=1990, le=2100)
    average_monthly_wage_fen: NonNegativeFen
    effective_from: date
    source: Text = ""


class PolicyParameterPublished(ReferenceData):
    """A named numeric rule parameter with its source, e.g. prepayment warning line."""

    name: Code
    value: int
    unit: Code  # "fen", "percent", "days", …
    effective_from: date
    source: Text


class InstitutionCredentialPublished(ReferenceData):
    """An institution's HTTP credential: only the SHA-256 of its bearer token is ever stored.

    The latest version per institution is used (authentication is about now, not a business
    date); `token_sha256=None` revokes the credential.
    """

    institution_id: InstitutionId
    token_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None
    effective_from: date


class WorkingDayCalendarPublished(ReferenceData):
    """One year's official working-day calendar (XM-17), as the State Council publishes it
    (国务院办公厅关于{year}年部分节假日安排的通知): the holidays (放假, weekdays and weekends
    alike) and the weekend days worked instead (调休上班). Where it covers a year it takes
    precedence over the `chinesecalendar` package (contracts.workdays); a corrected notice
    is a new version with a later `effective_from`."""

    year: int = Field(ge=2000, le=2100)
    days_off: tuple[date, ...]
    working_weekends: tuple[date, ...] = ()
    effective_from: date  # the notice's date: counts started on or after it use it
    source: Text = ""  # the notice (国办发明电〔…〕号)

    @model_validator(mode="after")
    def _consistent(self) -> WorkingDayCalendarPublished:
        wrong = [d for d in (*self.days_off, *self.working_weekends) if d.year != self.year]
        if wrong:
            raise ValueError(f"dates outside {self.year}: {sorted(wrong)}")
        weekdays = [d for d in self.working_weekends if d.weekday() < 5]
        if weekdays:
            raise ValueError(f"working_weekends must be Saturdays or Sundays: {weekdays}")
        both = set(self.days_off) & set(self.working_weekends)
        if both:
            raise ValueError(f"both a day off and worked: {sorted(both)}")
        return self
class CodeMappingPublished(ReferenceData):
    """An institution's local item code mapped to a catalog code (目录对照): national 3301
    uploads it, 3302 revokes it. In force from `effective_from` to `effective_until`
    (inclusive, None: open); a later version replaces it from its own `effective_from`, and
    a version with `catalog_code=None` is a revocation from that day. Encounter applies it
    to a charge line before anything judges the line (the line's service date decides),
    so the line is adjudicated as the catalog code and keeps the local one beside it.
    """

    institution_id: InstitutionId
    catalog_kind: CatalogKind  # 3301 目录类别: the mapping holds for this catalog only
    local_code: Code  # 3301 定点医药机构目录编号: the institution's own code
    local_name: Text = ""
    catalog_code: Code | None  # 3301 医疗目录编码; None: revoked (3302) from effective_from
    effective_from: date
    effective_until: date | None = None
    source: Text = ""

    def maps_on(self, day: date) -> str | None:
        """The catalog code this version maps to on `day`, if it applies then."""
        if self.catalog_code is None or day < self.effective_from:
            return None
        if self.effective_until is not None and day > self.effective_until:
            return None
        return self.catalog_code


def mapping_key(institution_id: str, kind: CatalogKind, local_code: str) -> str:
    return f"code-mapping:{institution_id}:{kind.value}:{local_code}"


class _Dated(Protocol):
    @property
    def effective_from(self) -> date: ...


D = TypeVar("D", bound=_Dated)


def in_force(versions: Iterable[D], on: date) -> D | None:
    """The version whose `effective_from` is the latest on or before `on`."""
    best: D | None = None
    for v in versions:
        if v.effective_from <= on and (best is None or v.effective_from >= best.effective_from):
            best = v
    return best


def dataset_key(message: ReferenceData) -> str:
    """The Kafka key of a reference message (one ordered history per dataset)."""
    if isinstance(message, InstitutionPublished):
        return f"institution:{message.institution_id}"
    if isinstance(message, CatalogPublished):
        return f"catalog:{message.kind.value}:{message.region}"
    if isinstance(message, PilotConfigured):
        return f"pilot:{message.scheme}"
    if isinstance(message, WageAveragePublished):
        return f"wage:{message.region}"
    if isinstance(message, InstitutionCredentialPublished):
        return f"credential:{message.institution_id}"
    if isinstance(message, PolicyParameterPublished):
        return f"policy:{message.name}"
    if isinstance(message, BenefitLevelsPublished):
        return f"benefit-levels:{message.region or 'national'}"
    if isinstance(message, UrbanIncomePublished):
        return "income:national"
    if isinstance(message, MinimumWagePublished):
        return f"minimum-wage:{message.region}"
    if isinstance(message, WorkingDayCalendarPublished):
        return f"calendar:{message.year}"
    if isinstance(message, CodeMappingPublished):
        return mapping_key(message.institution_id, message.catalog_kind, message.local_code)
    raise TypeError(f"no dataset key for {type(message).__name__}")


OPERATOR_SOURCE = "operator"  # contracts.topics.Writer.OPERATOR: `wic reference load`
SERVICE_WRITTEN: dict[type[ReferenceData], str] = {CodeMappingPublished: "encounter"}
"""Reference types a service may also publish, and which one (its HTTP door for the
institutions' own code mappings, 3301/3302); contracts.topics names it a co-writer."""


def written_by(source: str, message: object) -> bool:
    """May a record from `source` carry this reference message? The operator publishes
    every dataset; a service only the types it owns here (so a compromised or buggy door
    can never publish a catalog, an institution or a credential)."""
    if source == OPERATOR_SOURCE:
        return True
    return SERVICE_WRITTEN.get(type(message)) == source  # type: ignore[arg-type]


REFERENCE_NAMESPACE = uuid.UUID("0b7f3c1e-9d2a-4f61-8c55-2e4a7d9b1f30")


def reference_event_id(payload: ReferenceData) -> uuid.UUID:
    """The deterministic event id of a reference record: uuid5 of its dataset key, effective
    date and content. The same record published twice (a loader rerun, an institution's
    retried upload) has the same id, and consumers keep it once."""
    digest = hashlib.sha256(canonical_json(payload)).hexdigest()  # = wire.encode_payload
    effective = getattr(payload, "effective_from", "")
    return uuid.uuid5(REFERENCE_NAMESPACE, f"{dataset_key(payload)}|{effective}|{digest}")
