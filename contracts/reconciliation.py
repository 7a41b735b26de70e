"""Institution reconciliation (对总账 / 对明细账, national 3201 summary / 3202 detail).

An agreement institution sends its own figures for a period of business dates, or for one
clearing cycle — number of settlements, medical total (医疗费总额), fund total (基金支付) —
and learns whether wic's figures match (3201). On a mismatch it sends its list of
settlements with their amounts (3202) and learns which differ, each with reason codes.

Over HTTP (`POST /reconciliation` on clearing, the hospital's credential) or over Kafka:
`ReconcileInstitution` on `reconciliation-requests` (source `hospital:<institution id>`),
answered by clearing with `ReconciliationAnswered` on `reconciliation-answers`, its
causation the request (`ref_event_id`). A query: nothing is recorded. Wic's figures are
the clearing ledger's (docs/assumptions.md, "Reconciliation").
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.message import Command, Reply
from contracts.types import InstitutionId, NonNegativeFen

MAX_ITEMS = 2000
"""Settlements one 3202 request may list (about 140 KB of JSON: within the HTTP ingress's
body limit and a Kafka record; more: split the period)."""
MAX_PERIOD_DAYS = 366


class _Closed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReconciliationScope(_Closed):
    """A period of business dates (settled_on, both ends included) or one clearing cycle."""

    from_date: date | None = None
    to_date: date | None = None
    cycle_id: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _one_scope(self) -> ReconciliationScope:
        period = self.from_date is not None or self.to_date is not None
        if period == (self.cycle_id is not None):
            raise ValueError("give either from_date and to_date, or cycle_id")
        if period:
            if self.from_date is None or self.to_date is None:
                raise ValueError("a period needs both from_date and to_date")
            if self.to_date < self.from_date:
                raise ValueError("to_date is before from_date")
            if (self.to_date - self.from_date).days >= MAX_PERIOD_DAYS:
                raise ValueError(f"a period is at most {MAX_PERIOD_DAYS} days")
        return self

    def label(self) -> str:
        return self.cycle_id or f"{self.from_date}..{self.to_date}"


class Totals(_Closed):
    settlement_count: int = Field(ge=0, le=10_000_000)
    medical_fen: NonNegativeFen
    fund_fen: NonNegativeFen


class InstitutionItem(_Closed):
    """One settlement as the institution booked it."""

    settlement_id: str = Field(min_length=1, max_length=100)
    medical_fen: NonNegativeFen
    fund_fen: NonNegativeFen


class DiffReason(StrEnum):
    MISSING_IN_WIC = "missing_in_wic"  # wic has no settlement of this institution by that id
    OUTSIDE_SCOPE = "outside_scope"  # wic has it, in another period or cycle
    MISSING_AT_INSTITUTION = "missing_at_institution"  # in wic's scope, not in the list
    REVERSED_IN_WIC = "reversed_in_wic"  # wic reversed it (SettlementReversed)
    MEDICAL_TOTAL_DIFFERS = "medical_total_differs"
    FUND_AMOUNT_DIFFERS = "fund_amount_differs"


class ItemDifference(_Closed):
    settlement_id: str
    reasons: tuple[DiffReason, ...] = Field(min_length=1)
    wic_medical_fen: NonNegativeFen | None = None  # None: wic has none such in scope
    wic_fund_fen: NonNegativeFen | None = None
    institution_medical_fen: NonNegativeFen | None = None  # None: not in its list
    institution_fund_fen: NonNegativeFen | None = None


class ReconcileInstitution(Command):
    """3201 (`items` None: totals only) or 3202 (`items`: the institution's detail, whose
    sums must be `totals`)."""

    request_id: str = Field(min_length=1, max_length=64)  # the institution's own id
    institution_id: InstitutionId
    scope: ReconciliationScope
    totals: Totals
    items: tuple[InstitutionItem, ...] | None = Field(default=None, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _detail_adds_up(self) -> ReconcileInstitution:
        if self.items is None:
            return self
        ids = [i.settlement_id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("a settlement id is listed twice")
        sums = Totals(settlement_count=len(self.items),
                      medical_fen=sum(i.medical_fen for i in self.items),
                      fund_fen=sum(i.fund_fen for i in self.items))
        if sums != self.totals:
            raise ValueError(f"totals {self.totals.model_dump()} are not the items' sums "
                             f"{sums.model_dump()}")
        return self


class ReconciliationAnswered(Reply):
    """Wic's figures for the scope next to the institution's; on 3202 every settlement
    that differs. `ledger_seq`: the ledger position the figures are as of."""

    ref_event_id: uuid.UUID  # the institution's ReconcileInstitution envelope
    request_id: str
    institution_id: InstitutionId
    transaction: Literal["3201", "3202"]
    scope: ReconciliationScope
    result: Literal["match", "mismatch"]
    wic: Totals
    institution: Totals
    differences: tuple[ItemDifference, ...] = ()
    ledger_seq: int = Field(ge=0)
