"""Read model of the settlement service (PostgreSQL schema `settlement`).

Every statement is an upsert or a keyed update, so re-applying an event changes nothing;
the runner stores the consumed offsets in the same transaction. A batch is applied at once
(`apply_many`; `apply` is the batch of one): each run of settlements and notices with one
statement per kind (`_Run`), anything else on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
import orjson

from contracts import topics
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.audit_trail import TABLE
from contracts.runtime.projection import Projection, apply_in_runs
from contracts.settlement import (
    AdvanceGranted,
    AdvanceOffset,
    ClaimCompleted,
    ClaimDocumentsSubmitted,
    ClaimFiled,
    ClaimPaid,
    ClaimReviewed,
    EmployerReceivableRaised,
    EncounterReimbursable,
    EncounterSettled,
    SettlementNoticeIssued,
    SettlementReversed,
)
from services.settlement.adapters.audit import AUDIT

SCHEMA = "settlement"
TABLES = ["encounter_settlements", "claims", "receivables", TABLE]

_UPSERT_ENCOUNTER = """
INSERT INTO encounter_settlements (encounter_id, revision, mode, status, settlement_id,
  worker_id, institution_id, insured_region, treatment_region, decided_on, submitted_fen,
  fund_fen, self_fen, employer_fen, lines, not_direct_reasons, event_id)
VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15::jsonb,$16,$17)
ON CONFLICT (encounter_id, revision) DO NOTHING"""
_NOTICE = ("UPDATE encounter_settlements SET answer_due_on=$2, on_account=$3"
           " WHERE settlement_id=$1")

_FILE_CLAIM = """
INSERT INTO claims (claim_id, worker_id, claimant, employer_id, insured_region, situations,
  costs, claimed_fen, documents, missing_documents, status, filed_on)
VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb,$8,$9,$10,'incomplete',$11)
ON CONFLICT (claim_id) DO NOTHING"""


def _json(items: Sequence[object]) -> str:
    return orjson.dumps([i.model_dump(mode="json") for i in items]).decode()  # type: ignore[attr-defined]


def _encounter_row(ev: EncounterSettled | EncounterReimbursable, event_id: object
                   ) -> tuple[object, ...]:
    if isinstance(ev, EncounterSettled):
        mode, status, sid, on, reasons = "direct", "settled", ev.settlement_id, ev.settled_on, []
    else:
        mode, status, sid, on = "reimbursable", "reimbursable", None, ev.recorded_on
        reasons = list(ev.not_direct_reasons)
    return (ev.encounter_id, ev.revision, mode, status, sid, ev.worker_id, ev.institution_id,
            ev.insured_region, ev.treatment_region, on, ev.submitted_fen, ev.fund_fen,
            ev.self_fen, ev.employer_fen, _json(ev.lines), reasons, event_id)


async def _encounter(conn: asyncpg.Connection, ev: EncounterSettled | EncounterReimbursable,
                     event_id: object) -> None:
    if isinstance(ev, EncounterReimbursable):
        await conn.execute("UPDATE encounter_settlements SET status='superseded' WHERE "
                           "encounter_id=$1 AND revision<$2 AND mode='reimbursable'",
                           ev.encounter_id, ev.revision)
    await conn.execute(_UPSERT_ENCOUNTER, *_encounter_row(ev, event_id))


@dataclass
class _Run:
    """Consecutive direct settlements and their notices (two per discharge): the inserts,
    then the notices' updates, one statement each. A notice always follows its settlement,
    and a settlement row is only ever inserted, so the rows are those of one by one."""

    settled: list[tuple[object, ...]] = field(default_factory=list)
    notices: list[tuple[object, ...]] = field(default_factory=list)

    def add(self, event: Envelope[Message]) -> bool:
        ev = event.payload
        if isinstance(ev, EncounterSettled):
            self.settled.append(_encounter_row(ev, event.event_id))
        elif isinstance(ev, SettlementNoticeIssued):
            self.notices.append((ev.settlement_id, ev.answer_due_on, ev.on_account))
        else:
            return False
        return True

    async def write(self, conn: asyncpg.Connection) -> None:
        for sql, rows in ((_UPSERT_ENCOUNTER, self.settled), (_NOTICE, self.notices)):
            if rows:
                await conn.executemany(sql, rows)


async def _claims(conn: asyncpg.Connection, ev: Message) -> None:
    if isinstance(ev, ClaimFiled):
        await conn.execute(
            _FILE_CLAIM, ev.claim_id, ev.worker_id, ev.claimant.value, ev.employer_id,
            ev.insured_region, [s.value for s in ev.situations], _json(ev.costs),
            ev.claimed_fen, [d.value for d in ev.documents],
            [d.value for d in ev.missing_documents], ev.filed_on)
    elif isinstance(ev, ClaimDocumentsSubmitted):
        await conn.execute(
            "UPDATE claims SET documents = (SELECT array_agg(DISTINCT d ORDER BY d) FROM "
            "unnest(documents || $2::text[]) d), missing_documents=$3 WHERE claim_id=$1",
            ev.claim_id, [d.value for d in ev.documents], [d.value for d in ev.missing_documents])
    elif isinstance(ev, ClaimCompleted):
        await conn.execute(
            "UPDATE claims SET status='complete', completed_on=$2, review_due_on=$3,"
            " calendar_estimated = calendar_estimated OR $4 WHERE claim_id=$1",
            ev.claim_id, ev.completed_on, ev.review_due_on, ev.calendar_estimated)
    elif isinstance(ev, ClaimReviewed):
        await conn.execute(
            "UPDATE claims SET status='reviewed', reviewed_on=$2, approved_fen=$3, payee=$4,"
            " channel=$5, payment_due_on=$6, calendar_estimated = calendar_estimated OR $7"
            " WHERE claim_id=$1", ev.claim_id, ev.reviewed_on, ev.approved_fen, ev.payee.value,
            ev.channel.value, ev.payment_due_on, ev.calendar_estimated)
    elif isinstance(ev, ClaimPaid):
        await conn.execute("UPDATE claims SET status='paid', paid_on=$2, paid_fen=$3 "
                           "WHERE claim_id=$1", ev.claim_id, ev.paid_on, ev.amount_fen)
    elif isinstance(ev, AdvanceGranted):
        await conn.execute("UPDATE claims SET advance_id=$2, advance_fen=$3 WHERE claim_id=$1",
                           ev.claim_id, ev.advance_id, ev.amount_fen)
    elif isinstance(ev, AdvanceOffset):
        await conn.execute(
            "UPDATE claims SET status='paid', paid_on=$2, paid_fen=GREATEST($3, 0),"
            " remainder_fen=$3 WHERE claim_id=$1", ev.claim_id, ev.offset_on, ev.remainder_fen)


async def _apply_one(conn: asyncpg.Connection, event: Envelope[Message]) -> None:
    """The events outside a run: reimbursable encounters, reversals, receivables, claims."""
    ev = event.payload
    if isinstance(ev, EncounterReimbursable):
        await _encounter(conn, ev, event.event_id)
    elif isinstance(ev, SettlementReversed):
        await conn.execute("UPDATE encounter_settlements SET status='reversed', reversed_on=$2"
                           " WHERE settlement_id=$1", ev.settlement_id, ev.reversed_on)
    elif isinstance(ev, EmployerReceivableRaised):
        await conn.execute(
            "INSERT INTO receivables VALUES ($1,$2,$3,$4,$5,$6,$7,$8) "
            "ON CONFLICT (receivable_id) DO NOTHING", ev.receivable_id, ev.employer_id,
            ev.worker_id, ev.insured_region, ev.amount_fen, list(ev.settlement_ids),
            ev.raised_on, ev.reason)
        await conn.execute("UPDATE encounter_settlements SET receivable_id=$1 WHERE "
                           "settlement_id = ANY($2::text[])", ev.receivable_id,
                           list(ev.settlement_ids))
    else:
        await _claims(conn, ev)


@dataclass
class SettlementReadModel:
    name: str = "settlement_read_model"
    topics: Sequence[topics.Topic] = field(default_factory=lambda: [topics.SETTLEMENT_EVENTS])

    async def apply(self, conn: asyncpg.Connection, event: Envelope[Message]) -> None:
        await self.apply_many(conn, [event])

    async def apply_many(self, conn: asyncpg.Connection, events: list[Envelope[Message]]
                         ) -> None:
        """Runs of settlements and notices a run at a time (`_Run`); any other event ends
        the run and is applied on its own."""
        await apply_in_runs(conn, events, _Run, _apply_one)


PROJECTIONS: list[Projection] = [SettlementReadModel(), AUDIT]
