"""The clearing state: a pure fold over `clearing-events` (see `ledger.evolve`).

Frozen dataclasses; every change returns a new value (copy-on-write of the touched maps), so
a decision can never corrupt the state it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from contracts.idempotency import DecidedIds

LineKey = tuple[str, str, str]  # (debtor region, creditor region, institution id)


class CycleStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    SETTLED = "settled"
    ABORTED = "aborted"


@dataclass(frozen=True)
class LineTotals:
    settled_fen: int = 0  # settlements minus reversals (and amounts carried over)
    refused_fen: int = 0  # SD-FUND-3 refusals counted in this cycle

    @property
    def amount_fen(self) -> int:
        return self.settled_fen - self.refused_fen


@dataclass(frozen=True)
class ItemTotals:
    """One settlement's postings counted in one cycle (its membership, national 3260):
    settlement and reversal fund amounts, refusals apart."""

    institution_id: str
    debtor: str
    creditor: str
    settled_fen: int = 0
    refused_fen: int = 0

    @property
    def amount_fen(self) -> int:
        return self.settled_fen - self.refused_fen


class ItemStatus(StrEnum):
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


@dataclass(frozen=True)
class ItemMark:
    """A region's word on one item of a cycle (3261), until rolled back (3262)."""

    status: ItemStatus
    by: str = ""  # who confirmed (four-eyes: the settler is someone else)
    reason: str = ""  # why disputed


ItemKey = tuple[str, str]  # (settlement id, region)


@dataclass(frozen=True)
class Cycle:
    cycle_id: str
    month: str
    scope: str  # intra_provincial | cross_provincial
    status: CycleStatus = CycleStatus.OPEN
    lines: dict[LineKey, LineTotals] = field(default_factory=dict)
    confirmed: frozenset[str] = frozenset()
    confirmers: dict[str, str] = field(default_factory=dict)  # region -> actor who confirmed
    disputed: dict[str, str] = field(default_factory=dict)
    rolled_into: str | None = None
    items: dict[str, ItemTotals] = field(default_factory=dict)  # settlement id -> its part
    marks: dict[ItemKey, ItemMark] = field(default_factory=dict)

    def disputed_items(self, region: str | None = None) -> list[str]:
        """The settlements with an open item dispute (by `region`, or by either side)."""
        return sorted({sid for (sid, r), m in self.marks.items()
                       if m.status is ItemStatus.DISPUTED and region in (None, r)})


@dataclass(frozen=True)
class SettlementRef:
    """What a refusal needs to know about a settlement (SD-FUND-3)."""

    insured_region: str
    treatment_region: str
    institution_id: str
    outstanding_fen: int  # fund amount not yet reversed or refused
    cross_provincial: bool
    # what reconciliation (3201/3202) compares: the settlement as settled
    settled_on: date | None = None
    medical_fen: int = 0
    fund_fen: int = 0
    reversed: bool = False


@dataclass(frozen=True)
class Prepayment:
    funded_fen: int = 0
    high_water_fen: int = 0  # the level a top-up restores (highest balance reached)
    top_up_pending: bool = False


@dataclass(frozen=True)
class Policy:
    """Configuration, not seeds: the prepayment warning line as a percentage of its level,
    our province, and the gateway public keys (province -> key id -> raw Ed25519 key)."""

    warning_percent: int = 30
    home_province: str = "370000"
    keys: dict[str, dict[str, bytes]] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class ClearingState:
    seq: int = 0  # number of ledger events folded = the next ledger position
    balances: dict[str, int] = field(default_factory=dict)
    seen: DecidedIds = field(default_factory=DecidedIds)  # causes already turned into ledger events
    cycles: dict[str, Cycle] = field(default_factory=dict)
    settlements: dict[str, SettlementRef] = field(default_factory=dict)
    prepayments: dict[str, Prepayment] = field(default_factory=dict)
    refusals: frozenset[str] = frozenset()
    funded: frozenset[str] = frozenset()  # prepayment ids
    claims: dict[str, str] = field(default_factory=dict)  # our claim message id -> settlement
    answered: frozenset[str] = frozenset()  # our claim message ids already answered
