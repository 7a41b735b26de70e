"""Bodies of the benefits query API (pydantic: validated out, published as JSON Schema)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class EntitlementOut(BaseModel):
    person_id: str
    benefit: str
    month: str
    amount_fen: int
    rules: list[str]


class PaymentOut(BaseModel):
    payment_id: str
    run_month: str
    person_id: str
    benefit: str
    benefit_month: str
    revision: int
    amount_fen: int
    arrears: bool
    paid_on: date
    reversed_by: str | None
    reversed_in: str | None


class ClaimOut(BaseModel):
    claim_id: str
    kind: str
    status: str
    filed_on: date
    review_due_on: date | None
    payment_due_on: date | None
    approved_fen: int | None
    paid_fen: int | None
    payee: str | None
    payee_id: str | None
    missing_documents: list[str]
    overdue: bool


class WorkerBenefits(BaseModel):
    """A worker's benefits as of a day: the month's entitlements (on the facts known now),
    the payments made up to that day, and the one-time claims."""

    worker_id: str
    as_of: date
    insured_region: str
    injured_on: date
    month: str
    entitlements: list[EntitlementOut]
    payments: list[PaymentOut]
    paid_fen: int  # what was paid up to as_of and not reversed
    claims: list[ClaimOut]


class RunOut(BaseModel):
    run_id: str
    run_month: str
    ran_on: date
    fresh: bool
    payments: int
    reversals: int
    paid_fen: int
    reversed_fen: int
    held: list[dict[str, str]]


class MonthRuns(BaseModel):
    """A month's runs and the payments they made, with totals by benefit."""

    month: str
    runs: list[RunOut]
    paid_fen: int
    reversed_fen: int
    by_benefit: dict[str, int]  # net paid per benefit in the month's runs
