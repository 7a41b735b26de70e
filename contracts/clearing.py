"""Clearing (清算) messages: prepayments, ledger postings, clearing cycles, audit refusals.

Commands travel on `clearing-commands` (one partition, key = region pair or cycle id), events
on `clearing-events` (one partition, key `ledger`): the ledger's total order. Every event that
moves money carries its balanced entries (`amount_fen` > 0 debit, < 0 credit; they sum to
zero), so any balance at any position is a sum over the log. `ledger_seq` is the event's
position in the ledger (equal to its clearing-events offset).

Accounts (see docs/services/clearing.md): `fund:<insured region>`, `institution:<id>`,
`prepayment:<insured province>@<treatment province>`, `bank:<region>`, `agency:<region>`,
`employer:<id>`.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.message import Command, Event
from contracts.types import Code, Fen, NonNegativeFen, RegionCode, Text

LEDGER_KEY = "ledger"
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
_CYCLE = re.compile(r"^(\d{4}-\d{2}):(\d{6})\|(\d{6})$")


def cycle_id(month: str, region_a: str, region_b: str) -> str:
    """`2024-05:370100|370200` — a month and an unordered pair of regions (sorted)."""
    a, b = sorted((region_a, region_b))
    return f"{month}:{a}|{b}"


def parse_cycle_id(value: str) -> tuple[str, str, str]:
    m = _CYCLE.match(value)
    if not m:
        raise ValueError(f"cycle id {value!r} is not <YYYY-MM>:<region>|<region>")
    return m.group(1), m.group(2), m.group(3)


class Entry(BaseModel):
    """One leg of a posting: > 0 debit, < 0 credit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str = Field(min_length=3, max_length=100)
    amount_fen: Fen


class PostingKind(StrEnum):
    SETTLEMENT = "settlement"
    REVERSAL = "reversal"
    CLAIM_PAID = "claim_paid"
    ADVANCE_GRANTED = "advance_granted"
    ADVANCE_OFFSET = "advance_offset"
    EMPLOYER_RECEIVABLE = "employer_receivable"
    PREPAYMENT_FUNDED = "prepayment_funded"
    REFUSAL = "refusal"
    GATEWAY_CLAIM = "gateway_claim"
    CLAIM_ACCEPTED = "claim_accepted"  # the insured province accepted our claim: no money moves
    BENEFIT_PAID = "benefit_paid"  # a one-time or monthly benefit (benefits-events, issue 19)
    BENEFIT_REVERSED = "benefit_reversed"  # a monthly payment cancelled by a later run


class PrepaymentStatus(BaseModel):
    """SD-FUND-1: the position of one prepayment after a posting touched it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str
    funded_fen: NonNegativeFen
    balance_fen: Fen
    warning_line_fen: NonNegativeFen
    below_warning: bool
    overdrawn: bool
    top_up_requested_fen: NonNegativeFen = 0  # > 0: a top-up is requested by this posting


class _LedgerEvent(Event):
    ledger_seq: int = Field(ge=0)


class _Balanced(_LedgerEvent):
    entries: tuple[Entry, ...] = ()

    @model_validator(mode="after")
    def _balanced(self) -> _Balanced:
        total = sum(e.amount_fen for e in self.entries)
        if total != 0:
            raise ValueError(f"entries do not balance: they sum to {total} fen")
        return self


class LedgerPosted(_Balanced):
    """A balanced posting caused by a money event (settlement, claim, prepayment, refusal…)."""

    kind: PostingKind
    reference: str  # the business id: settlement, claim, advance, prepayment or refusal id
    cause_event_id: uuid.UUID
    cause_type: str
    business_date: date
    insured_region: RegionCode | None = None
    treatment_region: RegionCode | None = None
    institution_id: str | None = None
    settlement_id: str | None = None
    cycle_id: str | None = None  # the clearing cycle it is counted in (None: not cleared)
    late: bool = False  # its own month's cycle was already closed: counted in a later one
    prepayment: PrepaymentStatus | None = None
    detail: Text = ""
    # a settlement's medical total (医疗费总额, the encounter's submitted amount), carried
    # for institution reconciliation (national 3201/3202); None on other postings and on
    # settlements posted before it was carried
    medical_fen: NonNegativeFen | None = None
    # our gateway claim: on a settlement for another province's insured worker treated here,
    # the id of the signed claim sent for it; on its answer's posting, the claim answered
    claim_message_id: str | None = None


class CycleLine(BaseModel):
    """What `debtor` (insured side) owes through `creditor` (treatment side) for one institution."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    debtor: RegionCode
    creditor: RegionCode
    institution_id: str
    settled_fen: Fen
    refused_fen: Fen
    amount_fen: Fen  # settled - refused (incl. reversals and items carried over)


class PartyNet(BaseModel):
    """> 0: the party receives this much at settlement; < 0: it pays. Nets sum to zero."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    party: str  # a region code
    net_fen: Fen


class ClearingCycleClosed(_LedgerEvent):
    """SD-FUND-2: the cycle's window is closed; totals and nets are frozen."""

    cycle_id: str
    month: str = Field(pattern=_MONTH)
    scope: str  # intra_provincial | cross_provincial
    lines: tuple[CycleLine, ...]
    nets: tuple[PartyNet, ...]
    closed_on: date


class ClearingCycleConfirmed(_LedgerEvent):
    cycle_id: str
    region: RegionCode
    confirmed_on: date
    confirmed_by: str = ""  # the authenticated actor (issue 16: its settler is someone else)


class ClearingCycleDisputed(_LedgerEvent):
    cycle_id: str
    region: RegionCode
    reason: Text
    disputed_on: date


class ClearingCycleSettled(_Balanced):
    """Funds moved: institutions' payables are paid, each insured side's agency paid its share."""

    cycle_id: str
    settled_on: date


class ClearingCycleAborted(_LedgerEvent):
    """The cycle will not be settled: its lines are carried into `rolled_into`."""

    cycle_id: str
    rolled_into: str
    reason: Text
    aborted_on: date


class ClearingItemConfirmed(_LedgerEvent):
    """National 3261: a region confirms one settlement of a closed cycle (item level)."""

    cycle_id: str
    settlement_id: str
    region: RegionCode
    confirmed_on: date
    confirmed_by: str = ""  # the authenticated actor (four-eyes: the settler is another)


class ClearingItemDisputed(_LedgerEvent):
    """National 3261 (dispute): a region disputes one settlement; the cycle cannot settle
    while it is open. A later confirmation of the same item by that region resolves it."""

    cycle_id: str
    settlement_id: str
    region: RegionCode
    reason: Text
    disputed_on: date


class ClearingItemConfirmationRolledBack(_LedgerEvent):
    """National 3262: a region's confirmation of one settlement is withdrawn (only before
    the cycle settles); the item is unconfirmed again."""

    cycle_id: str
    settlement_id: str
    region: RegionCode
    reason: Text
    rolled_back_on: date


# ---- commands (clearing-commands) ----


class FundPrepayment(Command):
    """SD-FUND-1: the insured province pays a prepayment to be held at a treatment province."""

    prepayment_id: str = Field(min_length=1, max_length=100)
    insured_province: RegionCode
    treatment_province: RegionCode
    amount_fen: NonNegativeFen
    funded_on: date


class CloseCycle(Command):
    cycle_id: str
    closed_on: date


class ConfirmCycle(Command):
    cycle_id: str
    region: RegionCode
    confirmed_on: date


class DisputeCycle(Command):
    cycle_id: str
    region: RegionCode
    reason: Text
    disputed_on: date


class SettleCycle(Command):
    cycle_id: str
    settled_on: date


class AbortCycle(Command):
    cycle_id: str
    reason: Text
    aborted_on: date


class RefuseItems(Command):
    """SD-FUND-3: the insured side refuses (拒付) part of a settlement after the fact."""

    refusal_id: str = Field(min_length=1, max_length=100)
    settlement_id: str
    amount_fen: NonNegativeFen = Field(gt=0)
    reason_code: Code
    reason: Text
    refused_on: date


class ConfirmCycleItem(Command):
    """3261: confirm one settlement of a closed cycle, for one of its two regions."""

    cycle_id: str
    settlement_id: str = Field(min_length=1, max_length=100)
    region: RegionCode
    confirmed_on: date


class DisputeCycleItem(Command):
    """3261 (dispute): the region does not accept this settlement in this cycle."""

    cycle_id: str
    settlement_id: str = Field(min_length=1, max_length=100)
    region: RegionCode
    reason: Text
    disputed_on: date


class RollBackCycleItem(Command):
    """3262: withdraw the region's confirmation of one settlement (before settlement)."""

    cycle_id: str
    settlement_id: str = Field(min_length=1, max_length=100)
    region: RegionCode
    reason: Text = ""
    rolled_back_on: date
