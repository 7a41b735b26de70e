"""Read model of the benefits service (PostgreSQL schema `benefits`).

Every statement is an insert that ignores a row already there or a keyed update, so
re-applying an event changes nothing; the runner stores the consumed offsets in the same
transaction (`contracts.runtime.projection`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
import orjson

from contracts import benefits as b
from contracts import topics
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.audit_trail import TABLE
from contracts.runtime.projection import Projection
from services.benefits.adapters.audit import AUDIT
from services.benefits.domain.facts import business_day

SCHEMA = "benefits"
TABLES = ["facts", "injuries", "benefit_claims", "payments", "reversals", "runs", TABLE]

_FACT = """INSERT INTO facts VALUES ($1,$2,$3,$4,$5,$6::jsonb,$7) ON CONFLICT DO NOTHING"""
_PAYMENT = """
INSERT INTO payments (payment_id, run_month, worker_id, injury_id, insured_region, person_id,
  benefit, benefit_month, revision, amount_fen, arrears, paid_on)
VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT DO NOTHING"""
_REVERSAL = """
INSERT INTO reversals VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING"""
_RUN = """INSERT INTO runs VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb) ON CONFLICT DO NOTHING"""
_FILED = """
INSERT INTO benefit_claims (claim_id, worker_id, injury_id, kind, employer_id, dependant_id,
  claimed_fen, documents, missing_documents, status, filed_on)
VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'incomplete',$10) ON CONFLICT DO NOTHING"""


def _values(items: Sequence[object]) -> list[str]:
    return [str(getattr(i, "value", i)) for i in items]


async def _fact(conn: asyncpg.Connection, event: Envelope[Message]) -> None:
    fact = event.payload
    await conn.execute(_FACT, event.event_id, fact.worker_id, fact.injury_id,  # type: ignore[attr-defined]
                       fact.message_type, business_day(fact),
                       orjson.dumps(fact.model_dump(mode="json")).decode(), event.recorded_at)
    if isinstance(fact, b.InjuryRecognised):
        await conn.execute("INSERT INTO injuries VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING",
                           fact.worker_id, fact.injury_id, fact.insured_region, fact.injured_on)


async def _claim(conn: asyncpg.Connection, ev: Message) -> None:
    if isinstance(ev, b.BenefitClaimFiled):
        await conn.execute(_FILED, ev.claim_id, ev.worker_id, ev.injury_id, ev.kind.value,
                           ev.employer_id, ev.dependant_id, ev.claimed_fen,
                           _values(ev.documents), _values(ev.missing_documents), ev.filed_on)
    elif isinstance(ev, b.BenefitClaimDocumentsReceived):
        await conn.execute(
            "UPDATE benefit_claims SET documents = (SELECT array_agg(DISTINCT d ORDER BY d) "
            "FROM unnest(documents || $2::text[]) d), missing_documents=$3 WHERE claim_id=$1",
            ev.claim_id, _values(ev.documents), _values(ev.missing_documents))
    elif isinstance(ev, b.BenefitClaimCompleted):
        await conn.execute(
            "UPDATE benefit_claims SET status='complete', completed_on=$2, review_due_on=$3,"
            " calendar_estimated = calendar_estimated OR $4 WHERE claim_id=$1",
            ev.claim_id, ev.completed_on, ev.review_due_on, ev.calendar_estimated)
    elif isinstance(ev, b.BenefitClaimReviewed):
        await conn.execute(
            "UPDATE benefit_claims SET status='reviewed', reviewed_on=$2, approved_fen=$3,"
            " payee=$4, payee_id=$5, payment_due_on=$6,"
            " calendar_estimated = calendar_estimated OR $7 WHERE claim_id=$1",
            ev.claim_id, ev.reviewed_on, ev.amount_fen, ev.payee.value, ev.payee_id,
            ev.payment_due_on, ev.calendar_estimated)
    elif isinstance(ev, b.BenefitClaimPaid):
        await conn.execute("UPDATE benefit_claims SET status='paid', paid_on=$2, paid_fen=$3"
                           " WHERE claim_id=$1", ev.claim_id, ev.paid_on, ev.amount_fen)


async def _run(conn: asyncpg.Connection, ev: Message) -> None:
    if isinstance(ev, b.MonthlyBenefitPaid):
        await conn.execute(_PAYMENT, ev.payment_id, ev.run_month, ev.worker_id, ev.injury_id,
                           ev.insured_region, ev.person_id, ev.benefit.value, ev.benefit_month,
                           ev.revision, ev.amount_fen, ev.arrears, ev.paid_on)
    elif isinstance(ev, b.MonthlyBenefitReversed):
        await conn.execute(_REVERSAL, ev.payment_id, ev.reverses, ev.run_month, ev.worker_id,
                           ev.person_id, ev.benefit.value, ev.benefit_month, ev.amount_fen,
                           ev.reason)
        await conn.execute("UPDATE payments SET reversed_by=$2, reversed_in=$3"
                           " WHERE payment_id=$1", ev.reverses, ev.payment_id, ev.run_month)
    elif isinstance(ev, b.PaymentRunCompleted):
        held = orjson.dumps([h.model_dump(mode="json") for h in ev.held]).decode()
        await conn.execute(_RUN, ev.run_id, ev.run_month, ev.ran_on, ev.fresh, ev.payments,
                           ev.reversals, ev.paid_fen, ev.reversed_fen, held)


@dataclass
class BenefitsReadModel:
    name: str = "benefits_read_model"
    topics: Sequence[topics.Topic] = field(default_factory=lambda: [topics.BENEFIT_EVENTS])

    async def apply(self, conn: asyncpg.Connection, event: Envelope[Message]) -> None:
        ev = event.payload
        if isinstance(ev, b.FACTS):
            await _fact(conn, event)
        else:
            await _claim(conn, ev)
            await _run(conn, ev)


PROJECTIONS: list[Projection] = [BenefitsReadModel(), AUDIT]
